/**
 * A jail that watches nothing, end to end with the real binary: a jail whose log path has a typo is
 * an error at start (the other jails keep running) and `f2b status` shows it as not watching, with
 * the reason; jails switched off by `enabledIf` are listed at start; when no jail watches anything,
 * `f2b start` refuses (exit 2), as fail2ban does; a jail that may wait for its log starts and picks
 * the log up when it appears.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-watch-');
afterAll(() => tmp.cleanup());

const good = join(tmp.dir, 'auth.log');
const typo = join(tmp.dir, 'auth.lgo');
const later = join(tmp.dir, 'later.log');
const sock = join(tmp.dir, 'f2b.sock');

function config(name: string, jails: Record<string, unknown>, socket: string | false = false): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, JSON.stringify({ state: { type: 'memory' }, socket, jails }));
  return file;
}
const jail = (source: string, extra: Record<string, unknown> = {}) => ({
  source: { type: 'file', paths: [source], pollInterval: 50 },
  filter: 'sshd',
  ...extra,
});

describe('f2b start with a jail that watches nothing', () => {
  it('logs an error for it, keeps the others, lists enabledIf jails that are off, and status says why', async () => {
    writeFileSync(good, '');
    const cfg = config(
      'mixed.json',
      {
        sshd: jail(good),
        typo: jail(typo),
        web: { ...jail(good), enabledIf: { exists: [join(tmp.dir, 'no-nginx')] } },
      },
      sock,
    );
    const run = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    try {
      await run.waitFor(/Control socket listening/, 'stderr', 20_000);
      const err = run.stderr();
      expect(err).toContain(`F2B_ERR_JAIL_WATCHES_NOTHING: jails.typo: The jail "typo" watches nothing: ${typo} does not exist.`);
      expect(err).toContain(`Jail "web" is off: enabledIf: ${join(tmp.dir, 'no-nginx')} does not exist.`);
      expect(err).toMatch(/Started 2 jail\(s\): sshd, typo/);
      const all = JSON.parse(f2b(['status', '--json', '--socket', sock]).stdout);
      expect(all.notWatching).toEqual([{ jail: 'typo', reason: `${typo} does not exist` }]);
      const one = JSON.parse(f2b(['status', 'typo', '--json', '--socket', sock]).stdout);
      expect(one).toMatchObject({ watching: false, problems: [`${typo} does not exist`] });
      expect(f2b(['status', 'typo', '--socket', sock]).stdout).toContain(`Watching:`);
      expect(JSON.parse(f2b(['status', 'sshd', '--json', '--socket', sock]).stdout)).toMatchObject({ watching: true });
      // The other jail works.
      for (let i = 0; i < 5; i++) appendFileSync(good, sshdLine(`Failed password for root from 192.0.2.30 port ${i} ssh2`, { pid: 900 + i }));
      await run.waitFor(/Ban 192\.0\.2\.30/, 'stdout', 15_000);
    } finally {
      expect(await run.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);

  it('refuses to start when no jail watches anything (exit 2)', () => {
    const r = f2b(['start', '--foreground', '--dry-run', '--config', config('none.json', { typo: jail(typo) })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`The jail "typo" watches nothing: ${typo} does not exist`);
    expect(r.stderr).toContain('F2B_ERR_NOTHING_WATCHED: No jail watches anything (typo)');
    expect(r.stderr).not.toMatch(/Started \d+ jail/);
  });

  it('starts a jail that may wait for its log, and reads the log once it appears', async () => {
    const run = startF2b(['start', '--foreground', '--dry-run', '--config', config('wait.json', { later: jail(later, { waitForLog: true, maxretry: 1 }) })]);
    try {
      await run.waitFor(/Started 1 jail/, 'stderr', 20_000);
      expect(run.stderr()).toContain(`Jail "later" waits for its log (waitForLog): ${later} does not exist.`);
      writeFileSync(later, sshdLine('Failed password for root from 192.0.2.31 port 1 ssh2'));
      await run.waitFor(/Ban 192\.0\.2\.31/, 'stdout', 15_000);
    } finally {
      expect(await run.stop('SIGTERM')).toBe(0);
    }
  }, 60_000);
});
