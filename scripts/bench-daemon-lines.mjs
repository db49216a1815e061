// The daemon's cost per log line, against `f2b test-filter` on the same lines.
//
// A real daemon (`f2b start --foreground --dry-run`: SQLite store, sshd jail on a log file, bans
// only logged, its own control socket, all in a temp dir) is started; N generated sshd lines
// (../shared/bench/gen-sshd-log.py when present, else a built-in mix; timestamps rewritten to the
// last few minutes so they count) are appended to its log in writes of ~1 MiB. The daemon's CPU
// time (utime + stime of /proc/PID/stat) is read before the first write and when its status says
// every line was read and its checkpoints are quiet: that difference / N = µs per line.
// `f2b test-filter sshd` runs on the same file (minus its run on a 1-line file: start-up).
//
// Usage: node scripts/bench-daemon-lines.mjs [--lines 200000] [--runs 3] [--burst] [--metrics] [--dashboard] [--profile DIR]
//   --burst: bench-burst.mjs's shape (every line a failure, 1,000 bans per 25,000 lines) instead of a
//   whole auth.log; --metrics / --dashboard: with the metrics endpoint / dashboard on (loopback, port 0).
//   --root DIR: measure another built checkout (before/after), with this script's lines.
//   --profile DIR: the daemon runs under `node --cpu-prof --cpu-prof-dir DIR` (`f2b start` then
//   does not listen for SIGPROF, the signal V8's sampler uses).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const root = resolve(arg('root', here));
const LINES = Number(arg('lines', 200_000));
const RUNS = Number(arg('runs', 3));
const PROFILE = arg('profile', null);
if (PROFILE) mkdirSync(PROFILE, { recursive: true });
const BURST = process.argv.includes('--burst');
const METRICS = process.argv.includes('--metrics');
const DASHBOARD = process.argv.includes('--dashboard');
const f2b = join(root, 'packages/cli/bin/f2b.js');
if (!existsSync(join(root, 'packages/core/dist/index.js'))) {
  console.log('note: daemon per-line benchmark skipped: not built (npx tsc -b).');
  process.exit(0);
}
const { ControlClient } = await import(pathToFileURL(join(root, 'packages/core/dist/client.js')).href);

const dir = mkdtempSync(join(tmpdir(), 'f2b-lines-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) of a running process. */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

// ---- the log: generated lines, stamped with the last minutes (classic syslog dates) ----
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const classic = (t) => {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};
/**
 * The shape of bench-burst.mjs's burst: 1,000 addresses, 25 "Failed password" lines each,
 * interleaved (maxretry 5: 1,000 bans per 25,000 lines); each further 25,000 lines use other addresses.
 */
function burstLines(n) {
  const out = [];
  const t = Date.now() - 60_000;
  for (let round = 0; out.length < n; round++) {
    const addrs = [];
    // Documentation prefixes only: the first round as bench-burst.mjs, the next ones in 2001:db8:<round>::/48.
    if (round === 0) for (let i = 1; i <= 254; i++) addrs.push(`198.51.100.${i}`, `203.0.113.${i}`);
    for (let i = 0; addrs.length < 1000; i++) addrs.push(`2001:db8:${(0x100 + round).toString(16)}:${(i >> 8).toString(16)}::${((i & 0xff) + 1).toString(16)}`);
    for (let k = 0; k < 25 && out.length < n; k++)
      for (const ip of addrs) {
        if (out.length >= n) break;
        const pid = 10_000 + out.length;
        out.push(
          `${new Date(t + out.length).toISOString().replace('Z', '+00:00')} benchhost sshd[${pid}]: Failed password for root from ${ip} port ${40000 + (pid % 20000)} ssh2\n`,
        );
      }
  }
  return out;
}

function generate(n) {
  if (BURST) return burstLines(n);
  const gen = resolve(here, '../../shared/bench/gen-sshd-log.py');
  const alt = '/work/shared/bench/gen-sshd-log.py';
  const script = existsSync(gen) ? gen : existsSync(alt) ? alt : null;
  let raw;
  if (script) {
    const out = join(dir, 'gen.log');
    const r = spawnSync('python3', [script, '-n', String(n), '-o', out]);
    if (r.status === 0) raw = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  }
  if (!raw) {
    raw = [];
    for (let i = 0; i < n; i++) {
      const ip = `198.51.100.${i % 250}`;
      raw.push(
        i % 3 === 0
          ? `Oct 29 06:25:01 web01 sshd[${1000 + (i % 5000)}]: Accepted publickey for deploy from 192.0.2.${10 + (i % 200)} port ${40000 + (i % 20000)} ssh2: ED25519 SHA256:abc`
          : `Oct 29 06:25:01 web01 sshd[${1000 + (i % 5000)}]: Failed password for root from ${ip} port ${40000 + (i % 20000)} ssh2`,
      );
    }
  }
  // Spread over the last 5 minutes (within the default findtime), in order.
  const start = Date.now() - 300_000;
  return raw.map((l, i) => `${classic(start + Math.floor((i * 240_000) / raw.length))}${l.slice(15)}\n`);
}

async function daemonRun(run, lines) {
  const d = join(dir, `d${run}`);
  mkdirSync(d);
  const log = join(d, 'auth.log');
  const socket = join(d, 'f2b.sock');
  writeFileSync(log, '');
  const config = {
    state: { path: join(d, 'f2b.db') },
    socket,
    ...(METRICS ? { metrics: { listen: '127.0.0.1:0' } } : {}),
    ...(DASHBOARD ? { dashboard: { listen: '127.0.0.1:0' } } : {}),
    jails: { sshd: { source: { type: 'file', paths: [log] }, filter: 'sshd', ignoreself: false } },
  };
  const cfg = join(d, 'f2b.config.json');
  writeFileSync(cfg, JSON.stringify(config));
  const node = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(PROFILE)] : [];
  const child = spawn(process.execPath, [...node, f2b, 'start', '--foreground', '--dry-run', '--config', cfg], { cwd: d, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr.on('data', (x) => (err += x));
  const deadline = Date.now() + 30_000;
  while (!/Started \d+ jail/.test(err)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`f2b did not start:\n${err}`);
    await sleep(20);
  }
  // "Started" is logged before the control socket listens.
  let client;
  while (!client) {
    client = await ControlClient.connect(socket).catch(async (e) => {
      if (Date.now() > deadline) throw e;
      await sleep(20);
    });
  }
  await sleep(300);
  const before = cpuOf(child.pid);
  const t0 = Date.now();
  // ~1 MiB writes, as a busy syslog daemon writes.
  let chunk = '';
  for (const l of lines) {
    chunk += l;
    if (chunk.length >= 1 << 20) {
      appendFileSync(log, chunk);
      chunk = '';
    }
  }
  if (chunk) appendFileSync(log, chunk);
  let status;
  for (;;) {
    status = await client.request('status', { jail: 'sshd', limit: 1 });
    if (status.lines >= lines.length) break;
    if (Date.now() - t0 > 600_000 || child.exitCode !== null) throw new Error(`f2b read ${status.lines} of ${lines.length} lines:\n${err.slice(-2000)}`);
    await sleep(100);
  }
  const read = cpuOf(child.pid);
  const wall = Date.now() - t0;
  // The checkpoints of what was read are written after it: quiet when CPU stops moving.
  let last = read;
  for (;;) {
    await sleep(300);
    const now = cpuOf(child.pid);
    if (now - last < 0.02) break;
    last = now;
  }
  const settled = cpuOf(child.pid);
  client.close?.();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  children.delete(child);
  return { read: read - before, settled: settled - before, wall, bans: status.totalBanned, failures: status.totalFailed };
}

/** CPU seconds of a whole `f2b test-filter sshd FILE` (children's rusage, through /usr/bin/time). */
function testFilterCpu(file) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, f2b, 'test-filter', 'sshd', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`test-filter: ${r.stderr.slice(-500)}`);
  return Number(m[1]) + Number(m[2]);
}

const lines = generate(LINES);
const file = join(dir, 'all.log');
writeFileSync(file, lines.join(''));
const one = join(dir, 'one.log');
writeFileSync(one, lines[0]);

console.log(
  `daemon per-line cost: ${lines.length} sshd lines${BURST ? ' (burst)' : ''}${METRICS ? ', metrics on' : ''}${DASHBOARD ? ', dashboard on' : ''}, ${RUNS} runs, load ${loadavg()[0].toFixed(1)}`,
);
const d = [];
const tf = [];
for (let run = 0; run < RUNS; run++) {
  const r = await daemonRun(run, lines);
  d.push(r);
  const t = testFilterCpu(file) - testFilterCpu(one);
  tf.push(t);
  console.log(
    `  run ${run + 1}: daemon ${r.read.toFixed(2)} s CPU to read all (${((r.read / lines.length) * 1e6).toFixed(1)} µs/line), ` +
      `${r.settled.toFixed(2)} s with its checkpoints (${((r.settled / lines.length) * 1e6).toFixed(1)} µs/line), wall ${r.wall} ms, ` +
      `${r.bans} bans; test-filter ${t.toFixed(2)} s (${((t / lines.length) * 1e6).toFixed(1)} µs/line); load ${loadavg()[0].toFixed(1)}`,
  );
}
const us = (s) => ((s / lines.length) * 1e6).toFixed(1);
const mr = median(d.map((r) => r.read)),
  ms = median(d.map((r) => r.settled)),
  mt = median(tf);
console.log(`daemon: ${us(mr)} µs/line read, ${us(ms)} µs/line with checkpoints; test-filter: ${us(mt)} µs/line; ratio ${(ms / mt).toFixed(1)}× (medians)`);
if (PROFILE) console.log(`profiles in ${resolve(PROFILE)}`);
