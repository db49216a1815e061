/**
 * When a jail's checkpoint carries its filter's state (sshd's table of connections half-way through
 * an attempt) besides the read positions: at most once per FILTER_STATE_INTERVAL_MS, and at stop.
 *
 * Why: the read positions go into every checkpoint — a checkpoint per tick in which lines were read
 * — and cost nothing, but the sshd filter's state is up to 10,000 connections (a few MB of JSON
 * written to the store). Saved with every checkpoint of a burst it was most of the daemon's work per
 * line (25,000 lines: ~10 checkpoints × the whole table). What a crash can lose is at most the last
 * interval's connection context (lines of a connection whose first lines came before the crash are
 * then not attributed to it); a clean stop or reload always saves the state of the last line read.
 * A skipped state is saved by a checkpoint the interval's end asks for, so a quiet log's state is
 * never left behind.
 */
import type { Clock, TimerHandle } from './clock.js';

export const FILTER_STATE_INTERVAL_MS = 1_000;

export class FilterStateSaving {
  private lastSaved = -Infinity;
  private trailing: TimerHandle | undefined;

  /** `checkpoint`: asks for a checkpoint (the jail's outbox) when a skipped state becomes due. */
  constructor(
    private readonly clock: Clock,
    private readonly checkpoint: () => void,
  ) {}

  /** Whether the checkpoint being written now takes the filter's state (`force`: the jail stops). */
  due(force: boolean): boolean {
    const now = this.clock.now();
    const wait = this.lastSaved + FILTER_STATE_INTERVAL_MS - now;
    if (force || wait <= 0) {
      this.lastSaved = now;
      this.cancel();
      return true;
    }
    this.trailing ??= this.clock.setTimer(wait, () => {
      this.trailing = undefined;
      this.checkpoint();
    });
    return false;
  }

  cancel(): void {
    this.trailing?.cancel();
    this.trailing = undefined;
  }
}
