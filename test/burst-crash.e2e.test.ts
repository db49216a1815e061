/**
 * The ban path's crash guarantee, end to end: the real daemon (SQLite store, sshd jail on a file,
 * nftables in a namespace this test creates) is killed with SIGKILL the moment the first element of
 * a 1,000-address burst reaches the kernel. Then:
 *   - every element the kernel holds at that moment is a ban in the store (a ban is committed
 *     before it is applied: the group commit never lets the firewall run ahead of the store);
 *   - with the firewall table deleted (so nothing is carried over by the kernel), a restart brings
 *     every one of the 1,000 bans into force — from the store's outbox and bans, and from the log
 *     lines it had not read yet (their position was not committed) — and decides none twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ROOT, sshdLine, startF2b, tempDir, type RunningF2b, until } from './helpers.js';
import { netnsUnavailable } from './netns-lab.js';

const ACTION = join(ROOT, 'packages/action-nftables/dist/index.js');

function unavailable(): string | null {
  const ns = netnsUnavailable({ nft: true });
  if (ns) return ns;
  if (!existsSync(ACTION)) return `${ACTION} is not built (run \`npx tsc -b\`)`;
  return null;
}
const skip = unavailable();
if (skip) console.log(`skipping the burst crash test: ${skip}`);

const tmp = tempDir('f2b-burst-crash-');
const ns = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-burst`;
const table = `crash${randomBytes(3).toString('hex')}`;
afterAll(() => {
  // The daemon killed with SIGKILL leaves its `nft monitor` running (it reads no stdin to see the
  // parent go): end what still runs in the test's namespace, by pid, before deleting it.
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of pids.split('\n').filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
  tmp.cleanup();
});

const nft = (args: string[]) => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });

/** The addresses in the table's sets. */
function inKernel(): Set<string> {
  const r = nft(['-j', 'list', 'table', 'inet', table]);
  const out = new Set<string>();
  if (r.status !== 0) return out;
  for (const o of (JSON.parse(r.stdout) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables) {
    for (const e of o.set?.elem ?? []) {
      const v = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
      if (typeof v === 'string') out.add(v);
    }
  }
  return out;
}

describe.skipIf(skip !== null)('kill -9 right after a burst of bans (real nft, SQLite)', () => {
  it('the kernel never holds a ban the store lacks, and a restart puts all 1,000 in force, each decided once', async () => {
    spawnSync('ip', ['netns', 'add', ns]);
    const log = join(tmp.dir, 'auth.log');
    const db = join(tmp.dir, 'f2b.db');
    const cfg = join(tmp.dir, 'f2b.config.json');
    writeFileSync(log, '');
    writeFileSync(
      cfg,
      JSON.stringify({
        plugins: [ACTION],
        state: { path: db },
        socket: false,
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 200 },
            filter: 'sshd',
            maxretry: 3,
            findtime: '1h',
            bantime: '1h',
            ignoreself: false,
            actions: [{ type: 'nftables', netns: ns, table, checkInterval: 0 }],
          },
        },
      }),
    );
    const start = async (): Promise<RunningF2b> => {
      // The nft session's script files go into the test's directory: the daemon killed with SIGKILL leaves them.
      const run = startF2b(['start', '--foreground', '--config', cfg], { env: { TMPDIR: tmp.dir } });
      await run.waitFor(/Started 1 jail/, 'stderr', 30_000);
      return run;
    };

    const ips: string[] = [];
    for (let i = 1; i <= 250; i++) ips.push(`198.51.100.${i}`, `203.0.113.${i}`);
    for (let i = 1; ips.length < 1000; i++) ips.push(`2001:db8:c0de::${i.toString(16)}`);

    let run = await start();
    // Killed from the monitor's data handler: the first element in the kernel ends the daemon.
    const monitor = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let killed = false;
    monitor.stdout.on('data', (d: Buffer) => {
      if (!killed && d.toString().includes(`add element inet ${table} `)) {
        killed = true;
        run.child.kill('SIGKILL');
      }
    });
    await new Promise((r) => setTimeout(r, 300)); // the monitor subscribes
    let pid = 30000;
    for (let round = 0; round < 3; round++) {
      appendFileSync(log, ips.map((ip) => sshdLine(`Failed password for root from ${ip} port ${pid} ssh2`, { pid: pid++ })).join(''));
    }
    await until('the first ban in the kernel', () => killed);
    await run.stop();
    monitor.kill();

    const applied = inKernel();
    expect(applied.size).toBeGreaterThan(0);
    const stored = new Database(db, { readonly: true });
    const storedIds = new Set((stored.prepare("SELECT id FROM bans WHERE jail = 'sshd'").all() as { id: string }[]).map((r) => r.id));
    stored.close();
    const unsaved = [...applied].filter((ip) => !storedIds.has(ip));
    expect(unsaved).toEqual([]);

    // The firewall forgets everything: only the store and the log can bring the bans back.
    nft(['delete', 'table', 'inet', table]);
    run = await start();
    await until('all 1,000 bans in force after the restart', () => inKernel().size >= 1000, 60_000);
    expect([...inKernel()].sort()).toEqual([...ips].sort());
    expect(await run.stop('SIGTERM')).toBe(0);

    const after = new Database(db, { readonly: true });
    const twice = after.prepare("SELECT id, COUNT(*) AS n FROM bans WHERE jail = 'sshd' GROUP BY id HAVING n > 1").all();
    const decided = (after.prepare("SELECT COUNT(DISTINCT id) AS n FROM bans WHERE jail = 'sshd'").get() as { n: number }).n;
    after.close();
    expect(twice).toEqual([]);
    expect(decided).toBe(1000);
  }, 120_000);
});
