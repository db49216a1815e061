import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterRunner, EntryParser, memoryLogger } from '@f2b/core';
import { sshdFilter } from '../src/index.js';
import { readSshdMaxAuthTries } from '../src/max-auth-tries.js';
import { A, L, NOW, totals } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-sshd-T-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An executable that answers like `sshd -T` (or fails like it), to stand in for sshd. */
function fakeSshd(name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const max = L(100, `error: maximum authentication attempts exceeded for git from ${A} port 50000 ssh2 [preauth]`);

function runWith(options: Record<string, unknown>) {
  const logger = memoryLogger();
  const runner = new FilterRunner(sshdFilter, { options, logger });
  const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
  return { failures: runner.process(parser.parse(Buffer.from(max)), NOW), records: logger.records };
}

describe('maxauthtries: auto', () => {
  it('pads to the MaxAuthTries the local sshd reports (`sshd -T`, argv only)', () => {
    const sshd = fakeSshd('sshd-ok', '[ "$1" = "-T" ] || exit 9\nprintf "port 22\\nmaxauthtries 3\\nmaxsessions 10\\n"');
    const { failures, records } = runWith({ maxauthtries: 'auto', sshdPath: sshd });
    expect(totals(failures)).toEqual({ [A]: 3 });
    expect(records.some((r) => r.level === 'info' && /MaxAuthTries is 3/.test(r.msg))).toBe(true);
  });

  it('passes sshdConfig as -f', () => {
    const sshd = fakeSshd('sshd-f', '[ "$1 $2 $3" = "-T -f /etc/ssh/other_config" ] || exit 9\necho "maxauthtries 4"');
    expect(readSshdMaxAuthTries(sshd, '/etc/ssh/other_config')).toBe(4);
  });

  it('falls back to counting what sshd logged, with a warning, when sshd -T fails or is absent', () => {
    const failing = fakeSshd('sshd-fail', 'echo "Missing privilege separation directory: /run/sshd" >&2\nexit 255');
    for (const sshdPath of [failing, join(dir, 'no-such-sshd')]) {
      const { failures, records } = runWith({ maxauthtries: 'auto', sshdPath });
      expect(totals(failures)).toEqual({ [A]: 1 });
      const warning = records.find((r) => r.level === 'warn');
      expect(warning?.msg).toMatch(/could not read sshd's MaxAuthTries/);
      expect(warning?.msg).toMatch(/Fix:/);
    }
    const { records } = runWith({ maxauthtries: 'auto', sshdPath: failing });
    expect(records.find((r) => r.level === 'warn')?.msg).toMatch(/exited with 255: "Missing privilege separation directory/);
    const silent = fakeSshd('sshd-empty', 'echo "port 22"');
    expect(readSshdMaxAuthTries(silent)).toEqual({ problem: expect.stringMatching(/no "maxauthtries N" line/) });
  });

  // The real OpenSSH server, when `sshd -T` can run here (root, host keys, /run/sshd).
  const realSshd = '/usr/sbin/sshd';
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, 'MaxAuthTries 3\nHostKey /etc/ssh/ssh_host_ed25519_key\n');
  const why = !existsSync(realSshd)
    ? 'no /usr/sbin/sshd'
    : spawnSync(realSshd, ['-T', '-f', cfg]).status !== 0
      ? '`sshd -T` does not run here (not root, no host key, or no /run/sshd)'
      : null;
  it.skipIf(why !== null)(`reads MaxAuthTries from the real sshd${why ? ` (skipped: ${why})` : ''}`, () => {
    expect(readSshdMaxAuthTries(realSshd, cfg)).toBe(3);
  });
  if (why) console.log(`max-auth-tries.test: real sshd -T test skipped: ${why}`);
});
