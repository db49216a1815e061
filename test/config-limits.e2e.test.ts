/**
 * Attack 7 of issue 12: a "billion laughs" YAML config (aliases of aliases, 10^9 strings once
 * expanded). `config check` and `start` refuse it at once (F2B_ERR_CONFIG_LIMIT, exit 2); a reload
 * with it (control `reload`, SIGHUP) fails, and the running jails keep banning and the daemon answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-limits-');
afterAll(() => tmp.cleanup());

/** Nine levels of ten aliases each: 10^9 "lol"s when expanded. */
function billionLaughs(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return [...lines, 'jails: {}', ''].join('\n');
}

const bomb = join(tmp.dir, 'bomb.yaml');
writeFileSync(bomb, billionLaughs());

describe('config limits (issue 12, attack 7)', () => {
  it('config check and start refuse a billion-laughs YAML with F2B_ERR_CONFIG_LIMIT, exit 2', () => {
    for (const args of [
      ['config', 'check', '-c', bomb],
      ['start', '--foreground', '-c', bomb],
    ]) {
      const r = f2b(args, { timeoutMs: 30_000 });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`F2B_ERR_CONFIG_LIMIT: ${bomb}: The config file "${bomb}" is refused: its YAML aliases expand to more than 100 copies`);
    }
  });

  it('refuses a config file larger than 1 MiB', () => {
    const big = join(tmp.dir, 'big.yaml');
    writeFileSync(big, `jails: {}\n# ${'x'.repeat(1024 * 1024)}\n`);
    const r = f2b(['config', 'check', '-c', big], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_CONFIG_LIMIT');
    expect(r.stderr).toContain('more than the 1048576 a config may have');
  });

  it('a reload (control and SIGHUP) with it fails; the old jails keep banning and the daemon answers', async () => {
    const config = join(tmp.dir, 'f2b.config.yaml');
    const log = join(tmp.dir, 'auth.log');
    const socket = join(tmp.dir, 'f2b.sock');
    const S = ['--socket', socket];
    writeFileSync(log, '');
    writeFileSync(
      config,
      `state: { type: memory }\nsocket: ${socket}\njails:\n  sshd: { source: ${log}, filter: sshd, actions: [log], maxretry: 1, bantime: 1h }\n`,
    );
    const daemon = startF2b(['start', '--foreground', '-c', config]);
    try {
      await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
      writeFileSync(config, billionLaughs());
      const reload = f2b(['reload', ...S], { timeoutMs: 30_000 });
      expect(reload.code).toBe(2);
      expect(reload.stderr).toContain('F2B_ERR_CONFIG_LIMIT');
      daemon.child.kill('SIGHUP');
      await daemon.waitFor(
        /Reload failed; the previous configuration stays in force \(F2B_ERR_CONFIG_LIMIT[^\n]*\n[^]*Reload failed; the previous configuration stays in force \(F2B_ERR_CONFIG_LIMIT/,
        'stderr',
        20_000,
      );
      const ping = f2b(['ping', '--json', ...S], { timeoutMs: 30_000 });
      expect(ping.code).toBe(0);
      expect(JSON.parse(ping.stdout)).toMatchObject({ pong: true });
      appendFileSync(log, sshdLine('Failed password for root from 192.0.2.77 port 22 ssh2'));
      await daemon.waitFor(/\[sshd\] Ban 192\.0\.2\.77 /, 'stdout', 20_000);
      const status = f2b(['status', 'sshd', '--json', ...S], { timeoutMs: 30_000 });
      expect(JSON.parse(status.stdout).banned).toContain('192.0.2.77');
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});
