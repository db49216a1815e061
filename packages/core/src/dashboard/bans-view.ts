/**
 * Bans in force for the dashboard's table: searched, sorted and cut to a page on the daemon, so a
 * jail holding a million bans answers with a few hundred rows. The page is kept sorted while the
 * bans are scanned (a row worse than the page's last is skipped at once): one pass, no copy of all.
 */
import type { IpAddress } from '../ip.js';
import type { Ban } from '../types.js';

export const BAN_SORTS = ['start', 'end', 'ip', 'jail', 'failures', 'count', 'rule'] as const;
export type BanSort = (typeof BAN_SORTS)[number];

export interface BanQuery {
  /** Case-insensitive text the address, jail or rule must contain. */
  q: string;
  /** Only this jail (empty: all). */
  jail: string;
  sort: BanSort;
  order: 'asc' | 'desc';
  limit: number;
}

export const MAX_BAN_ROWS = 1000;

export interface BanRow {
  jail: string;
  ip: string;
  start: number;
  /** null: permanent. */
  end: number | null;
  /** How many times the address was banned (the escalation step). */
  count: number;
  failures: number;
  rule: string | null;
}

export interface BanPage {
  /** Bans in force in the jails asked for. */
  total: number;
  /** Of those, the ones the search matched. */
  matched: number;
  bans: BanRow[];
}

export function listBans(jails: readonly { name: string; bans(): Iterable<Ban> }[], query: BanQuery): BanPage {
  const needle = query.q.toLowerCase();
  const sign = query.order === 'asc' ? 1 : -1;
  const cmp = (a: Ban, b: Ban) => sign * compare(query.sort, a, b) || compareIp(a, b);
  const page: Ban[] = [];
  let total = 0;
  let matched = 0;
  for (const jail of jails) {
    if (query.jail && jail.name !== query.jail) continue;
    for (const b of jail.bans()) {
      total++;
      if (needle && !b.id.includes(needle) && !b.jail.toLowerCase().includes(needle) && !(b.rule ?? '').toLowerCase().includes(needle)) continue;
      matched++;
      if (page.length === query.limit && cmp(b, page[page.length - 1]!) >= 0) continue;
      page.splice(insertionPoint(page, b, cmp), 0, b);
      if (page.length > query.limit) page.pop();
    }
  }
  return { total, matched, bans: page.map(row) };
}

function row(b: Ban): BanRow {
  return { jail: b.jail, ip: b.id, start: b.start, end: b.end, count: b.count, failures: b.failures, rule: b.rule ?? null };
}

function insertionPoint(page: Ban[], b: Ban, cmp: (a: Ban, b: Ban) => number): number {
  let lo = 0;
  let hi = page.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmp(page[mid]!, b) <= 0) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function compare(sort: BanSort, a: Ban, b: Ban): number {
  switch (sort) {
    case 'start': return a.start - b.start;
    case 'end': return endOf(a) - endOf(b);
    case 'ip': return compareIp(a, b);
    case 'jail': return a.jail.localeCompare(b.jail);
    case 'failures': return a.failures - b.failures;
    case 'count': return a.count - b.count;
    case 'rule': return (a.rule ?? '').localeCompare(b.rule ?? '');
  }
}

const endOf = (b: Ban) => b.end === null ? Infinity : b.end;

/** IPv4 before IPv6, then byte by byte; a network ban (no parsed address) by its text, last. */
function compareIp(a: Ban, b: Ban): number {
  if (!a.ip || !b.ip) return a.ip ? -1 : b.ip ? 1 : a.id.localeCompare(b.id);
  return compareAddress(a.ip, b.ip);
}

export function compareAddress(a: IpAddress, b: IpAddress): number {
  if (a.version !== b.version) return a.version - b.version;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return 0;
}
