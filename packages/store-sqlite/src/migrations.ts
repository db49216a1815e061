/**
 * Schema migrations, applied in order; `PRAGMA user_version` is the number applied. Never edit a
 * released step: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: bans (current and history), failures inside findtime, read positions, the action outbox.
  `
  CREATE TABLE bans (
    jail TEXT NOT NULL, id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER,
    count INTEGER NOT NULL, failures INTEGER NOT NULL, rule TEXT, lines TEXT, active INTEGER NOT NULL
  );
  CREATE INDEX bans_active ON bans (active, "end");
  CREATE INDEX bans_jail_id ON bans (jail, id, active);
  CREATE INDEX bans_id_start ON bans (id, start);
  CREATE INDEX bans_start ON bans (start);
  CREATE TABLE failures (jail TEXT NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL, attempts INTEGER NOT NULL);
  CREATE INDEX failures_jail_time ON failures (jail, time);
  CREATE INDEX failures_jail_id ON failures (jail, id);
  CREATE TABLE positions (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, jail TEXT NOT NULL, op TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL);
  `,
  // 2: each failure's log lines, so the ban record of a window needs none of them in memory.
  `
  ALTER TABLE failures ADD COLUMN lines TEXT;
  `,
  // 3: each failure's rule and captures, so `f2b explain` can say what each one was.
  `
  ALTER TABLE failures ADD COLUMN rule TEXT;
  ALTER TABLE failures ADD COLUMN captures TEXT;
  `,
];
