/**
 * The bans in force of one tracker, by id (an address's text, or the CIDR of a network ban), each
 * with the timer that ends it on the tracker's clock; and how often each address was banned, for
 * escalating bantime. The core's default tracker and tracker plugins (`@f2b/tracker-bucket`) keep
 * their bans here, so a replaced tracker bans, escalates and expires exactly as the default one.
 * The types are structural (the kit depends on nothing): a core `Ban` is a `BookBan`, an `Unban`
 * a `BookUnban`.
 */
import { escalatedBantime, type BantimeEscalation } from './bantime.js';
import type { Clock, TimerHandle } from './clock.js';
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
  private readonly banned = new Map<string, { ban: BookBan; timer?: TimerHandle }>();
  private readonly banCounts = new Map<string, number>();

  constructor(opts: BanBookOptions) {
    this.opts = opts;
  }

  get size(): number {
    return this.banned.size;
  }

  has(id: string): boolean {
    return this.banned.has(id);
  }

  get(id: string): BookBan | undefined {
    return this.banned.get(id)?.ban;
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
    this.banned.get(id)?.timer?.cancel();
    const entry: { ban: BookBan; timer?: TimerHandle } = { ban };
    if (ban.end !== null) entry.timer = this.opts.clock.setTimer(Math.max(0, ban.end - this.opts.clock.now()), () => this.expire(id));
    this.banned.set(id, entry);
  }

  unban(id: string, reason: BookUnban['reason']): BookUnban | null {
    const entry = this.banned.get(id);
    if (!entry) return null;
    entry.timer?.cancel();
    this.banned.delete(id);
    return { jail: this.opts.jail, id, time: this.opts.clock.now(), reason };
  }

  private expire(id: string): void {
    const entry = this.banned.get(id);
    if (!entry) return;
    // A timer may fire early (a clock that jumped): re-arm until the ban's end has really come.
    if (entry.ban.end === null || entry.ban.end > this.opts.clock.now()) {
      this.restore(entry.ban);
      return;
    }
    const unban = this.unban(id, 'expired');
    if (unban) this.opts.onExpire(unban);
  }

  *bans(): IterableIterator<BookBan> {
    for (const e of this.banned.values()) yield e.ban;
  }

  /** Cancel the timers (stop); the bans stay recorded. */
  dispose(): void {
    for (const e of this.banned.values()) e.timer?.cancel();
  }
}
