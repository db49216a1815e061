/**
 * At most `requests` requests in any window of `perSeconds`, on the action's clock; a 429 pauses
 * every request of the instance until its Retry-After has passed.
 */
import type { Clock } from '@f2b/core';

export class WindowLimiter {
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly requests: number,
    private readonly windowMs: number,
  ) {}

  /** Resolves when one more request may go (first come, first served). */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn.catch(() => {});
    return turn;
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs) this.sent.shift();
      const until = Math.max(this.pausedUntil, this.sent.length >= this.requests ? this.sent[0]! + this.windowMs : 0);
      if (until <= now) {
        this.sent.push(now);
        return;
      }
      await sleep(this.clock, until - now);
    }
  }
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(ms, resolve);
  });
}
