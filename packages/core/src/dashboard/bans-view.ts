/**
 * Bans in force for the dashboard's table: searched, sorted and cut to a page on the daemon, so a
 * jail holding a million bans answers with a few hundred rows: one pass over the bans, keeping the
 * best `limit` (TopK), no copy of them all.
 */
import type { IpAddress } from '../ip.js';
import type { Ban } from '../types.js';
import { TopK } from './top-k.js';

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
  const by = comparator(query.sort); // chosen once: no switch per comparison
  const cmp = (a: Ban, b: Ban) => sign * by(a, b) || compareIp(a, b);
  const page = new TopK<Ban>(query.limit, cmp);
  let total = 0;
  let matched = 0;
  // Rules are few: each is lower-cased and searched once, not once per ban.
  const ruleMatches = new Map<string, boolean>();
  const ruleMatch = (rule: string | undefined) => {
    const r = rule ?? '';
    let m = ruleMatches.get(r);
    if (m === undefined) ruleMatches.set(r, (m = r.toLowerCase().includes(needle)));
    return m;
  };
  for (const jail of jails) {
    if (query.jail && jail.name !== query.jail) continue;
    const jailMatches = jail.name.toLowerCase().includes(needle);
    for (const b of jail.bans()) {
      total++;
      if (needle && !jailMatches && !b.id.includes(needle) && !ruleMatch(b.rule)) continue;
      matched++;
      page.add(b);
    }
  }
  return { total, matched, bans: page.sorted().map(row) };
}

function row(b: Ban): BanRow {
  return { jail: b.jail, ip: b.id, start: b.start, end: b.end, count: b.count, failures: b.failures, rule: b.rule ?? null };
}

function comparator(sort: BanSort): (a: Ban, b: Ban) => number {
  switch (sort) {
    case 'start':
      return (a, b) => a.start - b.start;
    case 'end':
      return (a, b) => endOf(a) - endOf(b);
    case 'ip':
      return compareIp;
    case 'jail':
      return (a, b) => a.jail.localeCompare(b.jail);
    case 'failures':
      return (a, b) => a.failures - b.failures;
    case 'count':
      return (a, b) => a.count - b.count;
    case 'rule':
      return (a, b) => (a.rule ?? '').localeCompare(b.rule ?? '');
  }
}

const endOf = (b: Ban) => (b.end === null ? Infinity : b.end);

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
