/**
 * The default state store: one SQLite database (better-sqlite3, WAL), schema versioned with
 * `PRAGMA user_version` and forward migrations. better-sqlite3 is synchronous: every checkpoint is
 * one short transaction, committed (WAL + synchronous=NORMAL survives a process crash; FULL on
 * request survives power loss) before the engine lets actions run.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ban, BanHistory, Checkpoint, FailureRecord, OutboxItem, Store, StoreReplacement, StoredFailure } from '@f2b/core';
import { isF2bError, messageOf, systemClock } from '@f2b/kit';
import type { Clock } from '@f2b/core';
import { BanRows } from './ban-rows.js';
import { FailureRows } from './failure-rows.js';
import { MIGRATIONS } from './migrations.js';
import { assertDatabaseWritable, checkStatePath, type StateErrors } from './path-check.js';
import { HARD_LIMIT_PAGES, WalCheckpointer, type WalCheckpointResult } from './wal-checkpointer.js';

/**
 * How long a statement may wait for a lock another process holds. Short: better-sqlite3 waits on
 * the event loop, and a locked database must not stall the daemon (a refused checkpoint is kept
 * and retried later). Opening waits longer: nothing else runs yet.
 */
const BUSY_TIMEOUT_MS = 10;
/**
 * SQLite's page cache, in KiB (negative: a size, not a page count): SQLite's own default, 2 MiB.
 * better-sqlite3 builds SQLite with 16 MiB, which a daemon filled at start (quick_check and the
 * restore read every page of a database of 100,000 bans) and then held for good: 16 MiB of its
 * resident size. The pages stay in the kernel's page cache anyway; a miss costs a read(2).
 */
const CACHE_SIZE = -2000;
const OPEN_BUSY_TIMEOUT_MS = 2_000;

export interface SqliteStoreOptions {
  path: string;
  /** `normal` (default): durable across process crashes. `full`: also across power loss. */
  synchronous?: 'normal' | 'full';
  /** Where "now" comes from (the core's clock, a FakeClock in tests); default: the system's. */
  clock?: Pick<Clock, 'now'>;
  /** The core's errors (`api.errors`; `pluginErrors` from `@f2b/core` outside a plugin): the plugin imports no core at run time. */
  errors: StateErrors;
}

type Row = Record<string, unknown>;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly location: string;
  private db!: Database.Database;
  private readonly opts: SqliteStoreOptions;
  private stmts!: ReturnType<SqliteStore['prepare']>;
  private failureRows!: FailureRows;
  private banRows!: BanRows;
  /** Set when open() found the database corrupt and moved it aside. */
  replaced?: StoreReplacement;
  /** Copies the WAL into the database file in a worker thread (a file database only). */
  private walCheckpointer?: WalCheckpointer;

  private readonly now: () => number;

  constructor(opts: SqliteStoreOptions) {
    this.opts = opts;
    const clock = opts.clock ?? systemClock;
    this.now = () => clock.now();
    this.location = opts.path;
  }

  async open(): Promise<void> {
    const path = this.opts.path;
    const onDisk = path !== ':memory:';
    if (onDisk) {
      checkStatePath(path, this.opts.errors);
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw this.opts.errors.F2B_ERR_STATE_DIR(dirname(path), messageOf(err));
      }
    }
    try {
      this.connect();
    } catch (err) {
      if (!onDisk || !isCorrupt(err)) throw this.openError(err);
      this.replaced = this.moveAside(messageOf(err));
      try {
        this.connect();
      } catch (again) {
        throw this.openError(again);
      }
    }
    if (onDisk) this.checkpointWhenQuiet();
  }

  /**
   * The WAL checkpoints leave the commits that bans wait for: they run when nothing was written for
   * a second, and a commit checkpoints by itself only past a hard limit (see wal-checkpointer.ts).
   */
  private checkpointWhenQuiet(): void {
    const db = this.db;
    void this.walCheckpointer?.close(); // opened again: the old connection's are done
    db.pragma(`wal_autocheckpoint = ${HARD_LIMIT_PAGES}`);
    this.walCheckpointer = new WalCheckpointer(() => {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as WalCheckpointResult[];
      return { busy: Number(r!.busy), log: Number(r!.log), checkpointed: Number(r!.checkpointed) };
    });
  }

  /** Copy the WAL into the database file now (tests, diagnostics); undefined once closed. */
  walCheckpoint(): Promise<WalCheckpointResult | undefined> {
    return this.walCheckpointer?.checkpointNow() ?? Promise.resolve(undefined);
  }

  /** WAL checkpoints run so far (not counting SQLite's own past the hard limit). */
  get walCheckpoints(): number {
    return this.walCheckpointer?.completed ?? 0;
  }

  private connect(): void {
    const db = new Database(this.opts.path);
    try {
      db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
      // The default, said out loud: memory-mapped database pages would turn an I/O error into SIGBUS.
      db.pragma('mmap_size = 0');
      db.pragma(`cache_size = ${CACHE_SIZE}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      this.db = db;
      this.migrate();
      this.stmts = this.prepare();
      this.failureRows = new FailureRows(this.db);
      this.banRows = new BanRows(this.db);
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (err) {
      if (db.open) db.close();
      throw err;
    }
  }

  /** `f2b.db` → `f2b.db.corrupt-<time>` (its -wal too); the -shm index is rebuilt by SQLite. */
  private moveAside(problem: string): StoreReplacement {
    const path = this.opts.path;
    const movedTo = `${path}.corrupt-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(path, movedTo);
    if (existsSync(`${path}-wal`)) renameSync(`${path}-wal`, `${movedTo}-wal`);
    rmSync(`${path}-shm`, { force: true });
    return { reason: 'corrupt', movedTo, problem };
  }

  /** What went wrong opening, as the F2B_ERR_STATE_* error that says how to fix it. */
  private openError(err: unknown): unknown {
    if (isF2bError(err)) return err;
    const code = (err as { code?: string }).code ?? '';
    const path = this.opts.path;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return this.opts.errors.F2B_ERR_STATE_LOCKED(path);
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
      return this.opts.errors.F2B_ERR_STATE_READONLY(
        path,
        messageOf(err),
        'Check the file system it is on (free space, mounted read-write) and the permissions of the file and its directory, or point state.path elsewhere.',
      );
    }
    return err;
  }

  async close(): Promise<void> {
    await this.walCheckpointer?.close();
    this.walCheckpointer = undefined;
    if (this.db?.open) {
      try {
        this.db.close();
      } catch {
        /* closing an unwritable database: nothing left to save */
      }
    }
  }

  /**
   * Before every use: refuse, with an error, what would otherwise be SIGBUS (see path-check.ts).
   * A few access(2) calls, far cheaper than the transaction they guard.
   */
  private guard(): void {
    if (this.opts.path !== ':memory:') assertDatabaseWritable(this.opts.path, this.opts.errors);
  }

  /** How long a statement waits for another process's lock, in ms. */
  busyTimeoutMs(): number {
    return this.db.pragma('busy_timeout', { simple: true }) as number;
  }

  /** The schema version this database is at (for tests and `f2b status`). */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion();
    if (current > MIGRATIONS.length) {
      throw this.opts.errors.F2B_ERR_STATE_VERSION(this.opts.path, current, MIGRATIONS.length);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  private prepare() {
    const db = this.db;
    return {
      failuresOf: db.prepare(
        'SELECT jail, id, time, attempts, lines, rule, captures FROM failures WHERE jail = ? AND id = ? ORDER BY time DESC, rowid DESC LIMIT ?',
      ),
      // By (jail, id): left to itself SQLite picks failures_jail_time (to skip the sort) and scans every
      // failure of the jail in the window, for each ban — quadratic in a burst (1,000 bans: 1.3–1.6 s).
      failureLines: db.prepare(
        'SELECT lines FROM failures INDEXED BY failures_jail_id WHERE jail = ? AND id = ? AND time >= ? AND lines IS NOT NULL ORDER BY time, rowid',
      ),
      endActive: db.prepare('UPDATE bans SET active = 0 WHERE jail = ? AND id = ? AND active = 1'),
      addOutbox: db.prepare('INSERT INTO outbox (jail, op, payload, created) VALUES (?, ?, ?, ?)'),
      setPosition: db.prepare('INSERT INTO positions (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      getPosition: db.prepare('SELECT value FROM positions WHERE key = ?'),
      outboxPending: db.prepare('SELECT seq, jail, op, payload FROM outbox ORDER BY seq'),
      active: db.prepare('SELECT jail, id, start, "end", count, failures, rule FROM bans WHERE active = 1 AND ("end" IS NULL OR "end" > ?)'),
      activeJail: db.prepare('SELECT jail, id, start, "end", count, failures, rule FROM bans WHERE active = 1 AND jail = ? AND ("end" IS NULL OR "end" > ?)'),
      // By rowid (the table's own order, NOT INDEXED so that SQLite walks it from the cursor on).
      activePage: db.prepare(
        'SELECT rowid AS rid, jail, id, start, "end", count, failures, rule FROM bans NOT INDEXED WHERE rowid > ? AND active = 1 AND jail = ? AND ("end" IS NULL OR "end" > ?) ORDER BY rowid LIMIT ?',
      ),
      countsPage: db.prepare('SELECT jail, id, COUNT(*) AS n FROM bans WHERE start >= ? AND (jail, id) > (?, ?) GROUP BY jail, id ORDER BY jail, id LIMIT ?'),
      expired: db.prepare('SELECT jail, id, start, "end", count, failures, rule FROM bans WHERE active = 1 AND "end" IS NOT NULL AND "end" <= ?'),
      bansOf: db.prepare('SELECT jail, id, start, "end", count, failures, rule, lines, active FROM bans WHERE id = ? ORDER BY start DESC LIMIT 100'),
      history: db.prepare('SELECT COUNT(*) AS n, MAX(start) AS last FROM bans WHERE id = ? AND start >= ?'),
      historyJail: db.prepare('SELECT COUNT(*) AS n, MAX(start) AS last FROM bans WHERE id = ? AND start >= ? AND jail = ?'),
      counts: db.prepare('SELECT jail, id, COUNT(*) AS n FROM bans WHERE start >= ? GROUP BY jail, id'),
      failuresSince: db.prepare('SELECT jail, id, time, attempts FROM failures WHERE jail = ? AND time >= ? ORDER BY time'),
      purgeFailures: db.prepare('DELETE FROM failures WHERE time < ?'),
      purgeJailFailures: db.prepare('DELETE FROM failures WHERE rowid IN (SELECT rowid FROM failures WHERE jail = ? AND time < ? LIMIT ?)'),
      purgeBans: db.prepare('DELETE FROM bans WHERE active = 0 AND ("end" IS NOT NULL AND "end" < ?)'),
    };
  }

  async checkpoint(c: Checkpoint): Promise<number[]> {
    this.guard();
    const s = this.stmts;
    const now = this.now();
    const seqs = this.db.transaction(() => {
      if (c.failures) this.failureRows.insert(c.failures);
      // Several bans to a statement, and the windows they clear (ban-rows.ts).
      const seqs = this.banRows.write(c.clearFailures ?? [], c.bans ?? [], now);
      for (const u of c.unbans ?? []) {
        s.endActive.run(u.jail, u.id);
        seqs.push(Number(s.addOutbox.run(u.jail, 'unban', JSON.stringify(u), now).lastInsertRowid));
      }
      for (const [k, v] of Object.entries(c.positions ?? {})) s.setPosition.run(k, JSON.stringify(v));
      return seqs;
    })();
    this.walCheckpointer?.wrote();
    return seqs;
  }

  async outboxDone(seqs: number[]): Promise<void> {
    this.guard();
    if (seqs.length === 0) return;
    this.db.transaction(() => this.banRows.done(seqs))();
    this.walCheckpointer?.wrote();
  }

  async outboxPending(): Promise<OutboxItem[]> {
    this.guard();
    return (this.stmts.outboxPending.all() as Row[]).map((r) => {
      const payload = JSON.parse(String(r.payload));
      return r.op === 'ban'
        ? { seq: Number(r.seq), jail: String(r.jail), op: 'ban' as const, ban: payload as Ban }
        : { seq: Number(r.seq), jail: String(r.jail), op: 'unban' as const, unban: payload };
    });
  }

  async activeBans(now: number, jail?: string): Promise<Ban[]> {
    this.guard();
    // Row by row, not `all()`: 100,000 row objects beside the bans made from them were a third of a
    // restore's transient heap. The jail and rule strings of a row are shared with the bans before it.
    const rows = (jail === undefined ? this.stmts.active.iterate(now) : this.stmts.activeJail.iterate(jail, now)) as IterableIterator<Row>;
    const names = new SharedNames();
    const bans: Ban[] = [];
    for (const r of rows) bans.push(toBan(r, names));
    return bans;
  }

  /** Each page is a query of its own (a cursor on rowid), so nothing stays open between pages. */
  async *activeBanPages(now: number, jail: string, size: number): AsyncIterable<Ban[]> {
    const names = new SharedNames();
    for (let after = 0; ;) {
      this.guard();
      const bans: Ban[] = [];
      for (const r of this.stmts.activePage.iterate(after, jail, now, size) as IterableIterator<Row>) {
        after = Number(r.rid);
        bans.push(toBan(r, names));
      }
      if (bans.length > 0) yield bans;
      if (bans.length < size) return;
    }
  }

  async *banCountPages(since: number, size: number): AsyncIterable<{ jail: string; id: string; count: number }[]> {
    const names = new SharedNames();
    for (let jail = '', id = ''; ;) {
      this.guard();
      const counts: { jail: string; id: string; count: number }[] = [];
      for (const r of this.stmts.countsPage.iterate(since, jail, id, size) as IterableIterator<Row>) {
        jail = names.of(r.jail);
        id = String(r.id);
        counts.push({ jail, id, count: Number(r.n) });
      }
      if (counts.length > 0) yield counts;
      if (counts.length < size) return;
    }
  }

  async expiredBans(now: number): Promise<Ban[]> {
    this.guard();
    return (this.stmts.expired.all(now) as Row[]).map((r) => toBan(r));
  }

  async bansOf(id: string): Promise<Ban[]> {
    this.guard();
    return (this.stmts.bansOf.all(id) as Row[]).map((r) => ({ ...toBan(r), lines: r.lines ? (JSON.parse(String(r.lines)) as string[]) : undefined }));
  }

  async banHistory(id: string, since: number, jail?: string): Promise<BanHistory> {
    this.guard();
    const r = (jail === undefined ? this.stmts.history.get(id, since) : this.stmts.historyJail.get(id, since, jail)) as Row;
    return { count: Number(r.n), lastStart: r.last === null ? undefined : Number(r.last) };
  }

  async banCounts(since: number): Promise<{ jail: string; id: string; count: number }[]> {
    this.guard();
    const names = new SharedNames();
    const counts: { jail: string; id: string; count: number }[] = [];
    for (const r of this.stmts.counts.iterate(since) as IterableIterator<Row>) counts.push({ jail: names.of(r.jail), id: String(r.id), count: Number(r.n) });
    return counts;
  }

  async failuresSince(jail: string, since: number): Promise<StoredFailure[]> {
    this.guard();
    return (this.stmts.failuresSince.all(jail, since) as Row[]).map((r) => ({
      jail: String(r.jail),
      id: String(r.id),
      time: Number(r.time),
      attempts: Number(r.attempts),
    }));
  }

  async failureLines(jail: string, id: string, since: number, limit: number): Promise<string[]> {
    this.guard();
    const rows = this.stmts.failureLines.all(jail, id, since) as Row[];
    return rows.flatMap((r) => JSON.parse(String(r.lines)) as string[]).slice(-limit);
  }

  /** One check of the files and one read transaction for the whole batch (the check is most of a lookup's cost). */
  async failureLinesOf(jail: string, wanted: readonly { id: string; since: number }[], limit: number): Promise<string[][]> {
    this.guard();
    return this.db.transaction(() =>
      wanted.map(({ id, since }) => {
        const rows = this.stmts.failureLines.all(jail, id, since) as Row[];
        return rows.flatMap((r) => JSON.parse(String(r.lines)) as string[]).slice(-limit);
      }),
    )();
  }

  async failuresOf(jail: string, id: string, limit: number): Promise<FailureRecord[]> {
    this.guard();
    const rows = this.stmts.failuresOf.all(jail, id, limit) as Row[];
    return rows.reverse().map((r) => ({
      jail: String(r.jail),
      id: String(r.id),
      time: Number(r.time),
      attempts: Number(r.attempts),
      lines: r.lines === null ? [] : (JSON.parse(String(r.lines)) as string[]),
      ...(r.rule === null ? {} : { rule: String(r.rule) }),
      ...(r.captures === null ? {} : { captures: JSON.parse(String(r.captures)) as Record<string, string> }),
    }));
  }

  async position(key: string): Promise<unknown> {
    this.guard();
    const r = this.stmts.getPosition.get(key) as Row | undefined;
    return r ? JSON.parse(String(r.value)) : undefined;
  }

  async purgeFailures(jail: string, before: number, limit: number): Promise<number> {
    return this.stmts.purgeJailFailures.run(jail, before, limit).changes;
  }

  async purge(before: number): Promise<void> {
    this.guard();
    this.db.transaction(() => {
      this.stmts.purgeFailures.run(before);
      this.stmts.purgeBans.run(before);
    })();
  }
}

/** SQLite's answers for a file that is not (or no longer) a sound database. */
function isCorrupt(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT');
}

function toBan(r: Row, names?: SharedNames): Ban {
  return {
    jail: names ? names.of(r.jail) : String(r.jail),
    id: String(r.id),
    start: Number(r.start),
    end: r.end === null ? null : Number(r.end),
    count: Number(r.count),
    failures: Number(r.failures),
    rule: r.rule === null ? undefined : names ? names.of(r.rule) : String(r.rule),
  };
}

/** One string for each of the few distinct jails and rules of many rows (each row brings copies). */
class SharedNames {
  private readonly seen = new Map<string, string>();

  of(value: unknown): string {
    const s = String(value);
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    if (this.seen.size < 1024) this.seen.set(s, s);
    return s;
  }
}
