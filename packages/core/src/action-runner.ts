/**
 * One action of a jail, with a queue of its own and a deadline per call.
 *
 * An action must never hold its jail hostage: a firewall that answers in milliseconds must not wait
 * behind a remote API that hangs. So each action runs its calls in order (a ban, then its unban) on
 * its own queue, and a call that has not settled by its deadline counts as failed: the jail leaves the
 * work in its durable outbox (retried every 30 s), reports the timeout once per streak, and the
 * action's next call starts. The call that timed out is abandoned, not cancelled — actions are
 * idempotent, so its late success or failure changes nothing.
 */
import type { Clock } from './clock.js';
import { errors, isF2bError } from './errors.js';
import type { ActionInstance } from './plugin.js';

export type ActionCall = (a: ActionInstance) => Promise<void>;

export interface ActionRunnerOptions {
  clock: Clock;
  /** Seconds a call may take, at first. */
  timeout: number;
  /** Report a failure (the jail's error channel). */
  report(err: unknown): void;
  /** Told how each call went: what, how long it took (seconds), whether it succeeded. */
  done?(what: string, seconds: number, ok: boolean): void;
}

export class ActionRunner {
  readonly type: string;
  readonly instance: ActionInstance;
  /** Seconds a call may take (a reload that keeps the action may change it). */
  timeout: number;
  private readonly opts: ActionRunnerOptions;
  private tail: Promise<unknown> = Promise.resolve();
  /** A timeout is reported once until a call succeeds again (a hung API would otherwise log every retry). */
  private timedOut = false;

  constructor(type: string, instance: ActionInstance, opts: ActionRunnerOptions) {
    this.type = type;
    this.instance = instance;
    this.opts = opts;
    this.timeout = opts.timeout;
  }

  /**
   * Run `fn` on the action after its earlier calls. Resolves true when it succeeded, false when it
   * failed or missed its deadline (reported); never rejects.
   */
  run(what: string, fn: ActionCall): Promise<boolean> {
    const result = this.tail.then(() => this.attempt(what, fn));
    this.tail = result;
    return result;
  }

  private attempt(what: string, fn: ActionCall): Promise<boolean> {
    const began = this.opts.clock.now();
    const finish = (ok: boolean) => {
      this.opts.done?.(what, (this.opts.clock.now() - began) / 1000, ok);
    };
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const timer = this.opts.clock.setTimer(this.timeout * 1000, () => {
        if (settled) return;
        settled = true;
        if (!this.timedOut) this.opts.report(errors.F2B_ERR_ACTION_TIMEOUT(this.type, what, this.timeout));
        this.timedOut = true;
        finish(false);
        resolve(false);
      });
      const done = (ok: boolean, err?: unknown) => {
        if (settled) return; // too late: the jail has moved on, and the outbox retries it
        settled = true;
        timer.cancel();
        if (ok) this.timedOut = false;
        // The action's own F2bError says best what is wrong and how to fix it: reported as it is.
        else this.opts.report(isF2bError(err) ? err : errors.F2B_ERR_ACTION(this.type, `${what}: ${err instanceof Error ? err.message : String(err)}`));
        finish(ok);
        resolve(ok);
      };
      let call: Promise<void>;
      try {
        call = fn(this.instance);
      } catch (err) {
        call = Promise.reject(err);
      }
      call.then(
        () => done(true),
        (err: unknown) => done(false, err),
      );
    });
  }
}
