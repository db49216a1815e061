/**
 * The default tracker: per (jail, failure id), the attempts seen within `findtime`. When they reach
 * `maxretry` the id is banned for `bantime` and its window is cleared. Bans expire on the injected
 * clock, so tests move through time with a fake clock instead of waiting.
 */
import type { Clock, TimerHandle } from './clock.js';
import { FailureWindow } from './failure-window.js';
import type { Ban, Failure, Unban } from './types.js';

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
  /** Bans this id had before (from the store, across jails when asked); default: counted here. */
  priorBans?: (id: string) => number;
  /** Random source for `rndtime` (tests). */
  random?: () => number;
  /**
   * Most sources tracked at once (failing and banned). Past it the source that failed least recently
   * is forgotten — never a banned one: a flood of sources bounds memory instead of exhausting it.
   */
  maxTracked?: number;
  /** A failing source was forgotten to stay within `maxTracked`. */
  onEvict?(id: string): void;
  onBan(ban: Ban): void;
  onUnban(unban: Unban): void;
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

/** The ban time, in seconds, of the `count`-th ban (count ≥ 1); -1 stays permanent. */
export function escalatedBantime(base: number, count: number, inc: BantimeIncrement | undefined, random: () => number = Math.random): number {
  if (base < 0 || !inc) return base;
  const n = Math.max(1, count);
  let t = inc.multipliers && inc.multipliers.length > 0
    ? base * inc.multipliers[Math.min(n, inc.multipliers.length) - 1]!
    : base * inc.factor ** Math.min(n - 1, 64);
  if (inc.maxtime > 0) t = Math.min(t, inc.maxtime);
  if (inc.rndtime > 0) t += Math.floor(random() * inc.rndtime);
  return Math.round(t);
}

/** Lines kept per window for the ban record (`f2b banned`): the most recent ones. */
const MAX_BAN_LINES = 20;

export class Tracker {
  private readonly opts: TrackerOptions;
  /** Failing sources, the one that failed least recently first (the first to forget under a flood). */
  private readonly windows = new Map<string, FailureWindow>();
  private readonly bans = new Map<string, { ban: Ban; timer?: TimerHandle }>();
  private readonly banCounts = new Map<string, number>();

  constructor(opts: TrackerOptions) {
    this.opts = opts;
  }

  /** Count a failure; returns the ban it caused, if any. */
  add(f: Failure): Ban | null {
    if (f.attempts <= 0 || this.bans.has(f.id)) return null;
    const now = this.opts.clock.now();
    const horizon = now - this.opts.findtime * 1000;
    // Lines older than findtime (a replayed old log) cannot make a ban now.
    if (f.time < horizon) return null;
    const w = this.record(f.id, f.time, f.attempts, f.lines, horizon);
    if (w.total < this.opts.maxretry) return null;
    this.windows.delete(f.id);
    // The ban record keeps the lines of the failures in the window (not of expired ones), the latest.
    return this.ban(f.id, now, w.total, f.rule, w.recentLines(MAX_BAN_LINES));
  }

  /** Put a failure into its source's window, which becomes the most recently failing one. */
  private record(id: string, time: number, attempts: number, lines: readonly string[], horizon: number): FailureWindow {
    let w = this.windows.get(id);
    if (w) {
      w.expire(horizon);
      w.add(time, attempts, lines);
      this.windows.delete(id); // moved to the end: the Map's order is the order of last failure
      this.windows.set(id, w);
      return w;
    }
    w = new FailureWindow(time, attempts, lines);
    this.windows.set(id, w);
    this.evictOverCap();
    return w;
  }

  private evictOverCap(): void {
    const max = this.opts.maxTracked;
    if (max === undefined) return;
    while (this.windows.size > 0 && this.windows.size + this.bans.size > max) {
      const oldest = this.windows.keys().next().value!;
      this.windows.delete(oldest);
      this.opts.onEvict?.(oldest);
    }
  }

  /** Ban an id now (tracker decision, or `f2b ban`). */
  ban(id: string, now: number, failures: number, rule?: string, lines?: readonly string[]): Ban {
    const prior = this.opts.priorBans ? this.opts.priorBans(id) : (this.banCounts.get(id) ?? 0);
    const count = prior + 1;
    this.banCounts.set(id, count);
    const bantime = escalatedBantime(this.opts.bantime, count, this.opts.increment, this.opts.random);
    const end = bantime < 0 ? null : now + bantime * 1000;
    const ban: Ban = { jail: this.opts.jail, id, start: now, end, count, rule, lines, failures };
    this.restore(ban);
    this.opts.onBan(ban);
    return ban;
  }

  /** Adopt a ban (from the store at start, or `ban()`), arming its expiry. */
  restore(ban: Ban): void {
    this.bans.get(ban.id)?.timer?.cancel();
    const entry: { ban: Ban; timer?: TimerHandle } = { ban };
    if (ban.end !== null) {
      entry.timer = this.opts.clock.setTimer(Math.max(0, ban.end - this.opts.clock.now()), () => this.expire(ban.id));
    }
    this.bans.set(ban.id, entry);
  }

  /** A failure loaded from the store at start: back into its window, without deciding a ban. */
  restoreFailure(id: string, time: number, attempts: number): void {
    this.record(id, time, attempts, NO_LINES, this.opts.clock.now() - this.opts.findtime * 1000);
  }

  unban(id: string, reason: Unban['reason'] = 'manual'): boolean {
    const entry = this.bans.get(id);
    if (!entry) return false;
    entry.timer?.cancel();
    this.bans.delete(id);
    this.opts.onUnban({ jail: this.opts.jail, id, time: this.opts.clock.now(), reason });
    return true;
  }

  private expire(id: string): void {
    const entry = this.bans.get(id);
    if (entry && entry.ban.end !== null && entry.ban.end <= this.opts.clock.now()) this.unban(id, 'expired');
    else if (entry) this.restore(entry.ban);
  }

  /** Ids with failures in the current window, and their attempt totals. */
  failing(): Map<string, number> {
    this.sweep();
    return new Map([...this.windows].map(([id, w]) => [id, w.total]));
  }

  /** Forget expired failures (a minute's housekeeping; allocates nothing). */
  sweep(): void {
    const horizon = this.opts.clock.now() - this.opts.findtime * 1000;
    for (const [id, w] of this.windows) if (w.expire(horizon)) this.windows.delete(id);
  }

  /**
   * How many sources have failures in the current window, and the `limit` with the most attempts,
   * most first (ties by id): one sweep and one pass, however many sources there are.
   */
  failingSummary(limit: number): { count: number; top: { id: string; attempts: number }[] } {
    this.sweep();
    const top: { id: string; attempts: number }[] = [];
    const worse = (a: { id: string; attempts: number }, b: { id: string; attempts: number }) => b.attempts - a.attempts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    for (const [id, w] of this.windows) {
      if (top.length === limit && worse({ id, attempts: w.total }, top[top.length - 1]!) >= 0) continue;
      const item = { id, attempts: w.total };
      let i = top.length;
      while (i > 0 && worse(item, top[i - 1]!) < 0) i--;
      top.splice(i, 0, item);
      if (top.length > limit) top.pop();
    }
    return { count: this.windows.size, top };
  }

  /** Failing sources and their attempts, live (for paging through many). */
  *failingEntries(): Generator<{ id: string; attempts: number }> {
    const horizon = this.opts.clock.now() - this.opts.findtime * 1000;
    for (const [id, w] of this.windows) if (!w.expire(horizon)) yield { id, attempts: w.total };
  }

  /** Bans in force, live (for paging through many). */
  *banEntries(): Generator<Ban> {
    for (const e of this.bans.values()) yield e.ban;
  }

  bannedCount(): number {
    return this.bans.size;
  }

  /** The ban in force for an id, if any. */
  banOf(id: string): Ban | undefined {
    return this.bans.get(id)?.ban;
  }

  activeBans(): Ban[] {
    return [...this.bans.values()].map((e) => e.ban);
  }

  isBanned(id: string): boolean {
    return this.bans.has(id);
  }

  /** Cancel timers (stop). Bans stay recorded for the caller. */
  dispose(): void {
    for (const e of this.bans.values()) e.timer?.cancel();
  }
}

const NO_LINES: readonly string[] = Object.freeze([]);
