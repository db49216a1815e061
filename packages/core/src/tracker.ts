/**
 * The default tracker: per (jail, failure id), the attempts seen within `findtime`. When they reach
 * `maxretry` the id is banned for `bantime` and its window is cleared. Bans expire on the injected
 * clock, so tests move through time with a fake clock instead of waiting.
 */
import type { Clock, TimerHandle } from './clock.js';
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

/** One entry per failure in the window (times, attempts, lines aligned), oldest first. */
interface Window { times: number[]; attempts: number[]; total: number; lines: (readonly string[])[] }

export class Tracker {
  private readonly opts: TrackerOptions;
  private readonly windows = new Map<string, Window>();
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
    let w = this.windows.get(f.id);
    if (!w) {
      w = { times: [], attempts: [], total: 0, lines: [] };
      this.windows.set(f.id, w);
    }
    expire(w, horizon);
    w.lines.push(f.lines);
    w.times.push(f.time);
    w.attempts.push(f.attempts);
    w.total += f.attempts;
    if (w.total < this.opts.maxretry) return null;
    this.windows.delete(f.id);
    // The ban record keeps the lines of the failures in the window (not of expired ones), the latest.
    return this.ban(f.id, now, w.total, f.rule, w.lines.flat().slice(-MAX_BAN_LINES));
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
    let w = this.windows.get(id);
    if (!w) {
      w = { times: [], attempts: [], total: 0, lines: [] };
      this.windows.set(id, w);
    }
    w.times.push(time);
    w.attempts.push(attempts);
    w.lines.push([]);
    w.total += attempts;
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
    const horizon = this.opts.clock.now() - this.opts.findtime * 1000;
    const out = new Map<string, number>();
    for (const [id, w] of this.windows) {
      expire(w, horizon);
      if (w.total > 0) out.set(id, w.total);
      else this.windows.delete(id);
    }
    return out;
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

function expire(w: Window, horizon: number): void {
  let drop = 0;
  while (drop < w.times.length && w.times[drop]! < horizon) {
    w.total -= w.attempts[drop]!;
    drop++;
  }
  if (drop > 0) {
    w.times.splice(0, drop);
    w.attempts.splice(0, drop);
    w.lines.splice(0, drop);
  }
}
