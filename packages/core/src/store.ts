/**
 * The state store: what must survive a restart or a crash. Bans (with the rule and lines that caused
 * them), the failures still inside a findtime window, where each source stopped reading, and the
 * action outbox. The default is SQLite (`@f2b/store-sqlite`); `MemoryStore` keeps the same contract
 * in memory (tests, `state: { type: "memory" }`).
 *
 * Writes come in checkpoints: one call, one transaction. A checkpoint records the failures counted,
 * the bans and unbans decided (into the outbox) and the read positions reached — all from the same
 * instant, so after a crash the sources resume exactly after the lines whose effects were saved.
 */
import type { Ban, Failure, Unban } from './types.js';

export interface StoredFailure {
  jail: string;
  id: string;
  time: number;
  attempts: number;
}

/** A failure row as the store keeps it, for `f2b explain`: the rule, its captures and the lines. */
export interface FailureRecord extends StoredFailure {
  rule?: string;
  captures?: Readonly<Record<string, string>>;
  lines: readonly string[];
}

export interface OutboxItem {
  seq: number;
  jail: string;
  op: 'ban' | 'unban';
  ban?: Ban;
  unban?: Unban;
}

export interface Checkpoint {
  failures?: { jail: string; failure: Failure }[];
  /** Failure windows that ended (the id was banned): their stored failures are dropped. */
  clearFailures?: { jail: string; id: string }[];
  bans?: Ban[];
  unbans?: Unban[];
  /** Source states by key (`jail/source-index`). */
  positions?: Record<string, unknown>;
}

export interface BanHistory {
  /** How many bans this id had (in this jail, or in all jails when `jail` is undefined). */
  count: number;
  /** Start of the most recent ban, epoch ms. */
  lastStart?: number;
}

/** Why a store began empty although it had a database: what became of the old one. */
export interface StoreReplacement {
  reason: 'corrupt';
  /** Where the old database was moved. */
  movedTo: string;
  /** What was wrong with it. */
  problem: string;
}

export interface Store {
  readonly kind: string;
  /** Where it lives (for `f2b status`). */
  readonly location: string;
  /**
   * Set by `open()` when the stored database could not be used and was replaced by an empty one: the
   * daemon then reports it loudly and recovers the bans in force from actions that can list them.
   */
  readonly replaced?: StoreReplacement;
  open(): Promise<void>;
  close(): Promise<void>;
  /** One transaction; returns the outbox sequence numbers of the bans/unbans it queued. */
  checkpoint(c: Checkpoint): Promise<number[]>;
  /** Mark outbox items as carried out by every action. */
  outboxDone(seqs: number[]): Promise<void>;
  /** Items committed but not (known to be) carried out: replayed at start. */
  outboxPending(): Promise<OutboxItem[]>;
  /** Bans currently in force (end in the future, or permanent), optionally of one jail. */
  activeBans(now: number, jail?: string): Promise<Ban[]>;
  /**
   * Optional: `activeBans` of one jail, `size` at a time (in no particular order). A daemon restoring
   * 100,000 bans then never holds them all as objects at once; without it, it asks `activeBans`.
   */
  activeBanPages?(now: number, jail: string, size: number): AsyncIterable<Ban[]>;
  /** Bans whose end passed (while we were down): to unban and forget. */
  expiredBans(now: number): Promise<Ban[]>;
  /** Ban records of an id (all jails), newest first, active or not, for `f2b banned`. */
  bansOf(id: string): Promise<Ban[]>;
  /** How often an id was banned since `since` (for escalation and repeat offenders). */
  banHistory(id: string, since: number, jail?: string): Promise<BanHistory>;
  /** Ban counts per (jail, id) since `since`: the memory of repeat offenders, loaded at start. */
  banCounts(since: number): Promise<{ jail: string; id: string; count: number }[]>;
  /** Optional: `banCounts`, `size` at a time (as `activeBanPages`). */
  banCountPages?(since: number, size: number): AsyncIterable<{ jail: string; id: string; count: number }[]>;
  failuresSince(jail: string, since: number): Promise<StoredFailure[]>;
  /**
   * The lines of `id`'s failures in `jail` since `since`, oldest first, at most the last `limit`: the
   * ban record of a window whose lines the tracker did not keep in memory. A store that has it keeps
   * each failure's `lines` with its row, and the jail's tracker then keeps none (a flood of a million
   * sources would otherwise hold a million log lines in memory).
   */
  failureLines?(jail: string, id: string, since: number, limit: number): Promise<string[]>;
  /**
   * `failureLines` of several addresses at once (the bans of one batch: a burst decides hundreds in
   * one tick), in the order asked. Optional: a store that has `failureLines` and not this one is asked
   * once per ban.
   */
  failureLinesOf?(jail: string, wanted: readonly { id: string; since: number }[], limit: number): Promise<string[][]>;
  /**
   * The failure rows of `id` in `jail` still kept (inside findtime, and older ones not purged yet),
   * oldest first, at most the last `limit` (`f2b explain`). Optional: without it, explain shows what
   * the tracker holds.
   */
  failuresOf?(jail: string, id: string, limit: number): Promise<FailureRecord[]>;
  position(key: string): Promise<unknown>;
  /** Drop history older than `before` (expired bans, old failures, done outbox items). */
  purge(before: number): Promise<void>;
  /**
   * Drop at most `limit` failures of `jail` older than `before` (outside its findtime: they can no
   * longer count); returns how many. Called in small steps, so a flood's rows go within minutes
   * without holding the event loop.
   */
  purgeFailures(jail: string, before: number, limit: number): Promise<number>;
}

/** The store contract in memory: nothing survives the process. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly location = ':memory:';
  private bans: Ban[] = [];
  private history: Ban[] = [];
  private failures: FailureRecord[] = [];
  private positions = new Map<string, unknown>();
  private outbox: OutboxItem[] = [];
  private seq = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async checkpoint(c: Checkpoint): Promise<number[]> {
    for (const { jail, failure } of c.failures ?? []) {
      if (failure.attempts > 0)
        this.failures.push({
          jail,
          id: failure.id,
          time: failure.time,
          attempts: failure.attempts,
          lines: failure.lines,
          rule: failure.rule,
          // As SQLite keeps them: no captures, no field.
          ...(failure.captures && Object.keys(failure.captures).length > 0 ? { captures: failure.captures } : {}),
        });
    }
    for (const { jail, id } of c.clearFailures ?? []) this.failures = this.failures.filter((f) => !(f.jail === jail && f.id === id));
    const seqs: number[] = [];
    for (const ban of c.bans ?? []) {
      this.bans = this.bans.filter((b) => !(b.jail === ban.jail && b.id === ban.id));
      this.bans.push(ban);
      this.history.push(ban);
      seqs.push(++this.seq);
      this.outbox.push({ seq: this.seq, jail: ban.jail, op: 'ban', ban });
    }
    for (const unban of c.unbans ?? []) {
      this.bans = this.bans.filter((b) => !(b.jail === unban.jail && b.id === unban.id));
      seqs.push(++this.seq);
      this.outbox.push({ seq: this.seq, jail: unban.jail, op: 'unban', unban });
    }
    for (const [k, v] of Object.entries(c.positions ?? {})) this.positions.set(k, v);
    return seqs;
  }

  async outboxDone(seqs: number[]): Promise<void> {
    const done = new Set(seqs);
    this.outbox = this.outbox.filter((o) => !done.has(o.seq));
  }

  async outboxPending(): Promise<OutboxItem[]> {
    return [...this.outbox];
  }

  async activeBans(now: number, jail?: string): Promise<Ban[]> {
    return this.bans.filter((b) => (b.end === null || b.end > now) && (jail === undefined || b.jail === jail));
  }

  async expiredBans(now: number): Promise<Ban[]> {
    return this.bans.filter((b) => b.end !== null && b.end <= now);
  }

  async bansOf(id: string): Promise<Ban[]> {
    return this.history.filter((b) => b.id === id).sort((a, b) => b.start - a.start);
  }

  async banHistory(id: string, since: number, jail?: string): Promise<BanHistory> {
    const list = this.history.filter((b) => b.id === id && b.start >= since && (jail === undefined || b.jail === jail));
    return { count: list.length, lastStart: list.reduce<number | undefined>((m, b) => (m === undefined || b.start > m ? b.start : m), undefined) };
  }

  async banCounts(since: number): Promise<{ jail: string; id: string; count: number }[]> {
    const counts = new Map<string, { jail: string; id: string; count: number }>();
    for (const b of this.history) {
      if (b.start < since) continue;
      const key = `${b.jail}\0${b.id}`;
      const c = counts.get(key) ?? { jail: b.jail, id: b.id, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return [...counts.values()];
  }

  async failuresSince(jail: string, since: number): Promise<StoredFailure[]> {
    return this.failures.filter((f) => f.jail === jail && f.time >= since).map((f) => ({ jail: f.jail, id: f.id, time: f.time, attempts: f.attempts }));
  }

  async failureLines(jail: string, id: string, since: number, limit: number): Promise<string[]> {
    return this.failures
      .filter((f) => f.jail === jail && f.id === id && f.time >= since)
      .flatMap((f) => f.lines)
      .slice(-limit);
  }

  async failureLinesOf(jail: string, wanted: readonly { id: string; since: number }[], limit: number): Promise<string[][]> {
    return Promise.all(wanted.map((w) => this.failureLines(jail, w.id, w.since, limit)));
  }

  async failuresOf(jail: string, id: string, limit: number): Promise<FailureRecord[]> {
    return this.failures
      .filter((f) => f.jail === jail && f.id === id)
      .sort((a, b) => a.time - b.time)
      .slice(-limit);
  }

  async position(key: string): Promise<unknown> {
    return this.positions.get(key);
  }

  async purgeFailures(jail: string, before: number, limit: number): Promise<number> {
    let n = 0;
    this.failures = this.failures.filter((f) => (f.jail === jail && f.time < before && n < limit ? (n++, false) : true));
    return n;
  }

  async purge(before: number): Promise<void> {
    this.failures = this.failures.filter((f) => f.time >= before);
    this.history = this.history.filter((b) => b.end === null || b.end >= before || this.bans.includes(b));
  }
}
