/**
 * The bans in force of one tracker, by id (an address's text, or the CIDR of a network ban), each
 * with the timer that ends it on the tracker's clock; and how often each address was banned, for
 * escalating bantime. The core's default tracker and tracker plugins (`@f2b/tracker-bucket`) keep
 * their bans here, so a replaced tracker bans, escalates and expires exactly as the default one.
 * Their ends share one timer (slot-expiries.ts, as ban-expiries.ts): a timer per ban cost about 450 bytes.
 *
 * Bans are kept in columns, not as objects: the address in a slot of a typed-array table with a
 * hash index (address-slots.ts), start, end, count and failures in typed arrays by slot, the jail
 * and rule as small interned numbers, the rare lines and fleet origin in side maps. A `BookBan` is
 * made when one is asked for (a lookup, a listing, an unban, an expiry), so the book answers with
 * equal bans, not the same object twice. A daemon holding 100,000 bans spent about 800 bytes of heap
 * on each as objects (the ban, its parsed address, its id, the Map entries); here about 100. A ban
 * whose address is not held exactly as parsed (a network ban's CIDR, an id other than the address's
 * text) stays an object in a map of its own.
 * The types are structural (the kit depends on nothing): a core `Ban` is a `BookBan`, an `Unban`
 * a `BookUnban`.
 */
import { escalatedBantime, type BantimeEscalation } from './bantime.js';
import type { Clock } from './clock.js';
import { SlotExpiries } from './slot-expiries.js';
import { parseIp, type IpAddress } from './ip.js';
import { AddressSlots, Column } from './address-slots.js';

/** A ban as the book holds it (the core's `Ban`). */
export interface BookBan {
  readonly jail: string;
  readonly id: string;
  readonly ip?: IpAddress;
  readonly start: number;
  /** Epoch ms; null: permanent. */
  readonly end: number | null;
  readonly count: number;
  readonly rule?: string;
  readonly lines?: readonly string[];
  readonly failures: number;
  readonly origin?: string;
}

/** The end of a ban (the core's `Unban`). */
export interface BookUnban {
  readonly jail: string;
  readonly id: string;
  readonly time: number;
  readonly reason: 'expired' | 'manual' | 'stop';
}

export interface BanBookOptions {
  jail: string;
  /** Seconds; -1 = permanent. */
  bantime: number;
  clock: Clock;
  increment?: BantimeEscalation;
  /** Bans this id had before (from the store); default: counted here. */
  priorBans?: (id: string) => number;
  random?: () => number;
  onExpire(unban: BookUnban): void;
}

export class BanBook {
  private readonly opts: BanBookOptions;
  /** The addresses of the bans held in columns, each in a slot. */
  private readonly slots = new AddressSlots();
  private readonly starts = new Column((n) => new Float64Array(n));
  /** NaN: permanent. */
  private readonly ends = new Column((n) => new Float64Array(n));
  private readonly counts = new Column((n) => new Int32Array(n));
  private readonly failures = new Column((n) => new Int32Array(n));
  /** Interned (`names`): the jail, and the rule (0: none). */
  private readonly jails = new Column((n) => new Uint16Array(n));
  private readonly rules = new Column((n) => new Uint16Array(n));
  /** The order of the slot's live expiry entry; NaN: none (permanent). */
  private readonly expiryOrders = new Column((n) => new Float64Array(n));
  private readonly columns = [this.starts, this.ends, this.counts, this.failures, this.jails, this.rules, this.expiryOrders];
  /** Few bans have these: those decided here (their window's lines), those from the fleet. */
  private readonly linesOf = new Map<number, readonly string[]>();
  private readonly originOf = new Map<number, string>();
  private readonly names = new Interned();
  /** Bans not held in columns (network bans, ids that are not their address's text), by id. */
  private readonly others = new Map<string, BookBan>();
  /** The expiry entry of each such ban that has an end: its key there (negative) and order. */
  private readonly otherExpiryOf = new Map<string, { key: number; order: number }>();
  private readonly otherIdOfKey = new Map<number, string>();
  private lastOtherKey = 0;
  /** When the bans with an end end, one timer for all: by slot number, or by a negative key for one of `others`. */
  private readonly expiries: SlotExpiries;
  /** Bans with an end (their entries are the live ones in `expiries`). */
  private expiring = 0;
  private readonly banCounts = new Map<string, number>();

  constructor(opts: BanBookOptions) {
    this.opts = opts;
    this.expiries = new SlotExpiries(opts.clock, (key, order) => this.expire(key, order));
  }

  get size(): number {
    return this.slots.size + this.others.size;
  }

  has(id: string): boolean {
    return this.others.has(id) || this.slotOfId(id) >= 0;
  }

  get(id: string): BookBan | undefined {
    const other = this.others.get(id);
    if (other !== undefined) return other;
    const slot = this.slotOfId(id);
    return slot >= 0 ? this.banAt(slot) : undefined;
  }

  /** Whether `ip` is banned (by its bytes: no text made, nothing parsed — a tracker asks this per failure). */
  hasAddress(ip: IpAddress): boolean {
    return this.slots.find(ip) >= 0 || (this.others.size > 0 && this.others.has(ip.text));
  }

  /** The ban of `ip`, if any. */
  getAddress(ip: IpAddress): BookBan | undefined {
    const slot = this.slots.find(ip);
    if (slot >= 0) return this.banAt(slot);
    return this.others.size > 0 ? this.others.get(ip.text) : undefined;
  }

  /** A new ban of `ip` from `now`, its bantime escalated by the address's earlier bans. */
  ban(ip: IpAddress, now: number, failures: number, rule?: string, lines?: readonly string[]): BookBan & { readonly ip: IpAddress } {
    const id = ip.text;
    const count = (this.opts.priorBans ? this.opts.priorBans(id) : (this.banCounts.get(id) ?? 0)) + 1;
    this.banCounts.set(id, count);
    const bantime = escalatedBantime(this.opts.bantime, count, this.opts.increment, this.opts.random);
    const end = bantime < 0 ? null : now + bantime * 1000;
    const ban = { jail: this.opts.jail, id, ip, start: now, end, count, rule, lines, failures };
    this.restore(ban);
    return ban;
  }

  /** Hold a ban and arm its end (a ban read back from a store, or one just made). */
  restore(ban: BookBan): void {
    const ip = ban.ip;
    const jail = this.names.of(ban.jail),
      rule = ban.rule === undefined ? 0 : this.names.of(ban.rule);
    // More distinct jails and rules than a column's 16 bits hold (never seen): the ban stays an object.
    if (ip === undefined || ban.id !== ip.text || !AddressSlots.holds(ip) || jail > 0xffff || rule > 0xffff) {
      this.restoreOther(ban);
      return;
    }
    if (this.others.size > 0) this.forgetOther(ip.text);
    let slot = this.slots.find(ip);
    if (slot >= 0) this.dropExpiry(slot);
    else slot = this.insert(ip);
    this.starts.set(slot, ban.start);
    this.ends.set(slot, ban.end === null ? NaN : ban.end);
    this.counts.set(slot, ban.count);
    this.failures.set(slot, ban.failures);
    this.jails.set(slot, jail);
    this.rules.set(slot, rule);
    if (ban.lines !== undefined) this.linesOf.set(slot, ban.lines);
    else this.linesOf.delete(slot);
    if (ban.origin !== undefined) this.originOf.set(slot, ban.origin);
    else this.originOf.delete(slot);
    if (ban.end === null) this.expiryOrders.set(slot, NaN);
    else {
      this.expiryOrders.set(slot, this.expiries.add(slot, ban.end));
      this.expiring++;
    }
  }

  unban(id: string, reason: BookUnban['reason']): BookUnban | null {
    if (!this.forgetOther(id)) {
      const slot = this.slotOfId(id);
      if (slot < 0) return null;
      this.forgetSlot(slot);
    }
    return { jail: this.opts.jail, id, time: this.opts.clock.now(), reason };
  }

  /** Every ban held, live: a listing paged over minutes sees the bans added and lifted meanwhile. */
  *bans(): IterableIterator<BookBan> {
    for (let slot = 0; slot < this.slots.end; slot++) if (this.slots.has(slot)) yield this.banAt(slot);
    yield* this.others.values();
  }

  /** Cancel the timer (stop); the bans stay recorded. */
  dispose(): void {
    this.expiries.clear();
  }

  // --- the columns ------------------------------------------------------------------------------

  /** The slot of the ban whose id is `id` (an address's text), or -1. */
  private slotOfId(id: string): number {
    if (this.slots.size === 0) return -1;
    const ip = parseIp(id);
    return ip !== null && ip.text === id ? this.slots.find(ip) : -1;
  }

  private insert(ip: IpAddress): number {
    const slot = this.slots.insert(ip);
    const cap = this.slots.capacity;
    for (const column of this.columns) column.cover(cap);
    return slot;
  }

  /** The ban in `slot`, made now. */
  private banAt(slot: number): BookBan {
    const ip = this.slots.address(slot);
    const end = this.ends.get(slot);
    const rule = this.rules.get(slot);
    const ban = {
      jail: this.names.name(this.jails.get(slot)),
      id: ip.text,
      ip,
      start: this.starts.get(slot),
      end: Number.isNaN(end) ? null : end,
      count: this.counts.get(slot),
      rule: rule === 0 ? undefined : this.names.name(rule),
      lines: this.linesOf.size > 0 ? this.linesOf.get(slot) : undefined,
      failures: this.failures.get(slot),
    };
    const origin = this.originOf.size > 0 ? this.originOf.get(slot) : undefined;
    return origin === undefined ? ban : Object.assign(ban, { origin });
  }

  private forgetSlot(slot: number): void {
    this.dropExpiry(slot);
    this.linesOf.delete(slot);
    this.originOf.delete(slot);
    this.slots.release(slot);
  }

  /** The slot's ban no longer ends by its entry (lifted or replaced): the entry stays until it comes up, then is passed over. */
  private dropExpiry(slot: number): void {
    if (Number.isNaN(this.expiryOrders.get(slot))) return;
    this.expiryOrders.set(slot, NaN);
    this.expiryDropped();
  }

  private expiryDropped(): void {
    if (--this.expiring === 0) this.expiries.clear();
    else if (this.expiries.size > 2 * this.expiring + 1024) this.expiries.compact((key, order) => this.isLive(key, order));
  }

  private isLive(key: number, order: number): boolean {
    if (key < 0) {
      const id = this.otherIdOfKey.get(key);
      return id !== undefined && this.otherExpiryOf.get(id)?.order === order;
    }
    return this.slots.has(key) && this.expiryOrders.get(key) === order;
  }

  /** The end of a ban has come (entry `order`): lifted, unless that ban was replaced or lifted meanwhile. */
  private expire(key: number, order: number): void {
    if (!this.isLive(key, order)) return;
    const id = key < 0 ? this.otherIdOfKey.get(key)! : this.slots.text(key);
    const unban = this.unban(id, 'expired');
    if (unban) this.opts.onExpire(unban);
  }

  // --- bans that are not one address as parsed --------------------------------------------------

  private restoreOther(ban: BookBan): void {
    const id = ban.ip?.text ?? ban.id;
    this.forgetOther(id);
    const ip = this.slots.size > 0 ? parseIp(id) : null;
    if (ip !== null && ip.text === id) {
      const slot = this.slots.find(ip);
      if (slot >= 0) this.forgetSlot(slot);
    }
    this.others.set(id, ban);
    if (ban.end !== null) {
      const key = --this.lastOtherKey;
      this.otherIdOfKey.set(key, id);
      this.otherExpiryOf.set(id, { key, order: this.expiries.add(key, ban.end) });
      this.expiring++;
    }
  }

  private forgetOther(id: string): boolean {
    if (!this.others.delete(id)) return false;
    const expiry = this.otherExpiryOf.get(id);
    if (expiry !== undefined) {
      this.otherExpiryOf.delete(id);
      this.otherIdOfKey.delete(expiry.key);
      this.expiryDropped();
    }
    return true;
  }
}

/** Strings (jail names, rules) as small numbers; 0 stands for none. */
class Interned {
  private readonly numbers = new Map<string, number>();
  private readonly strings: string[] = [''];

  of(s: string): number {
    let n = this.numbers.get(s);
    if (n === undefined) {
      n = this.strings.length;
      this.strings.push(s);
      this.numbers.set(s, n);
    }
    return n;
  }

  name(n: number): string {
    return this.strings[n]!;
  }
}
