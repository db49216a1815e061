/**
 * Whether the state store takes writes, as seen by the jails' checkpoints. One per daemon, shared by
 * its jails: the first failed checkpoint logs an error (with the fix) and marks the store
 * unavailable; while it stays so, a reminder is logged at most once a minute; the first checkpoint
 * that commits everything a jail had queued logs the recovery. `f2b status` shows `snapshot()`, and
 * its counters are what a metrics exporter reads.
 */
import { errors, messageOf } from './errors.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

export interface StoreHealthSnapshot {
  /** False from a failed checkpoint until every queued checkpoint is saved. */
  available: boolean;
  /** Since when it is unavailable (epoch ms). */
  since?: number;
  /** The last write error. */
  error?: string;
  /** Checkpoints queued in memory, all jails (a gauge). */
  pendingCheckpoints: number;
  /** Bans and unbans in those checkpoints (a gauge). */
  unsavedDecisions: number;
  /** Checkpoint writes that failed since start (a counter). */
  failedWrites: number;
}

const REMIND_MS = 60_000;

export class StoreHealth {
  private available = true;
  private since?: number;
  private lastError?: string;
  private failedWrites = 0;
  private lastReminder = 0;
  private readonly pending = new Map<string, { checkpoints: number; decisions: number }>();
  private readonly location: () => string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly report: (err: unknown, jail: string) => void;

  constructor(opts: { location: () => string; logger: Logger; clock: Clock; report: (err: unknown, jail: string) => void }) {
    this.location = opts.location;
    this.logger = opts.logger;
    this.clock = opts.clock;
    this.report = opts.report;
  }

  /** A jail's checkpoint failed; it keeps `checkpoints` queued holding `decisions` bans/unbans. */
  failed(jail: string, err: unknown, checkpoints: number, decisions: number): void {
    this.failedWrites++;
    this.pending.set(jail, { checkpoints, decisions });
    this.lastError = messageOf(err);
    const now = this.clock.now();
    if (this.available) {
      this.available = false;
      this.since = now;
      this.lastReminder = now;
      this.report(errors.F2B_ERR_STATE_UNAVAILABLE(this.location(), err), jail);
    } else if (now - this.lastReminder >= REMIND_MS) {
      this.lastReminder = now;
      const s = this.snapshot();
      this.logger.warn(
        `The state store is still unavailable (${this.lastError}); ${s.pendingCheckpoints} checkpoint(s) with ${s.unsavedDecisions} ban(s)/unban(s) are kept in memory and retried.`,
      );
    }
  }

  /** A jail saved everything it had queued. */
  saved(jail: string, decisions: number): void {
    this.pending.delete(jail);
    if (this.available || this.pending.size > 0) return;
    this.available = true;
    const down = Math.round((this.clock.now() - (this.since ?? this.clock.now())) / 1000);
    this.since = undefined;
    this.logger.info(
      `The state store accepts writes again after ${down} s; the queued checkpoints are saved${decisions ? ` (the last with ${decisions} ban(s)/unban(s))` : ''}.`,
    );
  }

  /** A jail went away (reload, stop): what it still had queued is no longer counted here. */
  forget(jail: string): void {
    this.pending.delete(jail);
  }

  snapshot(): StoreHealthSnapshot {
    let checkpoints = 0,
      decisions = 0;
    for (const p of this.pending.values()) {
      checkpoints += p.checkpoints;
      decisions += p.decisions;
    }
    return {
      available: this.available,
      ...(this.since !== undefined ? { since: this.since } : {}),
      ...(!this.available && this.lastError ? { error: this.lastError } : {}),
      pendingCheckpoints: checkpoints,
      unsavedDecisions: decisions,
      failedWrites: this.failedWrites,
    };
  }
}
