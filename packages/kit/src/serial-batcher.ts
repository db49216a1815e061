/**
 * How a kernel action talks to its program (nft, ipset, ip): one run at a time per action instance
 * (`serial`), and one flush for everything marked in the same turn — and while a run is under way —
 * so a burst of bans becomes one batch, without waiting on a timer.
 *
 * The flush starts in a microtask, at the end of the code that marked the work, not in the next turn
 * of the event loop (setImmediate): that turn first runs every I/O callback due meanwhile (other
 * files' reads, the log's writes, timers), 0.5 ms at the median and several at the 99th percentile
 * on a loaded machine, between a ban's checkpoint and its nft transaction. Work marked during a run
 * still waits for it and goes out as the next batch, which is where a burst coalesces.
 */
export class SerialBatcher {
  private queue: Promise<unknown> = Promise.resolve();
  private scheduled: Promise<void> | null = null;

  /**
   * @param flush writes everything marked so far (it runs through `serial`)
   * @param report where a flush's error goes (the flush's promise still resolves: the work stays marked)
   */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly report: (err: unknown) => void,
  ) {}

  /** Runs `fn` after every run queued before it. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once a flush that covers everything marked before this call has been tried. */
  requestFlush(): Promise<void> {
    if (this.scheduled) return this.scheduled;
    this.scheduled = new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.scheduled = null;
        this.serial(this.flush).catch(this.report).finally(resolve);
      });
    });
    return this.scheduled;
  }
}
