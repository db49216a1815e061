// Restart with many active bans: time from Daemon.start() to every ban having reached the action
// again (read from SQLite, armed in the tracker, handed to the action in batches), and the daemon's
// resident size: the daemon runs in a process of its own (this script with `--daemon DB`), so the
// seeding's memory is not counted; it reports its peak RSS and its RSS once the bans are restored.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, definePlugin, resolveConfig } from '@f2b/core';
import { SqliteStore } from '@f2b/store-sqlite';

const N = Number(process.argv[2] ?? 100_000);
if (process.argv[3] === '--daemon') await restore(process.argv[4]);
else await seedAndRestore();

async function seedAndRestore() {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-restore-'));
  try {
    const path = join(dir, 'f2b.db');
    const seed = new SqliteStore({ path });
    await seed.open();
    const now = Date.now();
    // Addresses from the benchmarking range 198.18.0.0/15 and the documentation range 2001:db8::/32.
    const ip = (i) =>
      i % 2 === 0 ? `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}` : `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
    for (let i = 0; i < N; i += 10_000) {
      const bans = [];
      for (let k = i; k < Math.min(N, i + 10_000); k++)
        bans.push({ jail: 'sshd', id: ip(k), start: now - 1000, end: now + 3600_000, count: 1, failures: 5, rule: 'bench', lines: ['x'] });
      const seqs = await seed.checkpoint({ bans });
      await seed.outboxDone(seqs);
    }
    await seed.close();
    process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(N), '--daemon', path], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function restore(path) {
  const dir = join(path, '..');
  let received = 0;
  const plugin = definePlugin({
    meta: { name: 'f2b-bench-restore', version: '0.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'bench', rules: [] });
      core.registerSource({ type: 'none', create: () => ({ start: async () => {}, stop: async () => {} }) });
      core.registerAction({
        type: 'count',
        create: () => ({
          ban: async (b) => {
            received += b.length;
          },
          unban: async () => {},
        }),
      });
    },
  });
  const config = resolveConfig({ state: { path }, socket: false, jails: { sshd: { source: { type: 'none' }, filter: 'bench', actions: ['count'] } } });
  const store = new SqliteStore({ path });
  const daemon = new Daemon({ searchFrom: [dir], logLevel: 'error', plugins: [plugin], store });
  const t0 = process.hrtime.bigint();
  await daemon.start(config);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (received !== N) throw new Error(`restored ${received} of ${N} bans`);
  const mib = (bytes) => Math.round(bytes / 1048576);
  const rssMiB = mib(process.memoryUsage().rss);
  const peakRssMiB = mib(process.resourceUsage().maxRSS * 1024);
  process.stdout.write(JSON.stringify({ bans: N, seconds, rssMiB, peakRssMiB }) + '\n');
  await daemon.stop();
}
