/**
 * Writes a checkpoint's failure rows several to a statement. A burst's checkpoint holds thousands
 * of failures, and better-sqlite3 crosses into SQLite once per `run`: one INSERT of 32 rows cost a
 * third of 32 single ones here (a 2,300-failure checkpoint of a burst: 31 → 20 ms).
 */
import type Database from 'better-sqlite3';

const COLUMNS = 7;
/** Rows per multi-row INSERT: 224 parameters, far below SQLite's limit (32,766). */
export const ROWS_PER_INSERT = 32;
const INSERT = 'INSERT INTO failures (jail, id, time, attempts, lines, rule, captures) VALUES ';

/** What a failure row holds (a core `Failure` is one). */
export interface FailureRow {
  id: string;
  time: number;
  attempts: number;
  lines: readonly string[];
  rule?: string;
  captures?: Readonly<Record<string, string>>;
}

export class FailureRows {
  private readonly one: Database.Statement;
  private readonly many: Database.Statement;
  /**
   * The JSON of frozen captures: the filter engine shares one frozen captures object between every
   * line of the same message, so a burst's thousands of failures have a handful of distinct ones.
   */
  private readonly capturesJson = new WeakMap<object, string | null>();

  constructor(db: Database.Database) {
    const row = `(${Array(COLUMNS).fill('?').join(', ')})`;
    this.one = db.prepare(INSERT + row);
    this.many = db.prepare(INSERT + Array(ROWS_PER_INSERT).fill(row).join(', '));
  }

  /** Insert the rows of the failures that count attempts (inside the caller's transaction), in order. */
  insert(failures: readonly { jail: string; failure: FailureRow }[]): void {
    const params: unknown[] = [];
    for (const { jail, failure: r } of failures) {
      if (r.attempts <= 0) continue;
      params.push(jail, r.id, r.time, r.attempts, r.lines.length > 0 ? JSON.stringify(r.lines) : null, r.rule ?? null, this.captures(r.captures));
      if (params.length === ROWS_PER_INSERT * COLUMNS) {
        this.many.run(params);
        params.length = 0;
      }
    }
    for (let i = 0; i < params.length; i += COLUMNS) this.one.run(params.slice(i, i + COLUMNS));
  }

  private captures(c: Readonly<Record<string, string>> | undefined): string | null {
    if (c === undefined) return null;
    const frozen = Object.isFrozen(c);
    if (frozen) {
      const known = this.capturesJson.get(c);
      if (known !== undefined) return known;
    }
    const json = Object.keys(c).length > 0 ? JSON.stringify(c) : null;
    if (frozen) this.capturesJson.set(c, json);
    return json;
  }
}
