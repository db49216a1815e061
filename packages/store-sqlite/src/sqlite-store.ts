/**
 * The default state store: one SQLite database (better-sqlite3, WAL), schema versioned with
 * `PRAGMA user_version` and forward migrations. better-sqlite3 is synchronous: every checkpoint is
 * one short transaction, committed (WAL + synchronous=NORMAL survives a process crash; FULL on
 * request survives power loss) before the engine lets actions run.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ban, BanHistory, Checkpoint, OutboxItem, Store, StoredFailure } from '@f2b/core';
import { MIGRATIONS } from './migrations.js';

export interface SqliteStoreOptions {
  path: string;
  /** `normal` (default): durable across process crashes. `full`: also across power loss. */
  synchronous?: 'normal' | 'full';
}

type Row = Record<string, unknown>;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly location: string;
  private db!: Database.Database;
  private readonly opts: SqliteStoreOptions;
  private stmts!: ReturnType<SqliteStore['prepare']>;

  constructor(opts: SqliteStoreOptions) {
    this.opts = opts;
    this.location = opts.path;
  }

  async open(): Promise<void> {
    if (this.opts.path !== ':memory:') mkdirSync(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    this.db = new Database(this.opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${this.opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.stmts = this.prepare();
  }

  async close(): Promise<void> {
    if (this.db?.open) this.db.close();
  }

  /** The schema version this database is at (for tests and `f2b status`). */
  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion();
    if (current > MIGRATIONS.length) {
      throw new Error(`the database ${this.opts.path} has schema version ${current}, newer than this f2b knows (${MIGRATIONS.length}); upgrade f2b or point state.path elsewhere`);
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
      addFailure: db.prepare('INSERT INTO failures (jail, id, time, attempts) VALUES (?, ?, ?, ?)'),
      clearFailures: db.prepare('DELETE FROM failures WHERE jail = ? AND id = ?'),
      endActive: db.prepare('UPDATE bans SET active = 0 WHERE jail = ? AND id = ? AND active = 1'),
      addBan: db.prepare('INSERT INTO bans (jail, id, start, "end", count, failures, rule, lines, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)'),
      addOutbox: db.prepare('INSERT INTO outbox (jail, op, payload, created) VALUES (?, ?, ?, ?)'),
      setPosition: db.prepare('INSERT INTO positions (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      getPosition: db.prepare('SELECT value FROM positions WHERE key = ?'),
      outboxDone: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      outboxPending: db.prepare('SELECT seq, jail, op, payload FROM outbox ORDER BY seq'),
      active: db.prepare('SELECT jail, id, start, "end", count, failures, rule FROM bans WHERE active = 1 AND ("end" IS NULL OR "end" > ?)'),
      activeJail: db.prepare('SELECT jail, id, start, "end", count, failures, rule FROM bans WHERE active = 1 AND jail = ? AND ("end" IS NULL OR "end" > ?)'),
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
    const s = this.stmts;
    const now = Date.now();
    return this.db.transaction(() => {
      for (const { jail, failure } of c.failures ?? []) {
        if (failure.attempts > 0) s.addFailure.run(jail, failure.id, failure.time, failure.attempts);
      }
      for (const { jail, id } of c.clearFailures ?? []) s.clearFailures.run(jail, id);
      const seqs: number[] = [];
      for (const b of c.bans ?? []) {
        s.endActive.run(b.jail, b.id);
        s.addBan.run(b.jail, b.id, b.start, b.end, b.count, b.failures, b.rule ?? null, b.lines ? JSON.stringify(b.lines) : null);
        seqs.push(Number(s.addOutbox.run(b.jail, 'ban', JSON.stringify(b), now).lastInsertRowid));
      }
      for (const u of c.unbans ?? []) {
        s.endActive.run(u.jail, u.id);
        seqs.push(Number(s.addOutbox.run(u.jail, 'unban', JSON.stringify(u), now).lastInsertRowid));
      }
      for (const [k, v] of Object.entries(c.positions ?? {})) s.setPosition.run(k, JSON.stringify(v));
      return seqs;
    })();
  }

  async outboxDone(seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    this.db.transaction(() => { for (const seq of seqs) this.stmts.outboxDone.run(seq); })();
  }

  async outboxPending(): Promise<OutboxItem[]> {
    return (this.stmts.outboxPending.all() as Row[]).map((r) => {
      const payload = JSON.parse(String(r.payload));
      return r.op === 'ban'
        ? { seq: Number(r.seq), jail: String(r.jail), op: 'ban' as const, ban: payload as Ban }
        : { seq: Number(r.seq), jail: String(r.jail), op: 'unban' as const, unban: payload };
    });
  }

  async activeBans(now: number, jail?: string): Promise<Ban[]> {
    const rows = (jail === undefined ? this.stmts.active.all(now) : this.stmts.activeJail.all(jail, now)) as Row[];
    return rows.map(toBan);
  }

  async expiredBans(now: number): Promise<Ban[]> {
    return (this.stmts.expired.all(now) as Row[]).map(toBan);
  }

  async bansOf(id: string): Promise<Ban[]> {
    return (this.stmts.bansOf.all(id) as Row[]).map((r) => ({ ...toBan(r), lines: r.lines ? JSON.parse(String(r.lines)) as string[] : undefined }));
  }

  async banHistory(id: string, since: number, jail?: string): Promise<BanHistory> {
    const r = (jail === undefined ? this.stmts.history.get(id, since) : this.stmts.historyJail.get(id, since, jail)) as Row;
    return { count: Number(r.n), lastStart: r.last === null ? undefined : Number(r.last) };
  }

  async banCounts(since: number): Promise<{ jail: string; id: string; count: number }[]> {
    return (this.stmts.counts.all(since) as Row[]).map((r) => ({ jail: String(r.jail), id: String(r.id), count: Number(r.n) }));
  }

  async failuresSince(jail: string, since: number): Promise<StoredFailure[]> {
    return (this.stmts.failuresSince.all(jail, since) as Row[]).map((r) => ({
      jail: String(r.jail), id: String(r.id), time: Number(r.time), attempts: Number(r.attempts),
    }));
  }

  async position(key: string): Promise<unknown> {
    const r = this.stmts.getPosition.get(key) as Row | undefined;
    return r ? JSON.parse(String(r.value)) : undefined;
  }

  async purgeFailures(jail: string, before: number, limit: number): Promise<number> {
    return this.stmts.purgeJailFailures.run(jail, before, limit).changes;
  }

  async purge(before: number): Promise<void> {
    this.db.transaction(() => {
      this.stmts.purgeFailures.run(before);
      this.stmts.purgeBans.run(before);
    })();
  }
}

function toBan(r: Row): Ban {
  return {
    jail: String(r.jail), id: String(r.id), start: Number(r.start), end: r.end === null ? null : Number(r.end),
    count: Number(r.count), failures: Number(r.failures), rule: r.rule === null ? undefined : String(r.rule),
  };
}
