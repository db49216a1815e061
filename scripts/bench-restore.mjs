// Restart with many active bans: time from Daemon.start() to every ban having reached the action
// again (read from SQLite, armed in the tracker, handed to the action in batches), and the daemon's
// resident size: the daemon runs in a process of its own (this script with `--daemon DB`), so the
// seeding's memory is not counted; it reports its peak RSS and its RSS once the bans are restored.
// `--breakdown` (the daemon runs with --expose-gc) adds V8's view once restored, before and after a full
// GC (heap used/total per space, external, array buffers) as `memory`; `--snapshot FILE` also writes a
// heap snapshot there after that GC. `node scripts/bench-restore.mjs 0` gives an idle daemon's figures.
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, definePlugin, resolveConfig, stopYoungGenerationGrowth } from '@f2b/core';
import { SqliteStore } from '@f2b/store-sqlite';

const N = Number(process.argv[2] ?? 100_000);
const breakdown = process.argv.includes('--breakdown');
const snapshotAt = process.argv.indexOf('--snapshot');
const snapshot = snapshotAt > 0 ? process.argv[snapshotAt + 1] : undefined;
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
    const extra = [...(breakdown || snapshot ? ['--breakdown'] : []), ...(snapshot ? ['--snapshot', snapshot] : [])];
    const flags = extra.length > 0 ? ['--expose-gc'] : [];
    process.stdout.write(
      execFileSync(process.execPath, [...flags, fileURLToPath(import.meta.url), String(N), '--daemon', path, ...extra], { encoding: 'utf8' }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function restore(path) {
  // As `f2b start` does, before its config is read (F2B_BENCH_YOUNG=free leaves V8's young
  // generation alone, for comparison).
  if (process.env.F2B_BENCH_YOUNG !== 'free') stopYoungGenerationGrowth();
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
  const memory = breakdown ? { restored: memoryView(), afterGc: (globalThis.gc(), memoryView()) } : undefined;
  if (snapshot) v8.writeHeapSnapshot(snapshot);
  process.stdout.write(JSON.stringify({ bans: N, seconds, rssMiB, peakRssMiB, ...(memory ? { memory } : {}) }) + '\n');
  await daemon.stop();
}

/** MiB: resident, V8's heap (used/held, and per space), memory outside it (external, of it array buffers). */
function memoryView() {
  const mib = (bytes) => Math.round(bytes / 1048576);
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, `${mib(s.space_used_size)}/${mib(s.space_size)}`]));
  return { rss: mib(m.rss), heapUsed: mib(m.heapUsed), heapTotal: mib(m.heapTotal), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers), spaces };
}
