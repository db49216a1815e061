/**
 * A token bucket sized so that it can never exceed Cloudflare's window limit: at most `requests`
 * requests in ANY window of `perSeconds`. A plain bucket of capacity N refilling at N/T allows 2N in
 * a window (a full bucket plus a window of refill); here the capacity B is a small burst (5 % of N)
 * and the refill rate is (N - B) / T, so a window sees at most B + (N - B) = N.
 *
 * Waiters are served first come, first served. A 429 from Cloudflare pauses the bucket for the
 * `Retry-After` time and empties it, so every concurrent caller waits, not just the one that was told.
 */
import { systemClock, type Clock, type TimerHandle } from '@f2b/kit';
import { cfErrors } from './errors.js';

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class TokenBucket {
  readonly capacity: number;
  /** Tokens per millisecond. */
  readonly rate: number;
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly waiters: Waiter[] = [];
  private timer?: TimerHandle;
  private readonly clock: Clock;
  /** The latest time read: a wall clock set back moves `last` and the pause back with it (no stall for the jump). */
  private seen: number;

  /** `clock`: the core's (a `FakeClock` in tests), which the refill and the pause after a 429 are measured on. */
  constructor(requests: number, perSeconds: number, clock: Clock = systemClock) {
    const n = Math.max(2, Math.floor(requests));
    this.capacity = Math.max(1, Math.min(n - 1, Math.floor(n / 20)));
    this.rate = (n - this.capacity) / (perSeconds * 1000);
    this.tokens = this.capacity;
    this.clock = clock;
    this.last = this.seen = clock.now();
  }

  /** Resolves when the caller may send one request. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(cfErrors.F2B_ERR_CF_STOPPED());
    if (this.waiters.length === 0 && this.tryTake()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(cfErrors.F2B_ERR_CF_STOPPED());
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      this.pump();
    });
  }

  /** Cloudflare said 429: nobody sends before `until` (ms on this bucket's clock), and then slowly. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    // Empty, and refilling only from the end of the pause: no burst right after it.
    this.tokens = 0;
    this.last = this.pausedUntil;
    this.pump();
  }

  /** Milliseconds a pause still lasts (0 when not paused). */
  pausedFor(): number {
    const now = this.now();
    return Math.max(0, this.pausedUntil - now);
  }

  private now(): number {
    const now = this.clock.now();
    if (now < this.seen) {
      const back = this.seen - now;
      this.last -= back;
      if (this.pausedUntil > 0) this.pausedUntil -= back;
    }
    this.seen = now;
    return now;
  }

  /** Requests queued for a token. */
  get queued(): number {
    return this.waiters.length;
  }

  private tryTake(): boolean {
    const now = this.now();
    if (now < this.pausedUntil) return false;
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.last) * this.rate);
    this.last = Math.max(this.last, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private pump(): void {
    if (this.timer) {
      this.timer.cancel();
      this.timer = undefined;
    }
    while (this.waiters.length > 0) {
      if (!this.tryTake()) {
        const now = this.now();
        const wait = now < this.pausedUntil ? this.pausedUntil - now : (1 - this.tokens) / this.rate;
        this.timer = this.clock.setTimer(Math.max(1, Math.ceil(wait)), () => this.pump());
        return;
      }
      const w = this.waiters.shift()!;
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }
}
