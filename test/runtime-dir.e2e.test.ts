/**
 * A non-root user's default control socket lives in $XDG_RUNTIME_DIR only: without it, f2b refuses
 * (F2B_ERR_CONTROL_NO_RUNTIME_DIR) instead of falling back to a name in /tmp that another user could
 * create first. Runs the real binary as uid 65534 (root only; skips with the reason otherwise).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f2bRunnableBy } from './helpers.js';

const NOBODY = 65534;
const runnable = process.getuid?.() === 0 ? f2bRunnableBy(NOBODY) : { skip: 'not root: cannot run f2b as another user' };
const skip = 'skip' in runnable ? runnable.skip : null;
if (skip) console.info(`runtime-dir.e2e.test.ts skipped: ${skip}`);

describe.skipIf(skip !== null)('the non-root socket default', () => {
  const bin = 'bin' in runnable ? runnable.bin : '';
  const dir = mkdtempSync(join(tmpdir(), 'f2b-xdg-'));
  chmodSync(dir, 0o755);
  const cfg = join(dir, 'f2b.config.json');
  writeFileSync(cfg, JSON.stringify({ state: { type: 'memory' }, jails: { x: { source: '/etc/hostname', filter: 'sshd', actions: ['log'] } } }));
  chmodSync(cfg, 0o644);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if ('cleanup' in runnable) runnable.cleanup();
  });

  const asNobody = (args: string[], env: Record<string, string | undefined>) => {
    const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    return spawnSync(process.execPath, [bin, ...args], { cwd: '/', uid: NOBODY, gid: NOBODY, env: e, encoding: 'utf8', timeout: 30_000 });
  };

  it('client and daemon refuse without XDG_RUNTIME_DIR, and nothing appears in /tmp', () => {
    const before = existsSync(`/tmp/f2b-${NOBODY}`);
    const ping = asNobody(['ping'], { XDG_RUNTIME_DIR: undefined, F2B_SOCKET: undefined });
    expect(ping.status).toBe(1);
    expect(ping.stderr).toContain('F2B_ERR_CONTROL_NO_RUNTIME_DIR');
    const start = asNobody(['start', '--foreground', '--dry-run', '-c', cfg], { XDG_RUNTIME_DIR: undefined, F2B_SOCKET: undefined });
    expect(start.status).not.toBe(0);
    expect(start.stderr).toContain('F2B_ERR_CONTROL_NO_RUNTIME_DIR');
    expect(existsSync(`/tmp/f2b-${NOBODY}`)).toBe(before);
  });

  it('with XDG_RUNTIME_DIR the client looks for the socket there', () => {
    const runtime = join(dir, 'run');
    spawnSync('install', ['-d', '-m', '0700', '-o', String(NOBODY), '-g', String(NOBODY), runtime]);
    const ping = asNobody(['ping'], { XDG_RUNTIME_DIR: runtime, F2B_SOCKET: undefined });
    expect(ping.status).toBe(1);
    expect(ping.stderr).not.toContain('F2B_ERR_CONTROL_NO_RUNTIME_DIR');
    expect(ping.stderr).toContain(join(runtime, 'f2b'));
  });
});
