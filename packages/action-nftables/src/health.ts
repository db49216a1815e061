/**
 * Health of one action instance: the failure streak (reported once, retried with backoff), and the
 * timers that keep the table right — the retry, the periodic check, and the debounced repair after
 * `nft monitor` saw someone else change the table. Every timer runs on the context's clock.
 */
import type { ActionContext, F2bError } from '@f2b/core';
import { FailureStreak, systemClock, type Clock, type TimerHandle } from '@f2b/kit';
import type { NftConfig } from './options.js';

/** Changes reported by the monitor within this many ms are repaired in one check. */
const DAMAGE_DEBOUNCE_MS = 10;

export class NftHealth {
  private readonly ctx: ActionContext;
  private readonly clock: Clock;
  private readonly checkIntervalMs: number;
  /** Failed nft runs since the last success: what was reported, and the retry delay. */
  private readonly streak: FailureStreak;
  private retryTimer?: TimerHandle;
  private checkTimer?: TimerHandle;
  private damageTimer?: TimerHandle;

  constructor(config: NftConfig, ctx: ActionContext) {
    this.ctx = ctx;
    this.clock = ctx.clock ?? systemClock;
    this.checkIntervalMs = config.checkIntervalMs;
    this.streak = new FailureStreak({ firstMs: config.retryDelayMs, maxMs: config.retryMaxDelayMs });
  }

  /** A retry is due (it checks first: the periodic check can wait). */
  get retryDue(): boolean {
    return this.retryTimer !== undefined;
  }

  /** One more failure: reported if it is the first of the streak (or another problem). */
  failed(error: F2bError): void {
    this.streak.failed();
    if (this.streak.report(error.code)) {
      this.ctx.error(error);
    } else {
      this.ctx.logger.debug(`nft still failing (${error.code}); attempt ${this.streak.failures}.`);
    }
  }

  /** Whether `error` is news (not what the streak reported already). */
  isNews(error: F2bError): boolean {
    return this.streak.report(error.code);
  }

  /** Everything queued reached the kernel: the streak ends. */
  healthy(): void {
    const streak = this.streak.succeeded();
    if (streak.reported) {
      this.ctx.logger.info(`nft works again (after ${streak.failures} failed attempt(s)); queued bans and unbans have been applied.`);
    }
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  /** Run `retry` after the streak's backoff (once, however often asked meanwhile). */
  scheduleRetry(retry: () => void): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimer(this.streak.delayMs, () => {
      this.retryTimer = undefined;
      retry();
    });
  }

  /** Run `check` every checkInterval (none when it is 0). */
  armCheck(check: () => void): void {
    this.checkTimer?.cancel();
    this.checkTimer = undefined;
    if (this.checkIntervalMs <= 0) return;
    this.checkTimer = this.clock.setTimer(this.checkIntervalMs, () => {
      this.armCheck(check);
      check();
    });
  }

  /** Run `repair` soon, once for a burst of changes. */
  repairSoon(repair: () => void): void {
    if (this.damageTimer !== undefined) return;
    this.damageTimer = this.clock.setTimer(DAMAGE_DEBOUNCE_MS, () => {
      this.damageTimer = undefined;
      repair();
    });
  }

  /** Now, on the clock. */
  now(): number {
    return this.clock.now();
  }

  stop(): void {
    this.retryTimer?.cancel();
    this.checkTimer?.cancel();
    this.damageTimer?.cancel();
    this.retryTimer = this.checkTimer = this.damageTimer = undefined;
  }
}
