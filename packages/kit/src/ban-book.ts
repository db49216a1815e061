/**
 * The bans in force of one tracker, by id (an address's text, or the CIDR of a network ban), each
 * with the timer that ends it on the tracker's clock; and how often each address was banned, for
 * escalating bantime. The core's default tracker and tracker plugins (`@f2b/tracker-bucket`) keep
 * their bans here, so a replaced tracker bans, escalates and expires exactly as the default one.
 * Their ends share one timer (ban-expiries.ts): a timer per ban cost about 450 bytes.
 * The types are structural (the kit depends on nothing): a core `Ban` is a `BookBan`, an `Unban`
 * a `BookUnban`.
 */
import { escalatedBantime, type BantimeEscalation } from './bantime.js';
import type { Clock } from './clock.js';
import { BanExpiries } from './ban-expiries.js';
import type { IpAddress } from './ip.js';

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
  private readonly banned = new Map<string, BookBan>();
  /** When the bans with an end end: one timer for all of them. */
  private readonly expiries: BanExpiries;
  /** The expiry entry of each ban in force that has an end (the others never expire). */
  private readonly expiryOf = new Map<string, number>();
  private readonly banCounts = new Map<string, number>();

  constructor(opts: BanBookOptions) {
    this.opts = opts;
    this.expiries = new BanExpiries(opts.clock, (id, order) => this.expire(id, order));
  }

  get size(): number {
    return this.banned.size;
  }

  has(id: string): boolean {
    return this.banned.has(id);
  }

  get(id: string): BookBan | undefined {
    return this.banned.get(id);
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
    const id = ban.ip?.text ?? ban.id;
    this.forget(id);
    this.banned.set(id, ban);
    if (ban.end !== null) this.expiryOf.set(id, this.expiries.add(id, ban.end));
  }

  unban(id: string, reason: BookUnban['reason']): BookUnban | null {
    if (!this.forget(id)) return null;
    return { jail: this.opts.jail, id, time: this.opts.clock.now(), reason };
  }

  /** Drops the ban of `id` (its expiry entry stays until it comes up, then is passed over). */
  private forget(id: string): BookBan | undefined {
    const ban = this.banned.get(id);
    if (ban === undefined) return undefined;
    this.banned.delete(id);
    if (!this.expiryOf.delete(id)) return ban;
    if (this.expiryOf.size === 0) this.expiries.clear();
    else if (this.expiries.size > 2 * this.expiryOf.size + 1024) this.expiries.compact((i, order) => this.expiryOf.get(i) === order);
    return ban;
  }

  /** The end of `id`'s ban has come (entry `order`): lifted, unless that ban was replaced or lifted meanwhile. */
  private expire(id: string, order: number): void {
    if (this.expiryOf.get(id) !== order) return;
    const unban = this.unban(id, 'expired');
    if (unban) this.opts.onExpire(unban);
  }

  *bans(): IterableIterator<BookBan> {
    yield* this.banned.values();
  }

  /** Cancel the timer (stop); the bans stay recorded. */
  dispose(): void {
    this.expiries.clear();
  }
}
