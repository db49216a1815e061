/**
 * WAL checkpoints when the daemon is quiet, not inside the commit a ban waits for.
 *
 * SQLite copies the WAL back into the database file ("checkpoint") by itself once the WAL holds
 * 1,000 pages, inside the commit that crossed the mark, and a checkpoint waits for the disk twice
 * (the WAL, then the database file) even with `synchronous: normal`. That commit is the checkpoint of
 * a jail's batch, which its bans wait for before they reach the firewall: every ~60th lone ban waited
 * 8–45 ms for it (the p99 from attack line to kernel set). So the store's connection checkpoints by
 * itself only past `HARD_LIMIT_PAGES` (a flood that never pauses), and otherwise a PASSIVE checkpoint
 * runs once nothing was written for `QUIET_MS`: attacks come in bursts, and the copy then happens
 * between them. (A worker thread with a connection of its own did the same off the event loop, but
 * a second V8 isolate and SQLite connection cost the daemon 25 MiB of resident memory — a quarter of
 * a daemon holding 100,000 bans.) Durability is the same: a commit is durable in the WAL, a
 * checkpoint only moves it.
 */
/* eslint-disable no-restricted-globals -- Node's timer on purpose: it paces a housekeeping copy of
 * the database file, not a time f2b reasons about (bans, expiry, findtime).
 */

/** Quiet time after the last write before the WAL is copied into the database file. */
export const QUIET_MS = 1_000;
/** WAL pages at which a commit checkpoints by itself (SQLite's default is 1,000): 40 MiB of 4 KiB pages. */
export const HARD_LIMIT_PAGES = 10_000;

export interface WalCheckpointResult {
  /** 1 if the checkpoint could not run to the end (a reader or the writer held what it needed). */
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export class WalCheckpointer {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Checkpoints completed (tests, diagnostics). */
  completed = 0;

  /** @param run a PASSIVE checkpoint on the store's connection (it throws when the store is gone) */
  constructor(private readonly run: () => WalCheckpointResult) {}

  /** Something was committed: checkpoint once nothing more was written for QUIET_MS. */
  wrote(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.checkpointNow();
    }, QUIET_MS);
    // An idle store must not keep the process alive for a copy the close does anyway.
    this.timer.unref();
  }

  /** Checkpoint now; resolves with the result (undefined once closed, or when SQLite refused). */
  async checkpointNow(): Promise<WalCheckpointResult | undefined> {
    if (this.closed) return undefined;
    try {
      const r = this.run();
      this.completed++;
      return r;
    } catch {
      return undefined; // the store reports its own errors on its next use
    }
  }

  /** No more checkpoints (the store's close folds the WAL in). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
