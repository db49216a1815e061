/**
 * The tracker decides bans: it counts the failures of each address within `findtime`, bans it for
 * `bantime` when they reach `maxretry`, and ends bans on the clock. A jail owns one and is the only
 * one that talks to it; `Tracker` is the contract (small, so another tracker can replace the default
 * one), `DefaultTracker` the built-in implementation.
 *
 * One journey per line: the filter engine parses the address once and the failure carries it
 * (`Failure.ip`); the tracker keys everything by it and puts it on the `Ban` it returns, which goes
 * to the store and the actions without being parsed again.
 */
import { BanBook, escalatedBantime } from '@f2b/kit';
import type { Clock } from './clock.js';
import { FailingSources, type FailingSource, type WindowFailure } from './failing-sources.js';
import type { IpAddress } from './ip.js';
import type { Ban, Failure, SuccessEvent, Unban } from './types.js';

/** A failure of an address the jail may ban (the jail checked ignoreip, loopback, …). */
export type AddressFailure = Failure & { readonly ip: IpAddress };

/** A success of an address the jail may ban (ignored addresses never reach the tracker). */
export type AddressSuccess = SuccessEvent & { readonly ip: IpAddress };

/** A ban the tracker holds: always with its parsed address. */
export type AddressBan = Ban & { readonly ip: IpAddress };

/** What `Tracker.add` did with a failure; the jail acts on it (store the failure, queue the ban). */
export type TrackOutcome =
  /** Counted into the address's window: `attempts` are now in it (below maxretry). */
  | { readonly kind: 'counted'; readonly attempts: number }
  /** Counted, and the window reached maxretry: this ban starts now (the window is cleared). */
  | { readonly kind: 'banned'; readonly ban: AddressBan }
  /** Not counted: it stands for no attempt, the address is banned already, or it is older than findtime. */
  | { readonly kind: 'dropped'; readonly reason: 'no-attempts' | 'banned' | 'stale' };

/**
 * The tracker contract. Everything is keyed by the parsed address; ids are the address's canonical
 * text (`ip.text`). Expiry is the tracker's own doing (a timer), so it is the one callback.
 */
export interface Tracker {
  /** Count a failure; the jail stores it when counted and carries out a ban it caused. */
  add(failure: AddressFailure): TrackOutcome;
  /**
   * Optional: a filter reported a success of the address (a `success` rule: a login accepted). A
   * tracker may forgive what it counted (the bucket tracker's `cancelOn`); the default one ignores it.
   */
  succeeded?(success: AddressSuccess): void;
  /** Ban now (by hand, recidive): the new ban, with escalated bantime. The caller checks it is not banned. */
  ban(ip: IpAddress, now: number, failures: number, rule?: string, lines?: readonly string[]): AddressBan;
  /** End a ban now (of an address, or the id of a network ban); what happened, or null if there was none. */
  unban(ip: IpAddress | string, reason?: Unban['reason']): Unban | null;
  /**
   * Adopt a ban in force (from the store at start, from the previous jail on reload), arming its end.
   * It has its parsed address, except a network ban (a CIDR id recovered from a firewall).
   */
  restore(ban: Ban): void;
  /** A failure loaded from the store at start: back into its window, without deciding a ban. */
  restoreFailure(ip: IpAddress, time: number, attempts: number): void;
  /** The ban in force for an address, if any. */
  banOf(ip: IpAddress): Ban | undefined;
  /** Bans in force, live (for paging through many). */
  bans(): IterableIterator<Ban>;
  bannedCount(): number;
  /** How many addresses fail now, and the `limit` with the most attempts (most first). */
  failingSummary(limit: number): { count: number; top: FailingSource[] };
  /** Failing addresses and their attempts, live (for paging through many). */
  failingEntries(): Iterator<FailingSource>;
  /**
   * The failures in the window of one address, oldest first (`f2b explain`). Optional: without it,
   * explain shows the failures the store keeps.
   */
  windowOf?(ip: IpAddress): readonly WindowFailure[];
  /** Forget failures that left findtime (called every minute). */
  sweep(): void;
  /** Cancel timers (stop); bans stay recorded. */
  dispose(): void;
}

export interface TrackerOptions {
  jail: string;
  /** Seconds. */
  findtime: number;
  maxretry: number;
  /** Seconds; -1 = permanent. */
  bantime: number;
  clock: Clock;
  /** fail2ban's `bantime.increment`: longer bans for repeat offenders. */
  increment?: BantimeIncrement;
  /** Bans this address had before (from the store, across jails when asked); default: counted here. */
  priorBans?: (id: string) => number;
  /** Random source for `rndtime` (tests). */
  random?: () => number;
  /**
   * Most sources tracked at once (failing and banned). Past it the source that failed least recently
   * is forgotten — never a banned one: a flood of sources bounds memory instead of exhausting it.
   */
  maxTracked?: number;
  /**
   * Keep each window's log lines for the ban record (default true). A jail whose store keeps them
   * with the failure rows (`Store.failureLines`) turns this off: its bans then come without `lines`,
   * and the jail's outbox reads them back from the store.
   */
  keepLines?: boolean;
  /** A failing source was forgotten to stay within `maxTracked`. */
  onEvict?(id: string): void;
  /** A ban reached its end (the only ban news that does not come back from a call). */
  onExpire(unban: Unban): void;
}

export interface BantimeIncrement {
  /** The n-th ban lasts bantime × factor^(n−1) (default factor 2)… */
  factor: number;
  /** …or bantime × multipliers[n−1] (the last multiplier repeats), when given. */
  multipliers?: number[];
  /** Cap, seconds. */
  maxtime: number;
  /** Up to this many random seconds added, so bans of a botnet do not all end together. */
  rndtime: number;
  /** Count the id's bans in every jail, not only this one. */
  overalljails: boolean;
}

/** The ban time, in seconds, of the `count`-th ban (count ≥ 1); -1 stays permanent (in @f2b/kit, for tracker plugins). */
export { escalatedBantime };

/** Lines kept per window for the ban record (`f2b banned`): the most recent ones. */
export const MAX_BAN_LINES = 20;

const NO_ATTEMPTS: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'no-attempts' });
const ALREADY_BANNED: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'banned' });
const STALE: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'stale' });
const NO_LINES: readonly string[] = Object.freeze([]);

/** The built-in tracker: a sliding findtime window per address, bans with escalating bantime. */
export class DefaultTracker implements Tracker {
  private readonly opts: TrackerOptions;
  /** Failing addresses, the one that failed least recently first (the first to forget under a flood). */
  private readonly sources = new FailingSources();
  /** Bans in force by id (the address's text; a network ban's CIDR), their ends and escalation: kit's, shared with tracker plugins. */
  private readonly banned: BanBook;

  constructor(opts: TrackerOptions) {
    this.opts = opts;
    this.banned = new BanBook({
      jail: opts.jail,
      bantime: opts.bantime,
      clock: opts.clock,
      increment: opts.increment,
      priorBans: opts.priorBans,
      random: opts.random,
      onExpire: (u) => opts.onExpire(u),
    });
  }

  add(f: AddressFailure): TrackOutcome {
    if (f.attempts <= 0) return NO_ATTEMPTS;
    if (this.banned.hasAddress(f.ip)) return ALREADY_BANNED;
    const now = this.opts.clock.now();
    const horizon = this.horizon(now);
    // Lines older than findtime (a replayed old log) cannot make a ban now.
    if (f.time < horizon) return STALE;
    const keepLines = this.opts.keepLines ?? true;
    const { total, added } = this.sources.record(f.ip, f.time, f.attempts, keepLines ? f.lines : NO_LINES, horizon);
    if (added) this.evictOverCap();
    if (total < this.opts.maxretry) return { kind: 'counted', attempts: total };
    // The ban record keeps the lines of the failures in the window (not of expired ones), the latest.
    const lines = keepLines ? this.sources.recentLines(f.ip, MAX_BAN_LINES) : undefined;
    this.sources.delete(f.ip);
    return { kind: 'banned', ban: this.ban(f.ip, now, total, f.rule, lines) };
  }

  private horizon(now: number): number {
    return now - this.opts.findtime * 1000;
  }

  private evictOverCap(): void {
    const max = this.opts.maxTracked;
    if (max === undefined) return;
    while (this.sources.size > 0 && this.sources.size + this.banned.size > max) {
      const oldest = this.sources.evictOldest();
      if (oldest !== null) this.opts.onEvict?.(oldest);
    }
  }

  ban(ip: IpAddress, now: number, failures: number, rule?: string, lines?: readonly string[]): AddressBan {
    return this.banned.ban(ip, now, failures, rule, lines);
  }

  restore(ban: Ban): void {
    this.banned.restore(ban);
  }

  restoreFailure(ip: IpAddress, time: number, attempts: number): void {
    if (attempts <= 0 || this.banned.hasAddress(ip)) return;
    const now = this.opts.clock.now();
    if (time < this.horizon(now)) return;
    if (this.sources.record(ip, time, attempts, NO_LINES, this.horizon(now)).added) this.evictOverCap();
  }

  unban(ip: IpAddress | string, reason: Unban['reason'] = 'manual'): Unban | null {
    return this.banned.unban(typeof ip === 'string' ? ip : ip.text, reason);
  }

  /** Attempts in the current window of an address (0 when it is not failing). */
  attemptsOf(ip: IpAddress): number {
    return this.sources.attemptsOf(ip);
  }

  sweep(): void {
    this.sources.sweep(this.horizon(this.opts.clock.now()));
  }

  /** Addresses failing now and their attempts (small trackers: tests, `f2b status` of a few). */
  failing(): Map<string, number> {
    this.sweep();
    const out = new Map<string, number>();
    for (let it = this.failingEntries(), r = it.next(); !r.done; r = it.next()) out.set(r.value.id, r.value.attempts);
    return out;
  }

  failingSummary(limit: number): { count: number; top: FailingSource[] } {
    this.sweep();
    return { count: this.sources.size, top: this.sources.top(limit) };
  }

  failingEntries(): Iterator<FailingSource> {
    return this.sources.entries(this.horizon(this.opts.clock.now()));
  }

  windowOf(ip: IpAddress): readonly WindowFailure[] {
    return this.sources.window(ip, this.horizon(this.opts.clock.now()));
  }

  bans(): IterableIterator<Ban> {
    return this.banned.bans();
  }

  bannedCount(): number {
    return this.banned.size;
  }

  banOf(ip: IpAddress): Ban | undefined {
    return this.banned.getAddress(ip);
  }

  dispose(): void {
    this.banned.dispose();
  }
}

/**
 * `new Tracker(options)` builds the default tracker (the name stays a value for existing callers;
 * as a type it is the contract above).
 */
export const Tracker = DefaultTracker;
