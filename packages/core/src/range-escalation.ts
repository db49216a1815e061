/**
 * Range escalation (a jail's `range:` option), for any tracker: when `distinct` addresses of the same
 * range (IPv4 /ipv4, IPv6 /ipv6) were banned within `within`, the range itself is banned for
 * `bantime` — one ban whose id is the CIDR (`198.51.100.0/24`), which the actions take as a network
 * (nftables interval sets, Cloudflare's ip_range rules) and `f2b banned` shows with the bans that
 * caused it (its `lines`).
 *
 * It lives in the jail, not in a tracker: it only watches the bans a tracker decides, so it works
 * with every tracker. The tracker holds the range ban like a network ban recovered from a firewall
 * (its expiry, `unban`, `bans()`); this object remembers the recent bans per range and which ranges
 * are banned, so failures of addresses inside a banned range are not counted again.
 *
 * A range that holds an address the jail never bans (ignoreip, ignoreself) is never banned: a
 * firewall set element cannot have holes, and the addresses of the range stay banned one by one.
 */
import { cidrContains, tryParseCidr, widen, type Cidr, type IpAddress } from '@f2b/kit';
import type { Clock } from './clock.js';
import type { Ban } from './types.js';

/** A jail's resolved `range:` option. */
export interface RangeConfig {
  /** Prefix length of an IPv4 range; null: IPv4 bans never make a range ban. */
  ipv4: number | null;
  /** Prefix length of an IPv6 range; null: IPv6 bans never make a range ban. */
  ipv6: number | null;
  /** How many different addresses of a range, banned within `within`, ban the range. */
  distinct: number;
  /** Seconds. */
  within: number;
  /** Seconds the range ban lasts; -1 = permanent. */
  bantime: number;
}

export interface RangeEscalationOptions {
  jail: string;
  config: RangeConfig;
  clock: Clock;
  /** Networks the jail never bans (ignoreip, and this host's addresses with ignoreself). */
  never: readonly { cidr: Cidr; reason: 'ignoreip' | 'ignoreself' }[];
  /** Bans this range had before (from the store), for the ban's count. */
  priorBans?: (id: string) => number;
  /** A range reached `distinct` but holds an address the jail never bans (said once per range and `within`). */
  onRefused?(range: string, reason: 'ignoreip' | 'ignoreself', members: number): void;
}

/** The rule id of a range ban. */
export const RANGE_RULE = 'range';

interface RecentBans {
  readonly cidr: Cidr;
  /** Address → when it was banned and by which rule, oldest first. */
  readonly members: Map<string, { time: number; rule?: string }>;
}

export class RangeEscalation {
  private readonly opts: RangeEscalationOptions;
  /** Ranges with recent address bans, by the range's text. */
  private readonly recent = new Map<string, RecentBans>();
  /** Networks banned now (range bans, and network bans restored), by their text. */
  private readonly inForce = new Map<string, { cidr: Cidr; ban: Ban }>();
  /** Prefix lengths in `inForce`, with how many of each: a failure looks up one key per length. */
  private readonly lengths = new Map<string, number>();
  /** Ranges refused lately, so the refusal is said once per `within`: range → when. */
  private readonly refused = new Map<string, number>();
  private readonly rangeCounts = new Map<string, number>();

  constructor(opts: RangeEscalationOptions) {
    this.opts = opts;
  }

  /** The range of an address under this config, or null when its family makes no range bans. */
  rangeOf(ip: IpAddress): Cidr | null {
    const c = this.opts.config;
    const prefix = ip.bytes.length === 4 || isMapped(ip) ? c.ipv4 : c.ipv6;
    return prefix === null ? null : widen(ip, prefix);
  }

  /**
   * An address was banned (by the tracker or by hand): counted for its range. Returns the range ban
   * to carry out now, or null.
   */
  banned(ban: Ban & { readonly ip: IpAddress }): Ban | null {
    const range = this.rangeOf(ban.ip);
    if (range === null || this.inForce.has(range.text)) return null;
    const now = this.opts.clock.now();
    let recent = this.recent.get(range.text);
    if (recent === undefined) this.recent.set(range.text, (recent = { cidr: range, members: new Map() }));
    recent.members.delete(ban.ip.text);
    recent.members.set(ban.ip.text, { time: ban.start, rule: ban.rule });
    this.trim(recent, now);
    if (recent.members.size < this.opts.config.distinct) return null;
    const refusal = this.refusal(range);
    if (refusal !== null) {
      const said = this.refused.get(range.text);
      if (said === undefined || said <= now - this.opts.config.within * 1000) {
        this.refused.set(range.text, now);
        this.opts.onRefused?.(range.text, refusal, recent.members.size);
      }
      // Only the latest `distinct` matter from now on: a refused range stays small however many bans.
      for (const addr of recent.members.keys()) {
        if (recent.members.size < this.opts.config.distinct) break;
        recent.members.delete(addr);
      }
      return null;
    }
    this.recent.delete(range.text);
    const id = range.text;
    const count = (this.opts.priorBans ? this.opts.priorBans(id) : (this.rangeCounts.get(id) ?? 0)) + 1;
    this.rangeCounts.set(id, count);
    const bantime = this.opts.config.bantime;
    const lines = [...recent.members].map(([addr, m]) => `${addr} banned ${new Date(m.time).toISOString()}${m.rule ? ` (${m.rule})` : ''}`);
    const rangeBan: Ban = {
      jail: this.opts.jail,
      id,
      start: now,
      end: bantime < 0 ? null : now + bantime * 1000,
      count,
      rule: RANGE_RULE,
      lines,
      failures: recent.members.size,
    };
    this.hold(range, rangeBan);
    return rangeBan;
  }

  /** Why the jail never bans this range (it overlaps an ignored network), or null. */
  private refusal(range: Cidr): 'ignoreip' | 'ignoreself' | null {
    for (const n of this.opts.never) if (overlaps(range, n.cidr)) return n.reason;
    return null;
  }

  /** Forget the bans of a range that left `within`. */
  private trim(recent: RecentBans, now: number): void {
    const horizon = now - this.opts.config.within * 1000;
    for (const [addr, m] of recent.members) {
      if (m.time >= horizon) break;
      recent.members.delete(addr);
    }
  }

  /**
   * A ban taken over at start or on reload: a network ban is in force again (its addresses are
   * covered); an address ban counts for its range as when it was made.
   */
  adopt(ban: Ban): void {
    if (ban.ip) {
      const range = this.rangeOf(ban.ip);
      if (range === null || this.inForce.has(range.text)) return;
      if (ban.start < this.opts.clock.now() - this.opts.config.within * 1000) return;
      let recent = this.recent.get(range.text);
      if (recent === undefined) this.recent.set(range.text, (recent = { cidr: range, members: new Map() }));
      recent.members.delete(ban.ip.text);
      let last = -Infinity;
      for (const m of recent.members.values()) last = m.time;
      recent.members.set(ban.ip.text, { time: ban.start, rule: ban.rule });
      if (last <= ban.start) return;
      // Restored bans may come in any order; the members must stay oldest first (see trim).
      const sorted = [...recent.members].sort((x, y) => x[1].time - y[1].time);
      recent.members.clear();
      for (const [addr, m] of sorted) recent.members.set(addr, m);
      return;
    }
    const cidr = parseNetwork(ban.id);
    if (cidr !== null) this.hold(cidr, ban);
  }

  private hold(cidr: Cidr, ban: Ban): void {
    if (!this.inForce.has(cidr.text)) this.lengths.set(lengthKey(cidr), (this.lengths.get(lengthKey(cidr)) ?? 0) + 1);
    this.inForce.set(cidr.text, { cidr, ban });
  }

  /** A ban ended (expired, unbanned): if it was a network ban, its addresses are no longer covered. */
  ended(id: string): void {
    const key = parseNetwork(id)?.text;
    const held = key === undefined ? undefined : this.inForce.get(key);
    if (!held) return;
    this.inForce.delete(held.cidr.text);
    const length = lengthKey(held.cidr);
    const n = (this.lengths.get(length) ?? 1) - 1;
    if (n > 0) this.lengths.set(length, n);
    else this.lengths.delete(length);
  }

  /** The network ban in force that covers an address, if any (one Map lookup per prefix length in use). */
  covering(ip: IpAddress): Ban | undefined {
    if (this.inForce.size === 0) return undefined;
    const v4 = ip.bytes.length === 4 || isMapped(ip);
    for (const key of this.lengths.keys()) {
      const version = key.charCodeAt(0) === 52 ? 4 : 6;
      if ((version === 4) !== v4) continue;
      const held = this.inForce.get(widen(ip, Number(key.slice(2))).text);
      if (held && cidrContains(held.cidr, ip)) return held.ban;
    }
    return undefined;
  }

  /** The network ban in force with this id (`198.51.100.0/24`), if any. */
  networkBan(id: string): Ban | undefined {
    const key = parseNetwork(id)?.text;
    return key === undefined ? undefined : this.inForce.get(key)?.ban;
  }

  /** Forget ranges whose recent bans all left `within` (called every minute). */
  sweep(): void {
    const now = this.opts.clock.now();
    for (const [key, recent] of this.recent) {
      this.trim(recent, now);
      if (recent.members.size === 0) this.recent.delete(key);
    }
    const horizon = now - this.opts.config.within * 1000;
    for (const [key, when] of this.refused) if (when <= horizon) this.refused.delete(key);
  }

  /** How many ranges have recent bans (tests, status). */
  get tracked(): number {
    return this.recent.size;
  }
}

function isMapped(ip: IpAddress): boolean {
  const b = ip.bytes;
  if (b.length !== 16 || b[10] !== 0xff || b[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return true;
}

function lengthKey(c: Cidr): string {
  return `${c.version}/${c.prefix}`;
}

/** A CIDR ban id (`198.51.100.0/24`) as a network; null for an address or anything else. */
function parseNetwork(id: string): Cidr | null {
  return id.includes('/') ? tryParseCidr(id) : null;
}

/** True when the two networks share an address: the shorter one contains the other's network address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.version !== b.version) return false;
  const [outer, inner] = a.prefix <= b.prefix ? [a, b] : [b, a];
  return cidrContains(outer, { version: inner.version, bytes: inner.bytes, text: inner.text });
}
