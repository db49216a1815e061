/**
 * The health of an action that keeps kernel state right on its own (nftables, ipset, routes): its
 * failure streak — reported once, retried with backoff, "works again" said once — and the two
 * timers that keep the state right, the retry after a failure and the periodic check. Every timer
 * runs on the clock it is given (the core's: `ctx.clock`, a `FakeClock` in tests). What a retry
 * and a check do stays with the action.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { F2bError } from './errors.js';
import { FailureStreak } from './failure-streak.js';

/** What the health reads of an action's context (an `ActionContext` is one). */
export interface HealthContext {
  readonly clock: Clock;
  error(err: unknown): void;
  readonly logger: { debug(msg: string): void; info(msg: string): void };
}

export interface ActionHealthOptions {
  /** Names the action in its log lines: `nft`, `ipset action for f2b-sshd`. */
  name: string;
  /** The wait before the first retry, doubled per failure up to `retryMaxDelayMs`. */
  retryDelayMs: number;
  retryMaxDelayMs: number;
  /** Between periodic checks; 0: none. */
  checkIntervalMs: number;
}

export class ActionHealth {
  private readonly ctx: HealthContext;
  private readonly opts: ActionHealthOptions;
  /** Failed runs since the last success: what was reported, and the retry delay. */
  private readonly streak: FailureStreak;
  private retryTimer?: TimerHandle;
  private checkTimer?: TimerHandle;
  private checking = false;
  private stopped = false;

  constructor(ctx: HealthContext, opts: ActionHealthOptions) {
    this.ctx = ctx;
    this.opts = opts;
    this.streak = new FailureStreak({ firstMs: opts.retryDelayMs, maxMs: opts.retryMaxDelayMs });
  }

  /** Now, on the clock. */
  now(): number {
    return this.ctx.clock.now();
  }

  /** Failures since the last success. */
  get failures(): number {
    return this.streak.failures;
  }

  /** A retry is due (it checks first: the periodic check can wait). */
  get retryDue(): boolean {
    return this.retryTimer !== undefined;
  }

  /** One more failure: reported if it is the first of the streak (or another problem), else logged at debug. */
  failed(error: F2bError): void {
    this.streak.failed();
    if (this.streak.report(error.code)) this.ctx.error(error);
    else this.ctx.logger.debug(`${this.opts.name} still failing (${error.code}); attempt ${this.streak.failures}.`);
  }

  /** Whether `error` is news (not what the streak reported already); it counts as reported after. */
  isNews(error: F2bError): boolean {
    return this.streak.report(error.code);
  }

  /** Everything queued reached the kernel: the streak ends (said once if it had been reported), no retry is due. */
  healthy(): void {
    const end = this.streak.succeeded();
    if (end.reported) {
      this.ctx.logger.info(`${this.opts.name} works again (after ${end.failures} failed attempt(s)); queued bans and unbans have been applied.`);
    }
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  /** Run `retry` after the streak's backoff (once, however often asked meanwhile). */
  scheduleRetry(retry: () => void): void {
    if (this.retryTimer !== undefined) return;
    this.retryTimer = this.ctx.clock.setTimer(this.streak.delayMs, () => {
      this.retryTimer = undefined;
      retry();
    });
  }

  /**
   * Run `check` every checkInterval (none when it is 0) until `stop`. The next check is armed when
   * this one is done, so checks never pile up behind a slow one; while a retry is due (a retry
   * checks first) the check waits for the next interval. A check's error goes to `ctx.error`.
   */
  armCheck(check: () => Promise<unknown>): void {
    this.checkTimer?.cancel();
    this.checkTimer = undefined;
    if (this.opts.checkIntervalMs <= 0) return;
    this.checkTimer = this.ctx.clock.setTimer(this.opts.checkIntervalMs, () => {
      this.checkTimer = undefined;
      if (this.retryTimer !== undefined || this.checking) return this.armCheck(check);
      this.checking = true;
      void check()
        .catch((err: unknown) => this.ctx.error(err))
        .finally(() => {
          this.checking = false;
          if (this.checkTimer === undefined && !this.stopped) this.armCheck(check);
        });
    });
    this.stopped = false;
  }

  /** Cancel the timers (the action stops); `armCheck` starts them again. */
  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.checkTimer?.cancel();
    this.retryTimer = this.checkTimer = undefined;
  }
}
