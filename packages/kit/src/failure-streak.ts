/**
 * "Report an error once per failure streak, with backoff": a source or action that retries on its
 * own (journalctl restarted, nft re-run, a file polled again, an API asked again) must say what is
 * wrong once, not once per retry, say so again only if the problem changes, say when it works
 * again, and wait longer after each failure. The counting lives here, once; the caller keeps its
 * timers (on its clock) and decides what to log.
 */

/** `firstMs`, doubled per failure of the streak, at most `maxMs`: the wait after the `failures`-th failure (1-based). */
export function backoffDelay(failures: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

/** What a streak was when it ended. */
export interface StreakEnd {
  /** Failures in the streak that just ended (0: there was none). */
  failures: number;
  /** Whether an error of the streak was reported (then say that it works again). */
  reported: boolean;
}

export class FailureStreak {
  private readonly firstMs: number;
  private readonly maxMs: number;
  private count = 0;
  private reportedCode: string | undefined;

  /** Without `backoff`, `delayMs` is 0 (a caller that polls at its own pace). */
  constructor(backoff?: { firstMs: number; maxMs: number }) {
    this.firstMs = backoff?.firstMs ?? 0;
    this.maxMs = backoff?.maxMs ?? 0;
  }

  /** Failures since the last success. */
  get failures(): number {
    return this.count;
  }

  /** Whether an error of the current streak has been reported. */
  get reported(): boolean {
    return this.reportedCode !== undefined;
  }

  /** One more failure; returns the wait before the next attempt. */
  failed(): number {
    this.count++;
    return this.delayMs;
  }

  /** The wait before the next attempt, after the failures so far. */
  get delayMs(): number {
    return this.count === 0 ? this.firstMs : backoffDelay(this.count, this.firstMs, this.maxMs);
  }

  /** True if an error with this code is to be reported: the first of the streak, or a different problem than the last reported. */
  report(code: string): boolean {
    if (this.reportedCode === code) return false;
    this.reportedCode = code;
    return true;
  }

  /** A success: the streak ends (the backoff starts over). */
  succeeded(): StreakEnd {
    const end = { failures: this.count, reported: this.reportedCode !== undefined };
    this.count = 0;
    this.reportedCode = undefined;
    return end;
  }
}

/** One streak per key (a path and an operation, say), for a caller that fails in several places at once. */
export class FailureStreaks {
  private readonly reportedCode = new Map<string, string>();

  /** True if this problem (`code`, or the message) is to be reported for `key`: not reported since its last success. */
  report(key: string, code: string): boolean {
    if (this.reportedCode.get(key) === code) return false;
    this.reportedCode.set(key, code);
    return true;
  }

  /** A success for `key`: its streak ends; true if one of its errors had been reported. */
  succeeded(key: string): boolean {
    return this.reportedCode.size > 0 && this.reportedCode.delete(key);
  }
}
