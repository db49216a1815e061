/**
 * Exact resume, end to end with the real daemon and its SQLite store: the lines of one sshd attempt
 * (`Invalid user x` then `Failed password for invalid user x`, one attempt) split by a restart, a
 * `kill -9` or a reload are counted once — the sshd filter's connection state is saved in the same
 * checkpoint as the read position. With maxretry 2, counting the split attempt twice would ban.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sshdLine, startF2b, tempDir, type RunningF2b, until } from './helpers.js';

const tmp = tempDir('f2b-resume-');
afterAll(() => tmp.cleanup());

const log = join(tmp.dir, 'auth.log');
const events = join(tmp.dir, 'events.jsonl');
const db = join(tmp.dir, 'f2b.db');
const cfg = join(tmp.dir, 'f2b.config.json');

const banned = (): string[] =>
  existsSync(events)
    ? readFileSync(events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; id: string })
        .filter((e) => e.event === 'ban')
        .map((e) => e.id)
    : [];

/** Attempts of `ip` the daemon has committed to its store. */
function storedAttempts(ip: string): number {
  if (!existsSync(db)) return 0;
  const sql = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (sql.prepare('SELECT COALESCE(SUM(attempts), 0) AS n FROM failures WHERE id = ?').get(ip) as { n: number }).n;
  } finally {
    sql.close();
  }
}

async function start(): Promise<RunningF2b> {
  const run = startF2b(['start', '--foreground', '--config', cfg]);
  await run.waitFor(/Started \d+ jail/, 'stderr', 20_000);
  return run;
}

describe('an sshd attempt split across a restart, a kill -9 or a reload', () => {
  it('is counted once', async () => {
    writeFileSync(log, '');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: db },
        socket: false,
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            actions: [{ type: 'log', file: events, stdout: false }],
            maxretry: 2,
            findtime: '1h',
            bantime: '1h',
          },
        },
      }),
    );
    let run = await start();
    const cases: { ip: string; pid: number; split: (r: RunningF2b) => Promise<RunningF2b> }[] = [
      {
        ip: '192.0.2.21',
        pid: 3101,
        split: async (r) => {
          expect(await r.stop('SIGTERM')).toBe(0);
          return start();
        },
      },
      {
        ip: '192.0.2.22',
        pid: 3102,
        split: async (r) => {
          r.child.kill('SIGKILL');
          await r.stop();
          return start();
        },
      },
      {
        ip: '192.0.2.23',
        pid: 3103,
        split: async (r) => {
          const before = (r.stderr().match(/Reloaded:/g) ?? []).length;
          r.child.kill('SIGHUP');
          await until('the reload', () => (r.stderr().match(/Reloaded:/g) ?? []).length > before);
          return r;
        },
      },
    ];
    for (const c of cases) {
      appendFileSync(log, sshdLine(`Invalid user x from ${c.ip} port 40000`, { pid: c.pid }));
      await until(`the first line of ${c.ip} to be checkpointed`, () => storedAttempts(c.ip) === 1);
      run = await c.split(run);
      appendFileSync(log, sshdLine(`Failed password for invalid user x from ${c.ip} port 40000 ssh2`, { pid: c.pid }));
    }
    // A sentinel with two real attempts: once it is banned, every line before it was processed.
    for (const port of [1, 2]) appendFileSync(log, sshdLine(`Failed password for root from 203.0.113.50 port ${port} ssh2`, { pid: 3200 + port }));
    await until('the sentinel ban', () => banned().includes('203.0.113.50'));
    expect(await run.stop('SIGTERM')).toBe(0);
    expect(banned()).toEqual(['203.0.113.50']);
    for (const c of cases) expect(storedAttempts(c.ip), c.ip).toBe(1);
  }, 90_000);
});
