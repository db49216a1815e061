/**
 * A jail's outbox: what the jail decided (failures counted, windows cleared, bans, unbans) and how
 * far its sources read, written to the store as one checkpoint per batch and then carried out by
 * the actions.
 *
 * Order of a batch: the checkpoint commits first (a crash from there on is repaired from the
 * store's outbox), then the ban/unban hooks run, then the actions get the batch — not awaited, each
 * action works through its own queue, so a slow one delays neither the others nor the next batch.
 * A checkpoint the store refuses is kept and retried with a growing delay (the bans still reach the
 * actions: a store fault never stops bans); the work of actions that failed stays in the store's
 * outbox, which the daemon retries.
 */
import type { Clock } from './clock.js';
import type { Store } from './store.js';
import type { StoreHealth } from './store-health.js';
import { CheckpointQueue } from './checkpoint-queue.js';
import { RecentFailures } from './recent-failures.js';
import type { Ban, Failure, Unban } from './types.js';
import { MAX_BAN_LINES } from './tracker.js';

/** Retry delays of a checkpoint the store refused: quick at first, then every few seconds. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * Failures and decisions waiting for the next checkpoint beyond which the jail asks its sources to
 * wait (back-pressure): a flood read faster than the store writes must not pile up in memory.
 */
export const OUTBOX_HIGH_WATER = 20_000;

/**
 * Deliveries in a row whose checkpoint may wait for the next one while their source reads on
 * (`read(true)`): a long replay still saves its position every few MiB (the file source's chunks
 * are 256 KiB). And however a source ends such a run, the wait is over after DEFERRED_READ_MS.
 * Failures waiting meanwhile are held in memory: past MAX_DEFERRED_BACKLOG (two chunks of a burst)
 * they go into a checkpoint of their own, so that a flood of distinct sources does not hold 16.
 */
const MAX_DEFERRED_READS = 16;
const MAX_DEFERRED_BACKLOG = 5_000;
const DEFERRED_READ_MS = 1_000;

export interface JailOutboxOptions {
  jail: string;
  store?: Store;
  storeHealth: StoreHealth;
  clock: Clock;
  /**
   * The read positions (and filter state) to save with a checkpoint, as of now; `decisions`: bans or
   * unbans wait for this checkpoint.
   */
  positions(decisions: boolean): Record<string, unknown>;
  /** Run the ban/unban hooks of a batch (before the actions). */
  announce(bans: readonly Ban[], unbans: readonly Unban[]): Promise<void>;
  /** Give the actions a batch; true if every action succeeded. */
  dispatch(bans: readonly Ban[], unbans: readonly Unban[]): Promise<boolean>;
  report(err: unknown): void;
  /** A ban's record got its window's lines from the store (the jail keeps that record from now on). */
  completed(original: Ban, withLines: Ban): void;
}

/**
 * The failures a checkpoint must write: not those of an address whose window the same checkpoint
 * clears (it was banned in this batch). The store inserts a checkpoint's failures before it clears
 * windows, so those rows would be deleted in the same transaction — a burst's batch held 1,500 of
 * them among 2,300 failures, each an insert and a delete for nothing.
 */
function withoutCleared(
  failures: { jail: string; failure: Failure }[],
  cleared: readonly { jail: string; id: string }[],
): { jail: string; failure: Failure }[] {
  if (cleared.length === 0 || failures.length === 0) return failures;
  const ids = new Set<string>();
  for (const c of cleared) ids.add(c.id);
  // One jail's outbox: every entry carries its jail, so the id alone decides.
  return failures.filter((f) => !ids.has(f.failure.id));
}

const NO_FAILURES: readonly Failure[] = Object.freeze([]);

function attempts(failures: readonly Failure[]): number {
  let n = 0;
  for (const f of failures) n += f.attempts;
  return n;
}

export class JailOutbox {
  private readonly opts: JailOutboxOptions;
  private bans: Ban[] = [];
  private unbans: Unban[] = [];
  private failures: { jail: string; failure: Failure }[] = [];
  private cleared: { jail: string; id: string }[] = [];
  private linesRead = false;
  /** Bans whose record needs its window's lines from the store: where the window began. */
  private readonly windowStart = new Map<Ban, number>();
  /** The failures written lately (a store that keeps their lines only): see recent-failures.ts. */
  private readonly recent: RecentFailures | null;
  /** Checkpoints the store refused, kept until it takes them (their bans already ran). */
  private readonly unsaved = new CheckpointQueue();
  /** Bans/unbans whose actions succeeded before their checkpoint could be saved. */
  private readonly actedBeforeSaved = new Set<Ban | Unban>();
  /** Action work dispatched but not finished: flush() waits for it, the next batch does not. */
  private readonly inflight = new Set<Promise<void>>();
  private retryTimer?: { cancel(): void };
  /** Reads since the last batch whose checkpoint waits for the next delivery (see read). */
  private deferredReads = 0;
  private deferredTimer?: { cancel(): void };
  private retryDelay = RETRY_FIRST_MS;
  private scheduled = false;
  private running: Promise<void> = Promise.resolve();

  constructor(opts: JailOutboxOptions) {
    this.opts = opts;
    this.recent = opts.store?.failureLines ? new RecentFailures() : null;
  }

  /** A failure the tracker counted: a row in the store, so a restart keeps the window. */
  counted(failure: Failure): void {
    if (!this.opts.store) return;
    this.failures.push({ jail: this.opts.jail, failure });
  }

  /**
   * A ban decided (its window, if any, is cleared in the store with it). `windowStart`: the ban
   * comes without lines, and its record takes those of the window's failures since then from the
   * store (the tracker kept none in memory).
   */
  ban(ban: Ban, windowCleared: boolean, windowStart?: number): void {
    if (windowCleared) this.cleared.push({ jail: this.opts.jail, id: ban.id });
    if (windowStart !== undefined && ban.lines === undefined && this.opts.store?.failureLines) this.windowStart.set(ban, windowStart);
    this.bans.push(ban);
    this.schedule();
  }

  unban(unban: Unban): void {
    this.unbans.push(unban);
    this.schedule();
  }

  /**
   * Lines were consumed: their read position goes into the next checkpoint. `more`: their source
   * reads on at once, so unless a decision is waiting (a ban scheduled its batch already) the
   * checkpoint waits for its next delivery. A burst's chunks then cost one transaction instead of
   * one each — and most of their failures none, being those of addresses the same batch bans and
   * clears (withoutCleared). A crash meanwhile loses nothing: the position saved is still that of
   * the last checkpoint, and the lines after it are read again.
   */
  read(more = false): void {
    if (!this.opts.store) return;
    this.linesRead = true;
    if (more && !this.scheduled && this.deferredReads < MAX_DEFERRED_READS && this.backlog < MAX_DEFERRED_BACKLOG) {
      this.deferredReads++;
      this.deferredTimer ??= this.opts.clock.setTimer(DEFERRED_READ_MS, () => {
        this.deferredTimer = undefined;
        this.schedule();
      });
      return;
    }
    this.schedule();
  }

  /** How much waits for the next checkpoint (back-pressure looks at it). */
  get backlog(): number {
    return this.failures.length + this.bans.length + this.unbans.length;
  }

  /** Resolves when the batch being written now (and the one scheduled) is done; never rejects. */
  settled(): Promise<void> {
    this.schedule();
    return this.run();
  }

  /** How many checkpoints wait for the store (0 when everything is saved). */
  get unsavedCheckpoints(): number {
    return this.unsaved.length;
  }

  /** Bans and unbans in checkpoints the store has not taken. */
  get unsavedDecisions(): number {
    return this.unsaved.unsavedDecisions;
  }

  /** A reloaded jail takes over what its predecessor could not save yet. */
  takeFrom(prev: JailOutbox): void {
    this.unsaved.takeFrom(prev.unsaved);
    for (const item of prev.actedBeforeSaved) this.actedBeforeSaved.add(item);
    prev.actedBeforeSaved.clear();
  }

  /** Wait until everything queued is checkpointed (or kept for retry) and has reached the actions. */
  async flush(): Promise<void> {
    while (this.backlog > 0 || this.cleared.length > 0 || this.scheduled) await this.run();
    await this.running;
    while (this.inflight.size > 0) await Promise.all(this.inflight);
  }

  /** Save what the sources have read (at start and stop), then flush. */
  async checkpointNow(): Promise<void> {
    if (this.opts.store) this.linesRead = true;
    this.schedule();
    await this.flush();
  }

  /** No more retries (the jail stops; a later jail takes the queue over). */
  stop(): void {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.deferredTimer?.cancel();
    this.deferredTimer = undefined;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      // A flush may have run the batch already (scheduled is false again): a batch now would
      // take what came since — lines whose checkpoint was to wait for the next delivery (read).
      if (this.scheduled) void this.run();
    });
  }

  private run(): Promise<void> {
    this.running = this.running.then(() => this.batch());
    return this.running;
  }

  private async batch(): Promise<void> {
    this.scheduled = false;
    this.deferredReads = 0;
    this.deferredTimer?.cancel();
    this.deferredTimer = undefined;
    const { unbans, failures, cleared } = this;
    const decided = this.bans;
    this.bans = [];
    this.unbans = [];
    this.failures = [];
    this.cleared = [];
    const store = this.opts.store;
    const bans = this.windowStart.size > 0 ? await this.withLines(store!, decided, failures) : decided;
    // Outbox numbers of this batch's bans/unbans, once saved; and earlier ones now done.
    const seqOf = new Map<Ban | Unban, number>();
    const done: number[] = [];
    if (store && (bans.length || unbans.length || failures.length || cleared.length || this.linesRead || this.unsaved.length)) {
      this.linesRead = false;
      const written = withoutCleared(failures, cleared);
      if (this.recent) {
        for (const c of cleared) this.recent.drop(c.id);
        this.recent.add(written);
      }
      this.unsaved.add({
        failures: written,
        clearFailures: cleared,
        bans,
        unbans,
        positions: this.opts.positions(bans.length > 0 || unbans.length > 0),
      });
      for (const { item, seq } of await this.save(store)) {
        if (this.actedBeforeSaved.delete(item)) done.push(seq);
        else seqOf.set(item, seq);
      }
    }
    if (bans.length > 0 || unbans.length > 0) await this.opts.announce(bans, unbans);
    if (bans.length === 0 && unbans.length === 0 && done.length === 0) return;
    const work = this.opts.dispatch(bans, unbans).then(async (ok) => {
      if (ok) {
        for (const item of [...bans, ...unbans]) {
          const seq = seqOf.get(item);
          if (seq !== undefined) done.push(seq);
          else if (store) this.actedBeforeSaved.add(item); // marked done when its checkpoint commits
        }
      }
      if (done.length > 0 && store) {
        try {
          await store.outboxDone(done);
        } catch (err) {
          this.opts.report(err);
        }
      }
    });
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  /**
   * The bans that wait for their window's lines, with them: the rows saved by earlier checkpoints,
   * then the failures of this batch (not saved yet). A store that cannot answer costs the record its
   * lines, never the ban.
   */
  private async withLines(store: Store, bans: Ban[], failures: readonly { failure: Failure }[]): Promise<Ban[]> {
    const waiting: { ban: Ban; since: number }[] = [];
    for (const ban of bans) {
      const since = this.windowStart.get(ban);
      if (since === undefined) continue;
      this.windowStart.delete(ban);
      waiting.push({ ban, since });
    }
    if (waiting.length === 0) return bans;
    // This batch's failures by address, once: a burst's batch holds thousands of failures and
    // hundreds of bans (a scan of every failure per ban was a tenth of the daemon's work).
    const pendingOf = new Map<string, Failure[]>();
    for (const { failure } of failures) {
      const list = pendingOf.get(failure.id);
      if (list) list.push(failure);
      else pendingOf.set(failure.id, [failure]);
    }
    // Each ban's window: the failures written lately (recent-failures.ts), and this batch's.
    const recent = waiting.map(({ ban, since }) => this.recent?.take(ban.id, since) ?? NO_FAILURES);
    const pending = waiting.map(({ ban, since }) => (pendingOf.get(ban.id) ?? NO_FAILURES).filter((f) => f.time >= since));
    // A ban whose counted attempts are all found there (its whole window was read since the last
    // checkpoint, or just before it: a burst) has its lines, and the store is not asked (829
    // queries were a tenth of a burst); the others' saved lines come from the store.
    const asked = waiting.filter((w, i) => attempts(recent[i]!) + attempts(pending[i]!) < w.ban.failures);
    const savedOf = new Map<Ban, string[]>();
    if (asked.length > 0) {
      const saved = await this.savedLines(store, asked);
      asked.forEach((w, i) => savedOf.set(w.ban, saved[i]!));
    }
    const complete = new Map<Ban, Ban>();
    waiting.forEach(({ ban }, i) => {
      const before = savedOf.get(ban) ?? recent[i]!.flatMap((f) => f.lines);
      const withLines = { ...ban, lines: [...before, ...pending[i]!.flatMap((f) => f.lines)].slice(-MAX_BAN_LINES) };
      this.opts.completed(ban, withLines);
      complete.set(ban, withLines);
    });
    return bans.map((b) => complete.get(b) ?? b);
  }

  /** The saved window lines of each waiting ban: one store call for all when the store can. */
  private async savedLines(store: Store, waiting: readonly { ban: Ban; since: number }[]): Promise<string[][]> {
    const jail = this.opts.jail;
    try {
      if (store.failureLinesOf) {
        return await store.failureLinesOf(
          jail,
          waiting.map((w) => ({ id: w.ban.id, since: w.since })),
          MAX_BAN_LINES,
        );
      }
    } catch (err) {
      this.opts.report(err);
      return waiting.map(() => []);
    }
    const out: string[][] = [];
    for (const { ban, since } of waiting) {
      try {
        out.push(await store.failureLines!(jail, ban.id, since, MAX_BAN_LINES));
      } catch (err) {
        this.opts.report(err);
        out.push([]);
      }
    }
    return out;
  }

  /**
   * Write the queued checkpoints. On failure they stay queued, the store is reported unavailable,
   * and a retry is armed with a growing delay.
   */
  private async save(store: Store): Promise<{ item: Ban | Unban; seq: number }[]> {
    const { committed, error } = await this.unsaved.commit(store);
    const health = this.opts.storeHealth;
    if (error === undefined) {
      this.retryDelay = RETRY_FIRST_MS;
      health.saved(this.opts.jail, committed.length);
      return committed;
    }
    health.failed(this.opts.jail, error, this.unsaved.length, this.unsaved.unsavedDecisions);
    this.retryTimer ??= this.opts.clock.setTimer(this.retryDelay, () => {
      this.retryTimer = undefined;
      this.schedule();
    });
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    return committed;
  }
}
