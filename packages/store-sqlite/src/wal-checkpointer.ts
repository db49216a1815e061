/**
 * WAL checkpoints in a worker thread, off the daemon's event loop.
 *
 * SQLite copies the WAL back into the database file ("checkpoint") by itself once the WAL holds
 * 1,000 pages, inside the commit that crossed the mark, and a checkpoint waits for the disk twice
 * (the WAL, then the database file) even with `synchronous: normal`. That commit is the checkpoint of
 * a jail's batch, which its bans wait for before they reach the firewall: every ~60th lone ban waited
 * 8–19 ms for it (the p99 from attack line to kernel set). So the store's connection never
 * checkpoints (`wal_autocheckpoint = 0`); a second connection in a worker thread runs a PASSIVE
 * checkpoint (which never blocks the writer) about once a second while something is being written.
 * Durability is the same: a commit is durable in the WAL, a checkpoint only moves it.
 *
 * A worker that cannot start or dies hands the checkpoints back to SQLite (`restore`): the WAL never
 * grows without bound.
 */
/* eslint-disable no-restricted-globals -- Node's timer on purpose: it paces a housekeeping copy of
 * the database file, not a time f2b reasons about (bans, expiry, findtime).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How soon after a write the WAL is checkpointed (at most once per this). */
const CHECKPOINT_DELAY_MS = 1_000;

/** The worker's code: one connection, one PASSIVE checkpoint per request, its result posted back. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
});
`;

export interface WalCheckpointResult {
  /** 1 if the checkpoint could not run to the end (a reader or the writer held what it needed). */
  busy: number;
  /** Frames in the WAL, and how many of them are now in the database file. */
  log: number;
  checkpointed: number;
}

export class WalCheckpointer {
  private worker: Worker | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiting: ((r: WalCheckpointResult | undefined) => void)[] = [];
  private closing = false;
  /** Checkpoints the worker completed (tests, diagnostics). */
  completed = 0;

  /**
   * @param path the database file (already open in WAL mode by the store's connection)
   * @param restore gives the checkpoints back to the store's connection (worker lost)
   */
  constructor(
    path: string,
    private readonly restore: () => void,
  ) {
    let worker: Worker;
    try {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
    } catch {
      restore();
      return;
    }
    this.worker = worker;
    // An idle store must not keep the process alive; a checkpoint asked for holds a timer that does not either.
    worker.unref();
    worker.on('message', (m: WalCheckpointResult | { error: string }) => {
      if (!('error' in m)) this.completed++;
      for (const resolve of this.waiting.splice(0)) resolve('error' in m ? undefined : m);
    });
    worker.on('error', () => this.lost(worker));
    worker.on('exit', () => this.lost(worker));
  }

  /** Something was committed: checkpoint within CHECKPOINT_DELAY_MS. */
  wrote(): void {
    if (this.worker === undefined || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.worker?.postMessage('checkpoint');
    }, CHECKPOINT_DELAY_MS);
    this.timer.unref();
  }

  /** Checkpoint now; resolves with the result (undefined without a worker or on an error). */
  checkpointNow(): Promise<WalCheckpointResult | undefined> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve(undefined);
    worker.ref(); // awaited: keeps the process alive until the answer
    return new Promise((resolve) => {
      this.waiting.push((r) => {
        if (this.waiting.length === 0) this.worker?.unref();
        resolve(r);
      });
      worker.postMessage('checkpoint');
    });
  }

  /** Close the worker's connection (before the store's own: the last one to close checkpoints). */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Awaited: the process must live until the worker has closed its connection.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private lost(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    if (!this.closing) this.restore();
  }
}
