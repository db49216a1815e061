// `npm run bench`: first the table of issue 17 — f2b's sshd filter on the same generated auth.log
// as Debian's fail2ban-regex and sshguard's C parser (sshg-parser), CLI start-up against
// `node -e 0`, a 1,000-line file against fail2ban-regex — as medians of alternating runs, wall
// clock and CPU seconds, with the load average; then a replay through jail and tracker, other
// filters, the flood and the nftables figures. Measured here, every run; nothing is asserted.
// F2B_BENCH_RUNS (default 3) sets the runs of the 1M-line rows; F2B_BENCH_TABLE_ONLY=1 stops after the table.
// F2B_BENCH_FLEET=0 leaves out the fleet rows; F2B_BENCH_FLEET_* set their sizes (scripts/bench-fleet.mjs).
// F2B_BENCH_BASELINE=<tree> (another checkout, built) also runs that tree's f2b, alternating with
// this one, and prints before/after CPU seconds: the honest way to see a change on a shared machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lines = Number(process.env.F2B_BENCH_LINES ?? 1_000_000);
const benchDir = join(root, '.bench');
const log = join(benchDir, `auth-${lines}.log`);
const generator = resolve(root, '..', 'shared', 'bench', 'gen-sshd-log.py');
const results = [];

function ensureLog() {
  if (existsSync(log) && statSync(log).size > 0) return true;
  if (!existsSync(generator)) {
    console.log(`note: ${generator} not found; cannot generate the benchmark log. Put a ${lines}-line auth.log at ${log} to run the benchmark.`);
    return false;
  }
  mkdirSync(benchDir, { recursive: true });
  console.log(`generating ${lines} lines with gen-sshd-log.py …`);
  // Generate under a temporary name: an interrupted run must not leave a short file behind.
  const r = spawnSync('python3', [generator, '-n', String(lines), '-o', `${log}.tmp`], { stdio: 'inherit' });
  if (r.status !== 0) return false;
  renameSync(`${log}.tmp`, log);
  return true;
}

function timed(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, ...opts });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ...r, seconds };
}

/**
 * A whole process, timed by wall clock and by CPU (user + system, from the shell's `times`): on a
 * machine shared with other work the CPU seconds move far less than the wall clock.
 */
function measured(cmd, args, cwd = undefined) {
  const out = join(benchDir, 'run.out'),
    err = join(benchDir, 'run.err');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', '"$@" >"$OUT" 2>"$ERR"; s=$?; times; exit $s', 'sh', cmd, ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, OUT: out, ERR: err },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const t = r.stdout
    .trim()
    .split('\n')
    .pop()
    .match(/([0-9]+)m([0-9.]+)s\s+([0-9]+)m([0-9.]+)s/);
  const cpu = t ? Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4]) : NaN;
  return { status: r.status, wall, cpu, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * The issue's table: each contestant run `runs` times, alternating with its peer, medians of wall
 * and CPU seconds, with the load average before and after.
 */
function sideBySide(runs) {
  const has = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;
  const f2bArgs = (file) => [join(root, 'scripts/measure.mjs'), 'test-filter', 'sshd', file, '--timezone', 'UTC', '--now', '2026-10-30T23:59:59Z'];
  const ours = (file) => {
    const r = measured(process.execPath, f2bArgs(file));
    if (r.status !== 0) throw new Error(`f2b test-filter failed: ${r.stderr.slice(0, 500)}`);
    return { ...r, rss: JSON.parse(r.stderr.match(/@@measure (.*)/)[1]).maxRssKiB / 1024, matched: Number(r.stdout.match(/(\d+) matched/)[1]) };
  };
  const peerRegex = (file) =>
    measured('fail2ban-regex', [
      '--no-check-all',
      '--print-no-missed',
      '--print-no-ignored',
      file,
      existsSync('/etc/fail2ban/filter.d/sshd.conf') ? '/etc/fail2ban/filter.d/sshd.conf' : 'sshd',
    ]);
  const peerSshg = (file) => measured('sh', ['-c', `"${SSHG_PARSER}" < "$1" > /dev/null`, 'sh', file]);
  const small = join(benchDir, 'auth-1000.log');
  if (!existsSync(small)) spawnSync('sh', ['-c', 'head -n 1000 "$1" > "$2"', 'sh', log, small]);
  const rows = [];
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const loadBefore = loadNow();

  // 1,000,000 lines: f2b, fail2ban-regex, sshg-parser, in turn.
  const f = [],
    fr = [],
    sg = [];
  const withRegex = has('fail2ban-regex'),
    withSshg = existsSync(SSHG_PARSER);
  for (let i = 0; i < runs; i++) {
    f.push(ours(log));
    if (withRegex) fr.push(peerRegex(log));
    if (withSshg) sg.push(peerSshg(log));
  }
  const fw = med(f, 'wall'),
    fc = med(f, 'cpu');
  const ourCell = `${fw.toFixed(2)} s (CPU ${fc.toFixed(2)} s), ${Math.round(median(f.map((x) => x.rss)))} MiB`;
  rows.push([
    `test-filter sshd ${lines.toLocaleString('en-US')} lines vs fail2ban-regex --no-check-all`,
    ourCell,
    withRegex ? `${med(fr, 'wall').toFixed(2)} s (CPU ${med(fr, 'cpu').toFixed(2)} s)` : 'not installed',
    withRegex ? `${(med(fr, 'wall') / fw).toFixed(1)}× faster (CPU ${(med(fr, 'cpu') / fc).toFixed(1)}×)` : '',
    '≥ 40×; RSS ≤ 100 MiB',
  ]);
  rows.push([
    "same vs sshguard's C parser (sshg-parser < log)",
    ourCell,
    withSshg ? `${med(sg, 'wall').toFixed(2)} s (CPU ${med(sg, 'cpu').toFixed(2)} s)` : 'not installed',
    withSshg ? `${(med(sg, 'wall') / fw).toFixed(2)}× (CPU ${(med(sg, 'cpu') / fc).toFixed(2)}×)` : '',
    '≥ 2× faster',
  ]);

  // Start-up: f2b --version and the client commands against node -e 0, 11 times in turn. The client
  // commands find no daemon (a socket that does not exist): what is timed is their start-up.
  const v = [],
    n = [];
  const clients = ['ping', 'status', 'banned'].map((cmd) => ({ cmd, runs: [] }));
  for (let i = 0; i < 11; i++) {
    n.push(measured(process.execPath, ['-e', '0']));
    v.push(measured(process.execPath, [join(root, 'packages/cli/bin/f2b.js'), '--version']));
    for (const c of clients)
      c.runs.push(measured(process.execPath, [join(root, 'packages/cli/bin/f2b.js'), c.cmd, '--socket', join(benchDir, 'no-daemon.sock')]));
  }
  rows.push([
    'f2b --version vs node -e 0',
    `${med(v, 'wall').toFixed(3)} s (CPU ${med(v, 'cpu').toFixed(3)} s)`,
    `${med(n, 'wall').toFixed(3)} s (CPU ${med(n, 'cpu').toFixed(3)} s)`,
    `${(med(v, 'wall') / med(n, 'wall')).toFixed(2)}× (CPU ${(med(v, 'cpu') / med(n, 'cpu')).toFixed(2)}×)`,
    '≤ 1.5×',
  ]);
  for (const { cmd, runs: c } of clients) {
    rows.push([
      `f2b ${cmd} (client, no daemon) vs node -e 0`,
      `${med(c, 'wall').toFixed(3)} s (CPU ${med(c, 'cpu').toFixed(3)} s)`,
      `${med(n, 'wall').toFixed(3)} s`,
      `${(med(c, 'wall') / med(n, 'wall')).toFixed(2)}× (CPU ${(med(c, 'cpu') / med(n, 'cpu')).toFixed(2)}×)`,
      'instant (≤ 1.5×)',
    ]);
  }

  // A 1,000-line file, where start-up dominates.
  const sf = [],
    sp = [];
  for (let i = 0; i < 5; i++) {
    sf.push(ours(small));
    if (withRegex) sp.push(peerRegex(small));
  }
  rows.push([
    'test-filter sshd on 1,000 lines vs fail2ban-regex',
    `${med(sf, 'wall').toFixed(3)} s (CPU ${med(sf, 'cpu').toFixed(3)} s)`,
    withRegex ? `${med(sp, 'wall').toFixed(3)} s (CPU ${med(sp, 'cpu').toFixed(3)} s)` : 'not installed',
    withRegex ? `${(med(sp, 'wall') / med(sf, 'wall')).toFixed(2)}× faster (CPU ${(med(sp, 'cpu') / med(sf, 'cpu')).toFixed(2)}×)` : '',
    '> 1× (faster)',
  ]);

  console.log(
    `side by side (medians: ${runs} runs of 1M lines, 11 start-ups, 5 small files; alternating; load average ${loadBefore} before, ${loadNow()} after, ${cpus().length} CPUs)\n`,
  );
  const head = ['what', 'f2b', 'peer', 'ratio', 'target'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  for (const r of all) console.log(`| ${r.map((x, i) => x.padEnd(w[i])).join(' | ')} |`);
  console.log('');
  return { matched: f[0].matched, fw };
}

/**
 * Before/after: this tree's f2b and another's (F2B_BENCH_BASELINE, built), alternating, medians of
 * CPU seconds — on 1M lines, 1,000 lines, `--version` and `ping`. Both run from the same working
 * directory with the same arguments, so plugin search and input are the same.
 */
function beforeAfter(baseline, runs) {
  const cli = (tree) => join(tree, 'packages/cli/bin/f2b.js');
  // From a directory outside both trees: plugins are searched from the working directory first,
  // and each tree must find its own.
  const cwd = tmpdir();
  const filter = (tree, file) =>
    measured(process.execPath, [cli(tree), 'test-filter', 'sshd', file, '--timezone', 'UTC', '--now', '2026-10-30T23:59:59Z'], cwd);
  const small = join(benchDir, 'auth-1000.log');
  const cases = [
    [`test-filter sshd, ${lines.toLocaleString('en-US')} lines`, (t) => filter(t, log), runs],
    ['test-filter sshd, 1,000 lines', (t) => filter(t, small), 5],
    ['f2b --version', (t) => measured(process.execPath, [cli(t), '--version'], cwd), 11],
    ['f2b ping (no daemon)', (t) => measured(process.execPath, [cli(t), 'ping', '--socket', join(benchDir, 'no-daemon.sock')], cwd), 11],
  ];
  const loadBefore = loadNow();
  const out = [];
  for (const [what, run, k] of cases) {
    const before = [],
      after = [];
    for (let i = 0; i < k; i++) {
      before.push(run(baseline));
      after.push(run(root));
    }
    const b = median(before.map((x) => x.cpu)),
      a = median(after.map((x) => x.cpu));
    out.push([what, `${b.toFixed(2)} s`, `${a.toFixed(2)} s`, `${(((a - b) / b) * 100).toFixed(0)} %`]);
  }
  console.log(`before (${baseline}) and after (this tree), CPU seconds, medians of alternating runs; load average ${loadBefore} before, ${loadNow()} after\n`);
  const head = ['what', 'before', 'after', 'change'];
  const all = [head, ...out];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  for (const r of all) console.log(`| ${r.map((x, i) => x.padEnd(w[i])).join(' | ')} |`);
  console.log('');
}

function f2bFilter(runs = 3, id = 'sshd', file = log) {
  let best = null;
  for (let i = 0; i < runs; i++) {
    const r = timed(process.execPath, [join(root, 'scripts/measure.mjs'), 'test-filter', id, file, '--timezone', 'UTC', '--now', '2026-10-30T23:59:59Z']);
    if (r.status !== 0) throw new Error(`f2b test-filter failed: ${r.stderr}`);
    const rss = JSON.parse(r.stderr.match(/@@measure (.*)/)[1]).maxRssKiB;
    const matched = Number(r.stdout.match(/(\d+) matched/)[1]);
    if (!best || r.seconds < best.seconds) best = { seconds: r.seconds, rss, matched };
  }
  return best;
}

function replay() {
  const r = timed(process.execPath, [join(root, 'scripts/replay.mjs'), log, 'UTC']);
  if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout), wall: r.seconds };
}

function fail2banRegex(id = 'sshd', file = log) {
  const which = spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const filter = existsSync(`/etc/fail2ban/filter.d/${id}.conf`) ? `/etc/fail2ban/filter.d/${id}.conf` : id;
  const r = timed('fail2ban-regex', ['--no-check-all', '--print-no-missed', '--print-no-ignored', file, filter]);
  if (r.status !== 0) return { error: r.stderr.slice(0, 500) };
  const matched = r.stdout.match(/Lines:\s*\d+ lines, \d+ ignored, (\d+) matched/);
  return { seconds: r.seconds, matched: matched ? Number(matched[1]) : undefined };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const SSHG_PARSER = '/usr/libexec/sshguard/sshg-parser';

if (!ensureLog()) process.exit(0);
console.log(`\nbenchmark input: ${log} (${lines} lines, ${(statSync(log).size / 1e6).toFixed(1)} MB), node ${process.version}\n`);

const side = sideBySide(Number(process.env.F2B_BENCH_RUNS ?? 3));
if (process.env.F2B_BENCH_BASELINE) beforeAfter(resolve(process.env.F2B_BENCH_BASELINE), Number(process.env.F2B_BENCH_RUNS ?? 3));
if (process.env.F2B_BENCH_TABLE_ONLY) process.exit(0);
results.push([
  'f2b test-filter sshd (whole process, median)',
  `${fmt(lines / side.fw)} lines/s`,
  `${side.fw.toFixed(2)} s`,
  '',
  `${fmt(side.matched)} lines matched`,
]);

const rep = replay();
results.push([
  'f2b replay through jail + tracker',
  `${fmt(rep.linesPerSecond)} lines/s`,
  `${rep.seconds.toFixed(2)} s`,
  `peak RSS ${fmt(rep.maxRssKiB / 1024)} MiB`,
  `${fmt(rep.failures)} attempts, ${fmt(rep.bans)} bans`,
]);

const restore = timed(process.execPath, [join(root, 'scripts/bench-restore.mjs'), '100000']);
if (restore.status === 0) {
  const r = JSON.parse(restore.stdout);
  results.push([
    'restart: restore 100,000 active bans (SQLite)',
    `${r.seconds.toFixed(2)} s`,
    `daemon RSS ${r.rssMiB} MiB (peak ${r.peakRssMiB} MiB)`,
    '',
    'target ≤ 2 s; RSS ≤ 100 MiB',
  ]);
} else {
  results.push(['restart: restore 100,000 active bans', 'failed', restore.stderr.slice(0, 300), '', '']);
}

// Other filters on generated logs (scripts/gen-logs.mjs), side by side with fail2ban-regex.
const otherLines = Number(process.env.F2B_BENCH_OTHER_LINES ?? 500_000);
for (const [id, kind] of [
  ['nginx-http-auth', 'nginx'],
  ['postfix', 'postfix'],
]) {
  const file = join(benchDir, `${kind}-${otherLines}.log`);
  if (!existsSync(file)) {
    spawnSync(process.execPath, [join(root, 'scripts/gen-logs.mjs'), kind, String(otherLines), `${file}.tmp`], { stdio: 'inherit' });
    renameSync(`${file}.tmp`, file);
  }
  const ours = f2bFilter(1, id, file);
  const rate = otherLines / ours.seconds;
  results.push([
    `f2b test-filter ${id} (${kind} log, ${otherLines} lines)`,
    `${fmt(rate)} lines/s`,
    `${ours.seconds.toFixed(2)} s`,
    `peak RSS ${fmt(ours.rss / 1024)} MiB`,
    `${fmt(ours.matched)} lines matched`,
  ]);
  const peer = fail2banRegex(id, file);
  if (peer && !peer.error) {
    const peerRate = otherLines / peer.seconds;
    results.push([
      `fail2ban-regex ${id}`,
      `${fmt(peerRate)} lines/s`,
      `${peer.seconds.toFixed(2)} s`,
      `ratio ${(rate / peerRate).toFixed(1)}×`,
      `${fmt(peer.matched ?? NaN)} lines matched`,
    ]);
  }
}

// A flood: 1,000,000 distinct failing sources through the real daemon; its memory and `f2b status`.
const flood = timed(process.execPath, [join(root, 'scripts/bench-flood.mjs'), String(Number(process.env.F2B_BENCH_FLOOD ?? 1_000_000))]);
if (flood.status === 0) {
  const r = JSON.parse(flood.stdout.trim().split('\n').pop());
  results.push([
    `flood: ${fmt(r.sources)} distinct failing sources (daemon)`,
    `RSS ${fmt(r.rssMiB)} MiB`,
    `peak ${fmt(r.peakMiB)} MiB`,
    `status ${fmt(r.statusMs)} ms, ${fmt(r.statusBytes)} bytes`,
    'target ≤ 300 MiB',
  ]);
} else {
  results.push(['flood', 'failed', flood.stderr.slice(0, 300), '', '']);
}

// nftables: 100,000 bans through the batching, and attack-to-kernel latency (root only).
const nft = spawnSync(process.execPath, [join(root, 'scripts/bench-nftables.mjs')], { encoding: 'utf8' });
const nftOut = (nft.stdout || nft.stderr || '').trim();
// The ban path end to end: real f2b and fail2ban daemons, the 1,000-address burst (root only).
const burst = spawnSync(process.execPath, [join(root, 'scripts/bench-burst.mjs')], { encoding: 'utf8', maxBuffer: 1 << 24 });
const burstOut = `${burst.stdout ?? ''}${burst.status !== 0 ? `\n${burst.stderr ?? ''}` : ''}`.trim();

// The daemon's CPU per log line against test-filter's on the same lines (a real daemon tailing a
// file): a whole auth.log, and the burst's shape (every line a failure). F2B_BENCH_DAEMON_LINES=0 leaves it out.
const daemonLines =
  process.env.F2B_BENCH_DAEMON_LINES === '0'
    ? []
    : [[], ['--burst', '--lines', '100000']].map((extra) =>
        spawnSync(process.execPath, [join(root, 'scripts/bench-daemon-lines.mjs'), '--runs', '3', ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 }),
      );
const daemonLinesOut =
  daemonLines.length === 0
    ? '(left out: F2B_BENCH_DAEMON_LINES=0)'
    : daemonLines.map((r) => (r.status === 0 ? r.stdout.trim() : `failed: ${(r.stderr || r.stdout).slice(-1000)}`)).join('\n');

// The fleet (issue 15): bans propagated to 3 and 10 real daemons on a real redis-server, Redis'
// memory for 1,000,000 failure ids and 100,000 bans, catch-up of a daemon that missed those bans.
// Sizes: F2B_BENCH_FLEET_* (see scripts/bench-fleet.mjs); F2B_BENCH_FLEET=0 leaves it out.
const fleet =
  process.env.F2B_BENCH_FLEET === '0'
    ? null
    : spawnSync(process.execPath, [join(root, 'scripts/bench-fleet.mjs')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const fleetOut = fleet
  ? fleet.status === 0
    ? fleet.stdout.trim().split('\n').slice(0, -1).join('\n')
    : `failed: ${(fleet.stderr || fleet.stdout).slice(-2000)}`
  : '(left out: F2B_BENCH_FLEET=0)';

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...results.map((r) => String(r[i]).length)));
for (const r of results)
  console.log(
    r
      .map((c, i) => String(c).padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
console.log('\ntarget: ≥ 1,000,000 lines/s for the sshd filter on a 2-core machine');
console.log(`\nnftables (scripts/bench-nftables.mjs):\n${nftOut}`);
console.log(`\nban path (scripts/bench-burst.mjs):\n${burstOut}`);
console.log(`\ndaemon per-line cost (scripts/bench-daemon-lines.mjs):\n${daemonLinesOut}`);
console.log(`\nfleet (scripts/bench-fleet.mjs):\n${fleetOut}`);
