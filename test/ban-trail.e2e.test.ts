/**
 * Issue 16, the log: the real daemon writes one timestamped `NOTICE [jail] Ban …` / `Unban …` line per
 * event (origin local or manual), `Found` lines at debug, JSON lines with `logFormat: json`, syslog
 * priorities instead of timestamps when its stderr is the journal's stream (JOURNAL_STREAM), and the
 * `recidive` filter reads its ban lines back. Detached, it writes to a log file by default, never to
 * /dev/null, and refuses a log file that is a symbolic link.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F2B, f2b, f2bRunnableBy, ROOT, runF2b, sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-trail-');
afterAll(() => tmp.cleanup());
let n = 0;

function setup(extra: Record<string, unknown> = {}) {
  const dir = join(tmp.dir, `run${n++}`);
  mkdirSync(dir);
  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  const sock = join(dir, 'f2b.sock');
  const cfg = join(dir, 'f2b.config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { type: 'memory' },
      socket: sock,
      ...extra,
      jails: {
        sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 2, bantime: '1h', ignoreself: false, actions: ['log'] },
      },
    }),
  );
  let pid = 3000;
  const fail = (ip: string, times = 2) => {
    for (let i = 0; i < times; i++) appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${41000 + i} ssh2`, { pid: pid++ }));
  };
  return { dir, log, sock, cfg, fail };
}

describe("the ban trail in the daemon's own log", () => {
  it('text: a timestamped NOTICE line per ban and unban, with origin; recidive reads the ban lines back', async () => {
    const s = setup();
    const d = startF2b(['start', '--foreground', '--config', s.cfg]);
    try {
      await d.waitFor(/Started 1 jail/, 'stderr', 20_000);
      s.fail('203.0.113.71');
      const m = await d.waitFor(/^(\S+) NOTICE \[sshd\] Ban 203\.0\.113\.71 until (\S+) \(failures: 2, ban #1, rule: ([\w-]+), origin: local\)$/m, 'stderr');
      expect(Math.abs(Date.parse(m[1]!) - Date.now())).toBeLessThan(60_000);
      expect(Date.parse(m[2]!) - Date.parse(m[1]!)).toBeGreaterThan(3_500_000);
      expect((await runF2b(['ban', 'sshd', '198.51.100.72', '--socket', s.sock])).code).toBe(0);
      await d.waitFor(/ NOTICE \[sshd\] Ban 198\.51\.100\.72 until \S+ \(failures: 0, ban #1, rule: manual, origin: manual\)$/m, 'stderr');
      expect((await runF2b(['unban', '203.0.113.71', '--jail', 'sshd', '--socket', s.sock])).code).toBe(0);
      await d.waitFor(/^\S+ NOTICE \[sshd\] Unban 203\.0\.113\.71 \(manual\)$/m, 'stderr');
      // Every line of the daemon's log starts with its time.
      for (const line of d.stderr().trim().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|NOTICE|WARN|ERROR) +\[/);
      // The recidive filter counts exactly the two ban lines, for the right addresses.
      writeFileSync(join(s.dir, 'f2b.log'), d.stderr());
      const r = f2b(['test-filter', 'recidive', join(s.dir, 'f2b.log'), '--json']);
      const hits = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { match: boolean; id?: string })
        .filter((h) => h.match);
      expect(hits.map((h) => h.id)).toEqual(['203.0.113.71', '198.51.100.72']);
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('json with debug: one JSON object per line, a Found line per failure, the ban with its facts', async () => {
    const s = setup({ logFormat: 'json', logLevel: 'debug' });
    const d = startF2b(['start', '--foreground', '--config', s.cfg]);
    try {
      await d.waitFor(/Started 1 jail/, 'stderr', 20_000);
      s.fail('203.0.113.73');
      await d.waitFor(/"event":"ban"/, 'stderr');
      const records = d
        .stderr()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.filter((r) => r.event === 'found').map((r) => [r.level, r.name, r.ip])).toEqual([
        ['debug', 'sshd', '203.0.113.73'],
        ['debug', 'sshd', '203.0.113.73'],
      ]);
      const ban = records.find((r) => r.event === 'ban')!;
      expect(ban).toMatchObject({ level: 'notice', name: 'sshd', ip: '203.0.113.73', failures: 2, count: 1, origin: 'local' });
      expect(Date.parse(String(ban.until)) - Date.parse(String(ban.time))).toBeGreaterThan(3_500_000);
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('under systemd (stderr is the JOURNAL_STREAM): syslog priorities instead of timestamps', async () => {
    const s = setup();
    const out = join(s.dir, 'journal-stream');
    const fd = openSync(out, 'w');
    const st = fstatSync(fd);
    const child = spawn(process.execPath, [F2B, 'start', '--foreground', '--config', s.cfg], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', fd],
      env: { ...process.env, JOURNAL_STREAM: `${st.dev}:${st.ino}` },
    });
    closeSync(fd);
    const exited = new Promise((r) => child.once('exit', r));
    const text = () => readFileSync(out, 'utf8');
    try {
      await expect.poll(text, { timeout: 20_000 }).toContain('Started 1 jail');
      s.fail('203.0.113.74');
      await expect.poll(text, { timeout: 10_000 }).toMatch(/^<5>NOTICE \[sshd\] Ban 203\.0\.113\.74 until /m);
      expect(text()).toMatch(/^<6>INFO +\[/m);
      expect(text()).not.toMatch(/^\d{4}-/m);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});

describe("the detached daemon's log file", () => {
  it("refuses a --log-file that is a symbolic link (another user could aim root's appends anywhere)", () => {
    const s = setup();
    const link = join(s.dir, 'f2b.log');
    symlinkSync('/etc/hostname', link);
    const r = f2b(['start', '--config', s.cfg, '--log-file', link]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('F2B_ERR_LOG_FILE');
    expect(r.stderr).toContain('symbolic link');
  });

  const NOBODY = 65534;
  const runnable = process.getuid?.() === 0 ? f2bRunnableBy(NOBODY) : { skip: 'not root: cannot run f2b as another user' };
  const skip = 'skip' in runnable ? runnable.skip : null;
  if (skip) console.info(`detached default log file test skipped: ${skip}`);
  afterAll(() => {
    if ('cleanup' in runnable) runnable.cleanup();
  });

  it.skipIf(skip !== null)(
    'without --log-file it writes to $XDG_STATE_HOME/f2b/f2b.log (non-root), never to /dev/null',
    async () => {
      const bin = 'bin' in runnable ? runnable.bin : '';
      const dir = join(tmp.dir, 'nobody');
      mkdirSync(dir);
      spawnSync('chown', [`${NOBODY}:${NOBODY}`, dir]);
      chmodSync(tmp.dir, 0o755);
      const log = join(dir, 'auth.log');
      writeFileSync(log, '');
      chmodSync(log, 0o644);
      const cfg = join(dir, 'f2b.config.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          state: { type: 'memory' },
          socket: false,
          jails: { sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 2, ignoreself: false, actions: ['log'] } },
        }),
      );
      chmodSync(cfg, 0o644);
      const state = join(dir, 'state');
      const r = spawnSync(process.execPath, [bin, 'start', '--config', cfg], {
        cwd: '/',
        uid: NOBODY,
        gid: NOBODY,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, XDG_STATE_HOME: state, HOME: dir },
      });
      expect(r.stderr).toBe('');
      const file = join(state, 'f2b', 'f2b.log');
      expect(r.stdout).toContain(`Log: ${file}`);
      const pid = Number(/pid (\d+)/.exec(r.stdout)?.[1]);
      try {
        await expect.poll(() => existsSync(file) && readFileSync(file, 'utf8'), { timeout: 20_000 }).toContain('Started 1 jail');
        appendFileSync(
          log,
          sshdLine('Failed password for root from 203.0.113.75 port 1 ssh2', { pid: 1 }) +
            sshdLine('Failed password for root from 203.0.113.75 port 2 ssh2', { pid: 2 }),
        );
        await expect.poll(() => readFileSync(file, 'utf8'), { timeout: 10_000 }).toMatch(/NOTICE \[sshd\] Ban 203\.0\.113\.75 /);
        expect(fstatSync(openSync(file, 'r')).mode & 0o777).toBe(0o640);
      } finally {
        if (pid > 0)
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            /* gone */
          }
      }
    },
    60_000,
  );
});
