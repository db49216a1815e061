/**
 * The failures a jail's checkpoints wrote lately, by address: what the store would answer for a
 * ban's window lines (`Store.failureLines`), kept in memory for the addresses a burst bans a tick
 * after their first failures were saved. Asked for each of 416 such bans, the store took 15–27 ms
 * of the batch; from here they cost nothing.
 *
 * Only an answer, never the truth: the outbox takes a window from here when the attempts found
 * (with those of the ban's own batch) are all the ban counted, and asks the store otherwise — after
 * a restart, or when this was emptied (it is, all at once, at LIMIT failures: a flood of addresses
 * that are never banned must not pile up here).
 */
import type { Failure } from './types.js';

/**
 * A burst's second batch needs the failures its first wrote for the addresses not banned yet (1,700
 * of 1,000 addresses' 25 lines); a flood of a million distinct sources, each failing once, held
 * 15 MB more at 20,000 (and twice that at its peak).
 */
const LIMIT = 5_000;

export class RecentFailures {
  private byId = new Map<string, Failure[]>();
  private count = 0;

  constructor(private readonly limit = LIMIT) {}

  /** Failures a checkpoint wrote (those without attempts are no rows). */
  add(failures: readonly { failure: Failure }[]): void {
    for (const { failure } of failures) {
      if (failure.attempts <= 0) continue;
      if (this.count >= this.limit) this.clear();
      const list = this.byId.get(failure.id);
      if (list) list.push(failure);
      else this.byId.set(failure.id, [failure]);
      this.count++;
    }
  }

  /**
   * The address's failures since `since` (its window), oldest first as the store orders them, and
   * forgets them all: the ban that asks clears the window. undefined when none are known.
   */
  take(id: string, since: number): Failure[] | undefined {
    const list = this.drop(id);
    if (list === undefined) return undefined;
    // Stable: failures of one time stay in the order written, as the store's rowid keeps them.
    return list.filter((f) => f.time >= since).sort((a, b) => a.time - b.time);
  }

  /** Forget an address (its window was cleared); what was known of it. */
  drop(id: string): Failure[] | undefined {
    const list = this.byId.get(id);
    if (list === undefined) return undefined;
    this.byId.delete(id);
    this.count -= list.length;
    return list;
  }

  clear(): void {
    this.byId = new Map();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }
}
