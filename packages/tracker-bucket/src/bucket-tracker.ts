/**
 * The leaky-bucket tracker (CrowdSec's model), one bucket per address. Every counted failure pours
 * its attempts into the address's bucket, which leaks one unit per `leakspeed`; the address is
 * banned when its bucket overflows, i.e. holds more than `capacity`. So a burst of `capacity + 1`
 * failures bans at once, and a sustained rate above one failure per `leakspeed` bans sooner or later,
 * however slow the attacker goes — where a findtime window forgets whatever lies outside it.
 *
 * - `distinct`: only failures with a new value of that capture are poured (a user name not tried
 *   yet from this address: "6 different users"), each as one unit;
 * - `cancelOn`: a success reported by one of these rules (sshd's `accepted`) empties the bucket;
 * - `quiet`: after a ban, the address's failures are not counted for this long (CrowdSec's blackhole):
 *   lines still in flight after an unban by hand do not ban it again at once.
 *
 * Bans, their expiry and escalation are the default tracker's (kit's BanBook, which the core's
 * DefaultTracker keeps its bans in too); memory is bounded by the
 * jail's `maxTracked` the same way: past it the bucket poured into least recently is forgotten.
 */
import { BanBook, type IpAddress } from '@f2b/kit';
import type { AddressBan, AddressFailure, AddressSuccess, Ban, FailingSource, TrackOutcome, TrackerContext, TrackerInstance, Unban } from '@f2b/core';
import { Buckets, type Bucket } from './buckets.js';

export interface BucketSettings {
  /** Units a bucket holds; one more overflows it (a ban). */
  capacity: number;
  /** Seconds one unit takes to leak out. */
  leakspeed: number;
  /** Count only distinct values of this capture (e.g. `user`). */
  distinct?: string;
  /** Rule ids whose successes empty the address's bucket. */
  cancelOn: readonly string[];
  /** Seconds after a ban during which the address's failures are not counted. */
  quiet: number;
}

/** Lines kept per bucket for the ban record (as the core's MAX_BAN_LINES). */
const MAX_BAN_LINES = 20;

const NO_ATTEMPTS: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'no-attempts' });
const ALREADY_BANNED: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'banned' });
const STALE: TrackOutcome = Object.freeze({ kind: 'dropped', reason: 'stale' });

export class BucketTracker implements TrackerInstance {
  readonly settings: BucketSettings;
  private readonly ctx: TrackerContext;
  private readonly buckets: Buckets;
  private readonly book: BanBook;
  /** Addresses in their quiet period after a ban: until when (epoch ms), in the order of their bans. */
  private readonly quietUntil = new Map<string, number>();
  private readonly cancelOn: ReadonlySet<string>;
  private readonly leakMs: number;
  /** The time a full bucket takes to drain: older failures cannot make it overflow now. */
  private readonly drainMs: number;

  constructor(settings: BucketSettings, ctx: TrackerContext) {
    this.settings = settings;
    this.ctx = ctx;
    this.leakMs = settings.leakspeed * 1000;
    this.drainMs = Math.max(1, settings.capacity) * this.leakMs;
    this.buckets = new Buckets(this.leakMs);
    this.cancelOn = new Set(settings.cancelOn);
    this.book = new BanBook({
      jail: ctx.jail,
      bantime: ctx.bantime,
      clock: ctx.clock,
      increment: ctx.increment,
      priorBans: ctx.priorBans,
      random: ctx.random,
      onExpire: (u) => ctx.onExpire(u),
    });
  }

  add(f: AddressFailure): TrackOutcome {
    if (f.attempts <= 0) return NO_ATTEMPTS;
    const id = f.ip.text;
    if (this.book.hasAddress(f.ip)) return ALREADY_BANNED;
    const now = this.ctx.clock.now();
    if (f.time < now - this.drainMs) return STALE;
    if (this.inQuiet(id, now)) return ALREADY_BANNED;
    let units = f.attempts;
    const key = this.settings.distinct;
    if (key !== undefined) {
      const value = f.captures[key];
      // Without the capture there is nothing distinct to count (a probe that named no user).
      if (value === undefined) return NO_ATTEMPTS;
      const existing = this.buckets.get(id);
      if (existing?.seen?.has(value) && (existing.seen.get(value) ?? 0) >= f.time - this.drainMs) return NO_ATTEMPTS;
      units = 1;
    }
    const b = this.buckets.touch(f.ip, f.time);
    if (key !== undefined) this.remember(b, f.captures[key]!, f.time);
    b.level += units;
    b.poured += f.attempts;
    if (this.ctx.keepLines ?? true) keepLines(b, f.lines);
    if (b.level <= this.settings.capacity) {
      this.evictOverCap();
      return { kind: 'counted', attempts: Math.ceil(b.level - 1e-9) };
    }
    this.buckets.delete(id);
    const ban = this.ban(f.ip, now, b.poured, f.rule, (this.ctx.keepLines ?? true) ? (b.lines ?? []) : undefined);
    return { kind: 'banned', ban };
  }

  /** A success of one of the `cancelOn` rules empties the address's bucket (a ban in force stays). */
  succeeded(s: AddressSuccess): void {
    if (this.cancelOn.has(s.rule)) this.buckets.delete(s.ip.text);
  }

  /** A distinct value counted now; values older than the drain time are forgotten (they leaked out). */
  private remember(b: Bucket, value: string, time: number): void {
    const seen = (b.seen ??= new Map());
    seen.delete(value);
    seen.set(value, time);
    for (const [v, t] of seen) {
      if (t >= time - this.drainMs) break;
      seen.delete(v);
    }
  }

  private inQuiet(id: string, now: number): boolean {
    const until = this.quietUntil.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.quietUntil.delete(id);
    return false;
  }

  private evictOverCap(): void {
    const max = this.ctx.maxTracked;
    if (max === undefined) return;
    while (this.buckets.size > 0 && this.buckets.size + this.book.size > max) {
      const id = this.buckets.evictOldest();
      if (id !== null) this.ctx.onEvict?.(id);
    }
  }

  ban(ip: IpAddress, now: number, failures: number, rule?: string, lines?: readonly string[]): AddressBan {
    this.buckets.delete(ip.text);
    if (this.settings.quiet > 0) {
      this.quietUntil.delete(ip.text);
      this.quietUntil.set(ip.text, now + this.settings.quiet * 1000);
    }
    return this.book.ban(ip, now, failures, rule, lines);
  }

  unban(ip: IpAddress | string, reason: Unban['reason'] = 'manual'): Unban | null {
    return this.book.unban(typeof ip === 'string' ? ip : ip.text, reason);
  }

  restore(ban: Ban): void {
    this.book.restore(ban);
  }

  /** A failure from the store: poured back (it was counted, and distinct, when it was stored). */
  restoreFailure(ip: IpAddress, time: number, attempts: number): void {
    if (attempts <= 0 || this.book.hasAddress(ip)) return;
    const now = this.ctx.clock.now();
    if (time < now - this.drainMs) return;
    const b = this.buckets.touch(ip, time);
    b.level += this.settings.distinct !== undefined ? 1 : attempts;
    b.poured += attempts;
    this.evictOverCap();
  }

  banOf(ip: IpAddress): Ban | undefined {
    return this.book.getAddress(ip);
  }

  bans(): IterableIterator<Ban> {
    return this.book.bans();
  }

  bannedCount(): number {
    return this.book.size;
  }

  /** The level of an address's bucket now (0 when it has none): for tests and status. */
  levelOf(ip: IpAddress): number {
    const b = this.buckets.get(ip.text);
    return b ? this.buckets.levelAt(b, this.ctx.clock.now()) : 0;
  }

  failingSummary(limit: number): { count: number; top: FailingSource[] } {
    this.sweep();
    const top: FailingSource[] = [];
    for (let it = this.failingEntries(), r = it.next(); !r.done; r = it.next()) {
      if (limit <= 0) break;
      // Kept sorted, most first; a status lists a hundred at most.
      const at = top.findIndex((t) => t.attempts < r.value.attempts);
      if (at === -1) {
        if (top.length < limit) top.push(r.value);
      } else {
        top.splice(at, 0, r.value);
        if (top.length > limit) top.pop();
      }
    }
    return { count: this.buckets.size, top };
  }

  /** Addresses whose buckets hold something, and how much (rounded up), live. */
  *failingEntries(): Generator<FailingSource> {
    const now = this.ctx.clock.now();
    for (const b of this.buckets.values()) {
      const level = this.buckets.levelAt(b, now);
      if (level > 0) yield { id: b.ip.text, attempts: Math.ceil(level - 1e-9) };
    }
  }

  sweep(): void {
    const now = this.ctx.clock.now();
    this.buckets.sweep(now, this.drainMs);
    for (const [id, until] of this.quietUntil) {
      if (until > now) break;
      this.quietUntil.delete(id);
    }
  }

  dispose(): void {
    this.book.dispose();
  }
}

function keepLines(b: Bucket, lines: readonly string[]): void {
  const kept = (b.lines ??= []);
  for (const l of lines) kept.push(l);
  if (kept.length > MAX_BAN_LINES) kept.splice(0, kept.length - MAX_BAN_LINES);
}
