/**
 * Crash safety, end to end: the real daemon is killed with SIGKILL at random points while attacks
 * are appended to its log, and restarted each time. Afterwards: every attacker that reached maxretry
 * is banned exactly once (the action may see the same ban again after a crash — at-least-once, same
 * start and end — but never a second decision), no line is counted twice (an attacker with fewer
 * attempts than maxretry is never banned, however often we crashed), windows continue across
 * restarts, and bans that expired while the daemon was dead are unbanned at the next start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sshdLine, startF2b, tempDir, type RunningF2b, until } from './helpers.js';

const tmp = tempDir('f2b-crash-');
afterAll(() => {
  if (!process.env.F2B_KEEP_TMP) tmp.cleanup();
  else console.log('kept', tmp.dir);
});

const log = join(tmp.dir, 'auth.log');
const shortLog = join(tmp.dir, 'short.log');
const events = join(tmp.dir, 'events.jsonl');
const db = join(tmp.dir, 'f2b.db');
const cfg = join(tmp.dir, 'f2b.config.json');

interface Event {
  event: 'ban' | 'unban';
  jail: string;
  id: string;
  start?: number;
  end?: number | null;
  reason?: string;
}
const readEvents = (): Event[] =>
  existsSync(events)
    ? readFileSync(events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Event)
    : [];

let pid = 20000;
function attempt(file: string, ip: string): void {
  appendFileSync(file, sshdLine(`Failed password for root from ${ip} port ${pid} ssh2`, { pid: pid++ }));
}

async function start(): Promise<RunningF2b> {
  const run = startF2b(['start', '--foreground', '--config', cfg]);
  await run.waitFor(/Started \d+ jail/, 'stderr', 20_000);
  return run;
}

describe('kill -9 during a stream of attacks', () => {
  it('loses no ban, duplicates none, counts no line twice, and unbans what expired while down', async () => {
    writeFileSync(log, '');
    writeFileSync(shortLog, '');
    const action = [{ type: 'log', file: events, stdout: false }];
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: db },
        socket: false,
        jails: {
          sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', actions: action, maxretry: 3, findtime: '1h', bantime: '1h' },
          short: { source: { type: 'file', paths: [shortLog], pollInterval: 50 }, filter: 'sshd', actions: action, maxretry: 1, findtime: '1h', bantime: '2s' },
        },
      }),
    );

    // Attackers: A* reach maxretry (3 attempts), B* stay below it (2 attempts) forever.
    const full = Array.from({ length: 12 }, (_, i) => `192.0.2.${10 + i}`);
    const below = Array.from({ length: 6 }, (_, i) => `198.51.100.${10 + i}`);
    const plan: string[] = [...full.flatMap((ip) => [ip, ip, ip]), ...below.flatMap((ip) => [ip, ip])];
    // A deterministic shuffle, so attempts of one attacker straddle crashes.
    let seed = 7;
    for (let i = plan.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }

    let run = await start();
    // The short-bantime jail: a ban, then a crash, then its end passes while we are dead.
    attempt(shortLog, '203.0.113.9');
    await until('the short ban', () => readEvents().some((e) => e.event === 'ban' && e.id === '203.0.113.9'));

    let next = 0;
    for (let round = 0; round < 6; round++) {
      const n = 3 + ((round * 5) % 5);
      for (let k = 0; k < n && next < plan.length; k++) attempt(log, plan[next++]!);
      await new Promise((r) => setTimeout(r, (round * 37) % 150)); // kill at varying points
      run.child.kill('SIGKILL');
      await run.stop();
      if (round === 0) await new Promise((r) => setTimeout(r, 2500)); // let the 2 s ban expire while dead
      run = await start();
    }
    while (next < plan.length) attempt(log, plan[next++]!);
    // A last attacker: once it is banned, every line before it has been processed.
    for (let k = 0; k < 3; k++) attempt(log, '192.0.2.250');
    await until('the final ban', () => readEvents().some((e) => e.event === 'ban' && e.id === '192.0.2.250'));
    expect(await run.stop('SIGTERM')).toBe(0);

    const ev = readEvents();
    for (const ip of [...full, '192.0.2.250']) {
      const decisions = new Set(ev.filter((e) => e.event === 'ban' && e.id === ip).map((e) => `${e.start}/${e.end}`));
      expect(decisions.size, `${ip} banned exactly once`).toBe(1);
    }
    for (const ip of below)
      expect(
        ev.some((e) => e.id === ip),
        `${ip} never banned`,
      ).toBe(false);
    expect(ev.some((e) => e.event === 'unban' && e.id === '203.0.113.9' && e.reason === 'expired')).toBe(true);

    const sql = new Database(db, { readonly: true });
    try {
      const rows = sql.prepare('SELECT id, COUNT(*) AS n FROM bans WHERE jail = ? GROUP BY id').all('sshd') as { id: string; n: number }[];
      expect(Object.fromEntries(rows.map((r) => [r.id, r.n]))).toEqual(Object.fromEntries([...full, '192.0.2.250'].map((ip) => [ip, 1])));
      const shortActive = sql.prepare('SELECT COUNT(*) AS n FROM bans WHERE jail = ? AND active = 1').get('short') as { n: number };
      expect(shortActive.n).toBe(0);
      const outbox = sql.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number };
      expect(outbox.n).toBe(0);
    } finally {
      sql.close();
    }
  }, 120_000);
});
