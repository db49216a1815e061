/**
 * Top offenders and top ranges among the bans in force: the addresses banned most often (the
 * escalation step, then in how many jails, then failures) and the /24 (IPv4) and /64 (IPv6)
 * networks with the most banned addresses. At most MAX_SCANNED bans are looked at, so a flood of
 * a million bans costs a bounded pass (the answer says when it was cut).
 */
import { widen, type IpAddress } from '../ip.js';
import type { Ban } from '../types.js';
import { TopK } from './top-k.js';

export const MAX_SCANNED = 100_000;

export interface Offender {
  ip: string;
  jails: string[];
  count: number;
  failures: number;
  end: number | null;
}
export interface Range {
  range: string;
  addresses: number;
  jails: string[];
}
export interface Offenders {
  scanned: number;
  /** True when there were more bans in force than MAX_SCANNED. */
  partial: boolean;
  offenders: Offender[];
  ranges: Range[];
}

export function topOffenders(jails: readonly { bans(): Iterable<Ban> }[], limit: number, maxScanned = MAX_SCANNED): Offenders {
  const byIp = new Map<string, Offender>();
  const byRange = new Map<string, { addresses: number; jails: Set<string> }>();
  let scanned = 0;
  let partial = false;
  outer: for (const jail of jails) {
    for (const b of jail.bans()) {
      if (scanned === maxScanned) {
        partial = true;
        break outer;
      }
      scanned++;
      const o = byIp.get(b.id);
      if (!o) byIp.set(b.id, { ip: b.id, jails: [b.jail], count: b.count, failures: b.failures, end: b.end });
      else {
        if (!o.jails.includes(b.jail)) o.jails.push(b.jail);
        o.count = Math.max(o.count, b.count);
        o.failures += b.failures;
        if (o.end !== null && (b.end === null || b.end > o.end)) o.end = b.end;
      }
      if (!b.ip) continue; // a network ban is a range already, not an address in one
      const range = rangeOf(b.ip);
      let r = byRange.get(range);
      if (!r) byRange.set(range, (r = { addresses: 0, jails: new Set() }));
      if (!o) r.addresses++; // an address banned in two jails is one address of its range
      r.jails.add(b.jail);
    }
  }
  const top = new TopK<Offender>(limit, (a, b) => b.count - a.count || b.jails.length - a.jails.length || b.failures - a.failures || a.ip.localeCompare(b.ip));
  for (const o of byIp.values()) top.add(o);
  const topRanges = new TopK<[string, { addresses: number }]>(limit, ([ra, a], [rb, b]) => b.addresses - a.addresses || ra.localeCompare(rb));
  for (const r of byRange) topRanges.add(r);
  const offenders = top.sorted();
  const ranges = topRanges.sorted().map(([range]) => ({ range, addresses: byRange.get(range)!.addresses, jails: [...byRange.get(range)!.jails].sort() }));
  return { scanned, partial, offenders, ranges };
}

/** The /24 of an IPv4 address (written from its bytes: the common case, and no object made), the /64 of an IPv6 one. */
function rangeOf(ip: IpAddress): string {
  const b = ip.bytes;
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  return widen(ip, ip.version === 4 ? 24 : 64).text;
}
