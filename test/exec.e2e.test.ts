/**
 * `@f2b/action-exec` end to end: the real `f2b` daemon, finding the plugin by its short name
 * (`exec` → `@f2b/action-exec`), tails an sshd log and runs a program (a script written here) with
 * the ban's values as separate arguments; `f2b unban` runs the unban command; `f2b plugins` lists
 * the package.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, runF2b, sshdLine, startF2b, tempDir, type RunningF2b, until } from './helpers.js';

describe('f2b with the exec action', () => {
  const tmp = tempDir('f2b-exec-e2e-');
  const log = join(tmp.dir, 'auth.log');
  const calls = join(tmp.dir, 'calls');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  const lines = () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);
  let daemon: RunningF2b;

  beforeAll(async () => {
    chmodSync(tmp.dir, 0o755);
    const prog = join(tmp.dir, 'firewall');
    // Each argument on its own, between brackets: the boundaries f2b passed are visible.
    writeFileSync(prog, `#!/bin/sh\nout="$F2B_ACTION"; for a in "$@"; do out="$out [$a]"; done; echo "$out" >> '${calls}'\n`, { mode: 0o755 });
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            bantime: '1h',
            ignoreself: false,
            actions: [{ type: 'exec', ban: [prog, 'add', '{ip}', 'jail {jail} for {bantime}s'], unban: [prog, 'del', '{ip}', '{family}'] }],
          },
        },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--config', cfgFile]);
    await daemon.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await daemon?.stop();
    tmp.cleanup();
  });

  it('is listed by f2b plugins', () => {
    const r = f2b(['plugins', '--json']);
    const found = (JSON.parse(r.stdout) as { plugins: { name: string; kind: string; compatible: boolean }[] }).plugins.find(
      (p) => p.name === '@f2b/action-exec',
    );
    expect(found).toMatchObject({ kind: 'action', compatible: true });
  });

  it('runs the program for a ban, with each value in its own argument', async () => {
    for (let i = 0; i < 2; i++) appendFileSync(log, sshdLine(`Failed password for root from 2001:db8::a:7 port ${42000 + i} ssh2`, { pid: 100 + i }));
    await until('the ban command', () => lines().length === 1);
    expect(lines()).toEqual(['ban [add] [2001:db8::a:7] [jail sshd for 3600s]']);
  });

  it('runs the unban command for f2b unban', async () => {
    const r = await runF2b(['unban', '2001:db8::a:7', '--config', cfgFile]);
    expect(r.code).toBe(0);
    await until('the unban command', () => lines().length === 2);
    expect(lines()[1]).toBe('unban [del] [2001:db8::a:7] [inet6]');
  });
});
