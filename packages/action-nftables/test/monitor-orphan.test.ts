/**
 * A daemon killed by SIGKILL (the OOM killer, `kill -9`) cannot stop its `nft monitor`, which never
 * reads its stdin and so would run on forever, orphaned: the monitor is started with a
 * parent-death signal (setpriv) and dies with the process that started it. Real nft, in a test
 * network namespace; the stand-in daemon is a child node process running the built action.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addNetns, delNetns, nftUnavailable, uniqueName, waitFor } from './netns.js';

const skip = nftUnavailable() ?? (existsSync('/usr/bin/setpriv') ? null : 'util-linux setpriv is not installed');
if (skip) console.log(`skipping the nft monitor orphan test: ${skip}`);

const CHILD = fileURLToPath(new URL('./fixtures/monitor-child.mjs', import.meta.url));
/** Running, not a zombie (a killed child of ours stays one until reaped; init reaps an orphan's). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe.skipIf(skip !== null)('nft monitor of a killed daemon', () => {
  let ns: string | undefined;
  let child: ChildProcess | undefined;
  let monitorPid: number | undefined;

  afterEach(() => {
    child?.kill('SIGKILL');
    if (monitorPid !== undefined && alive(monitorPid)) process.kill(monitorPid, 'SIGKILL');
    if (ns) delNetns(ns);
    ns = child = monitorPid = undefined;
  });

  it('dies with the daemon that was killed by SIGKILL', async () => {
    ns = uniqueName('orphan');
    addNetns(ns);
    const table = `t${randomBytes(4).toString('hex')}`;
    child = spawn(process.execPath, [CHILD, ns, table], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const line = await waitFor('the monitor to run', () => /^(monitor \d+|no monitor)$/m.exec(out)?.[0], 15_000);
    expect(line).toMatch(/^monitor \d+$/);
    monitorPid = Number(line.split(' ')[1]);
    expect(alive(monitorPid)).toBe(true);
    child.kill('SIGKILL');
    await waitFor('the monitor to be gone', () => !alive(monitorPid!), 10_000);
  });
});
