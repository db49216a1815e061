// A flood of distinct failing sources through the real daemon (`f2b start --foreground --dry-run`):
// N sources that each fail once, read from a generated log; then the daemon's resident memory
// (VmRSS, VmHWM) and how long `f2b status <jail>` takes and how big its answer is. Prints one JSON
// line. Measured, never asserted. `--breakdown` also loads scripts/mem-probe.cjs into the daemon and
// adds V8's view after a full GC (heap used/total per space, external, array buffers) as `memory`.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const f2b = join(root, 'packages/cli/bin/f2b.js');
const args = process.argv.slice(2);
const breakdown = args.includes('--breakdown');
const N = Number(args.find((a) => !a.startsWith('--')) ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-flood-'));
// Log text only (no traffic): the benchmarking range 198.18.0.0/15, then the documentation range 2001:db8::/32.
const ip = (i) => (i < 131_072 ? `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` : `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`);

async function writeLog(path) {
  const out = createWriteStream(path);
  const stamp = new Date().toISOString().replace('Z', '+00:00');
  let chunk = '';
  for (let i = 0; i < N; i++) {
    chunk += `${stamp} bench sshd[${1000 + (i % 30000)}]: Failed password for root from ${ip(i)} port ${30000 + (i % 30000)} ssh2\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  out.end(chunk);
  await new Promise((r) => out.on('finish', r));
}

const statusOf = (sock) => spawnSync(process.execPath, [f2b, 'status', 'sshd', '--json', '--socket', sock], { encoding: 'utf8', maxBuffer: 1 << 30 });
const proc = (pid, key) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${key}:\\s+(\\d+)`))[1]);

try {
  const log = join(dir, 'auth.log');
  const sock = join(dir, 'f2b.sock');
  await writeLog(log);
  const cfg = join(dir, 'f2b.config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { path: join(dir, 'f2b.db') },
      socket: sock,
      logLevel: 'error',
      jails: {
        sshd: { source: { type: 'file', paths: [log], fromStart: true }, filter: 'sshd', maxretry: 5, findtime: '1d', maxTracked: N + 1, actions: ['log'] },
      },
    }),
  );
  const t0 = Date.now();
  const probeOut = join(dir, 'memory.json');
  const probe = breakdown ? ['--expose-gc', '--require', join(root, 'scripts/mem-probe.cjs')] : [];
  const daemon = spawn(process.execPath, [...probe, f2b, 'start', '--foreground', '--dry-run', '--config', cfg], {
    stdio: 'ignore',
    env: { ...process.env, F2B_MEMPROBE_OUT: probeOut },
  });
  let status;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    if (daemon.exitCode !== null) throw new Error(`the daemon exited (${daemon.exitCode})`);
    const r = statusOf(sock);
    if (r.status === 0 && (status = JSON.parse(r.stdout)).lines >= N) break;
    if (Date.now() - t0 > 600_000) throw new Error('the daemon did not read the log within 10 minutes');
  }
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000)); // let the last checkpoint land
  const rssMiB = proc(daemon.pid, 'VmRSS') / 1024;
  const peakMiB = proc(daemon.pid, 'VmHWM') / 1024;
  const s0 = process.hrtime.bigint();
  const st = statusOf(sock);
  const statusMs = Number(process.hrtime.bigint() - s0) / 1e6;
  let memory;
  if (breakdown) {
    daemon.kill('SIGUSR2');
    for (let i = 0; i < 100 && !memory; i++) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        memory = JSON.parse(readFileSync(probeOut, 'utf8'));
      } catch {
        /* not written yet */
      }
    }
  }
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.on('exit', r));
  console.log(
    JSON.stringify({
      sources: N,
      tracked: status.currentlyFailed,
      seconds,
      rssMiB,
      peakMiB,
      statusMs,
      statusBytes: st.stdout.length,
      ...(memory ? { memory } : {}),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
