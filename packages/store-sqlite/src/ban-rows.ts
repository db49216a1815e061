/**
 * Writes a checkpoint's bans several to a statement: the rows of the bans, their outbox entries,
 * the end of the bans they replace and the failure rows of the windows they clear; and removes
 * the outbox entries of work done the same way. A burst's checkpoint holds hundreds of bans, and
 * four statements each (one crossing into SQLite per `run`) were half of its time.
 *
 * The bans go in runs of distinct addresses (a whole batch, but for a ban, an unban by hand and a
 * ban again within one tick): a later ban of an address ends the earlier one, as when each ban
 * was written on its own.
 */
import type Database from 'better-sqlite3';
import type { Ban } from '@f2b/core';

/** Bans per multi-row statement: 32 × 8 parameters, far below SQLite's limit (32,766). */
export const BANS_PER_STATEMENT = 32;

const BAN_ROW = '(?, ?, ?, ?, ?, ?, ?, ?, 1)';
const OUTBOX_ROW = "(?, 'ban', ?, ?)";

export class BanRows {
  private readonly endActive = new Map<number, Database.Statement>();
  private readonly clearFailures = new Map<number, Database.Statement>();
  private readonly addBans = new Map<number, Database.Statement>();
  private readonly addOutbox = new Map<number, Database.Statement>();
  private readonly outboxDone = new Map<number, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /**
   * Inside the caller's transaction, in this order: the windows in `cleared` emptied; then for each
   * run of bans of distinct addresses, every earlier active ban of them ended, the bans inserted,
   * their outbox entries added (created at `now`). Returns the outbox numbers, in the order of `bans`.
   */
  write(cleared: readonly { jail: string; id: string }[], bans: readonly Ban[], now: number): number[] {
    for (const [jail, ids] of byJail(cleared)) this.inChunks(ids, (part) => this.clearStatement(part.length).run(jail, ...part));
    const seqs: number[] = [];
    for (const run of distinctRuns(bans)) seqs.push(...this.writeRun(run, now));
    return seqs;
  }

  /** Bans of distinct addresses: the earlier ones ended, these inserted; their outbox numbers. */
  private writeRun(bans: readonly Ban[], now: number): number[] {
    for (const [jail, ids] of byJail(bans)) this.inChunks(ids, (part) => this.endStatement(part.length).run(jail, ...part));
    this.inChunks(bans, (part) => {
      const params: unknown[] = [];
      for (const b of part) params.push(b.jail, b.id, b.start, b.end, b.count, b.failures, b.rule ?? null, b.lines ? JSON.stringify(b.lines) : null);
      this.banStatement(part.length).run(params);
    });
    const seqs: number[] = [];
    this.inChunks(bans, (part) => {
      const params: unknown[] = [];
      // The parsed address (`ip`) is not stored: the core parses `id` again when it reads the ban back.
      for (const b of part) params.push(b.jail, JSON.stringify({ ...b, ip: undefined }), now);
      const last = Number(this.outboxStatement(part.length).run(params).lastInsertRowid);
      // The outbox's seq is AUTOINCREMENT: one INSERT's rows take consecutive numbers, in order.
      for (let k = part.length - 1; k >= 0; k--) seqs.push(last - k);
    });
    return seqs;
  }

  /** Inside the caller's transaction: the outbox entries `seqs` are done (removed). */
  done(seqs: readonly number[]): void {
    this.inChunks(seqs, (part) => this.doneStatement(part.length).run(...part));
  }

  private inChunks<T>(items: readonly T[], run: (part: readonly T[]) => void): void {
    for (let i = 0; i < items.length; i += BANS_PER_STATEMENT) run(items.slice(i, i + BANS_PER_STATEMENT));
  }

  private clearStatement(n: number): Database.Statement {
    return cached(this.clearFailures, n, () => this.db.prepare(`DELETE FROM failures WHERE jail = ? AND id IN (${marks(n)})`));
  }

  private endStatement(n: number): Database.Statement {
    return cached(this.endActive, n, () => this.db.prepare(`UPDATE bans SET active = 0 WHERE jail = ? AND id IN (${marks(n)}) AND active = 1`));
  }

  private banStatement(n: number): Database.Statement {
    return cached(this.addBans, n, () =>
      this.db.prepare(`INSERT INTO bans (jail, id, start, "end", count, failures, rule, lines, active) VALUES ${Array(n).fill(BAN_ROW).join(', ')}`),
    );
  }

  private doneStatement(n: number): Database.Statement {
    return cached(this.outboxDone, n, () => this.db.prepare(`DELETE FROM outbox WHERE seq IN (${marks(n)})`));
  }

  private outboxStatement(n: number): Database.Statement {
    return cached(this.addOutbox, n, () => this.db.prepare(`INSERT INTO outbox (jail, op, payload, created) VALUES ${Array(n).fill(OUTBOX_ROW).join(', ')}`));
  }
}

function marks(n: number): string {
  return Array(n).fill('?').join(', ');
}

/** A statement per row count, prepared once (a batch's last part has any count up to the chunk). */
function cached(statements: Map<number, Database.Statement>, n: number, prepare: () => Database.Statement): Database.Statement {
  let s = statements.get(n);
  if (s === undefined) statements.set(n, (s = prepare()));
  return s;
}

/** `bans` cut before every ban whose address (in its jail) the current run has already. */
function distinctRuns(bans: readonly Ban[]): Ban[][] {
  const runs: Ban[][] = [];
  let run: Ban[] = [];
  let seen = new Set<string>();
  for (const b of bans) {
    const key = `${b.jail}\0${b.id}`;
    if (seen.has(key)) {
      runs.push(run);
      run = [];
      seen = new Set();
    }
    seen.add(key);
    run.push(b);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function byJail(items: readonly { jail: string; id: string }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { jail, id } of items) {
    const ids = out.get(jail);
    if (ids) ids.push(id);
    else out.set(jail, [id]);
  }
  return out;
}
