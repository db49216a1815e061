import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Core, Jail, resolveConfig, type FilterDefinition, type LogLevel } from '@f2b/core';
import { FakeClock } from '@f2b/core/testing';
import fileSource from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const failedPassword: FilterDefinition = {
  id: 'test-sshd',
  programs: ['sshd'],
  rules: [{ id: 'failed', pattern: '^Failed password for (?:invalid user )?(?P<user>.*) from <ADDR> port \\d+ ssh2$' }],
};

describe('overlong lines in a jail', () => {
  it('are never matched, are counted on the jail, and warned about at most once a minute', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'f2b-overlong-'));
    dirs.push(dir);
    const log = path.join(dir, 'auth.log');
    fs.writeFileSync(log, '');
    const clock = new FakeClock('2024-03-10T10:00:00Z');
    const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
    const core = new Core({
      clock,
      logLevel: 'warn',
      logSink: (level: LogLevel, _n, msg, fields) => {
        if (level === 'warn') warnings.push({ msg, fields });
      },
    });
    core.use(fileSource());
    core.use({
      apply(api) {
        api.registerFilter(failedPassword);
        api.registerAction({ type: 'log', create: () => ({ ban: async () => {}, unban: async () => {} }) });
      },
    });
    const resolved = resolveConfig({
      jails: {
        sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'test-sshd', maxretry: 1, bantime: '1h', ignoreself: false, timezone: 'UTC' },
      },
    });
    const jail = new Jail(core, resolved.jails[0]!);
    const failures: string[] = [];
    core.hooks.failure.tap('test', (f) => {
      failures.push(f.id);
    });
    await jail.start();
    try {
      const head = 'Mar 10 10:00:00 www sshd[1643]: Failed password for invalid user ';
      const decoy = ' from 198.51.100.203 port 22 ssh2';
      const forged = head + 'a'.repeat(65_536 - head.length - decoy.length) + decoy;
      const normal = 'Mar 10 10:00:01 www sshd[1644]: Failed password for root from 203.0.113.7 port 22 ssh2';
      fs.appendFileSync(log, `${forged} from 203.0.113.9 port 22 ssh2\n${forged}x\n${normal}\n`);
      await jail.poll();
      expect(failures).toEqual(['203.0.113.7']);
      expect(jail.stats.overlongLines).toBe(2);
      expect(jail.status().overlongLines).toBe(2);
      expect(warnings.length).toBe(1);
      expect(warnings[0]!.fields).toMatchObject({ origin: log, lines: 1, total: 1 });
      // A minute later the next one is warned about again, with the count of the silent ones.
      clock.advance(61_000);
      fs.appendFileSync(log, `${forged}y\n`);
      await jail.poll();
      expect(warnings.length).toBe(2);
      expect(warnings[1]!.fields).toMatchObject({ lines: 2, total: 3 });
    } finally {
      await jail.stop();
    }
  });
});
