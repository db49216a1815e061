/**
 * A clock for tests: time moves only when the test says so, and timers due by then fire in order.
 */
import type { Clock, TimerHandle } from '../clock.js';

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: { due: number; seq: number; fn: () => void }[] = [];

  constructor(start: number | string | Date = Date.UTC(2024, 0, 15, 12, 0, 0)) {
    this.time = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { due: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Move time forward by `ms`, firing every timer that falls due (including timers they set). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = target;
  }

  /** Set the time (forward only) and fire what is due. */
  set(to: number | string | Date): void {
    const t = typeof to === 'number' ? to : new Date(to).getTime();
    this.advance(Math.max(0, t - this.time));
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
