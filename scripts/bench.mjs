// `npm run bench`: throughput and memory of f2b's sshd filter and of a full replay through the
// tracker, side by side with Debian's fail2ban-regex and sshguard's C parser (sshg-parser) on the
// same generated auth.log (as ratios), CLI start-up against `node -e 0`, a small file against
// fail2ban-regex, and the nftables burst/latency figures. Peers run alternately with f2b, medians
// are reported. Figures are measured here, on this machine, every run; nothing is asserted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
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
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const SSHG_PARSER = '/usr/libexec/sshguard/sshg-parser';

/** sshguard 2.4's parser reading the log on stdin: one output line per attack it recognised. */
function sshgParser(file = log) {
  if (!existsSync(SSHG_PARSER)) return null;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `"${SSHG_PARSER}" < "$1" | wc -l`, 'sh', file], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return r.status === 0 ? { seconds, attacks: Number(r.stdout.trim()) } : { error: r.stderr.slice(0, 300) };
}

/** Whole-process start-up: `f2b --version` and `node -e 0`, alternating, medians of `runs`. */
function startup(runs = 11) {
  const f2bTimes = [], nodeTimes = [];
  const bin = join(root, 'packages/cli/bin/f2b.js');
  for (let i = 0; i < runs; i++) {
    nodeTimes.push(timed(process.execPath, ['-e', '0']).seconds);
    f2bTimes.push(timed(process.execPath, [bin, '--version']).seconds);
  }
  return { f2b: median(f2bTimes), node: median(nodeTimes) };
}

if (!ensureLog()) process.exit(0);
console.log(`\nbenchmark input: ${log} (${lines} lines, ${(statSync(log).size / 1e6).toFixed(1)} MB), node ${process.version}\n`);

const filter = f2bFilter();
const filterRate = lines / filter.seconds;
results.push(['f2b test-filter sshd (whole process, best of 3)', `${fmt(filterRate)} lines/s`, `${filter.seconds.toFixed(2)} s`, `peak RSS ${fmt(filter.rss / 1024)} MiB`, `${fmt(filter.matched)} lines matched`]);

const rep = replay();
results.push(['f2b replay through jail + tracker', `${fmt(rep.linesPerSecond)} lines/s`, `${rep.seconds.toFixed(2)} s`, `peak RSS ${fmt(rep.maxRssKiB / 1024)} MiB`, `${fmt(rep.failures)} attempts, ${fmt(rep.bans)} bans`]);

const restore = timed(process.execPath, [join(root, 'scripts/bench-restore.mjs'), '100000']);
if (restore.status === 0) {
  const r = JSON.parse(restore.stdout);
  results.push(['restart: restore 100,000 active bans (SQLite)', `${r.seconds.toFixed(2)} s`, '', '', 'target ≤ 2 s']);
} else {
  results.push(['restart: restore 100,000 active bans', 'failed', restore.stderr.slice(0, 300), '', '']);
}

const sshg = sshgParser();
if (sshg && !sshg.error) {
  // Alternate with f2b once more, so that both ran under the same load.
  const again = f2bFilter(1);
  const ours = Math.min(again.seconds, filter.seconds);
  results.push(['sshg-parser < log (sshguard 2.4, C)', `${fmt(lines / sshg.seconds)} lines/s`, `${sshg.seconds.toFixed(2)} s`, '', `${fmt(sshg.attacks)} attacks`]);
  results.push(['ratio f2b / sshg-parser', `${(sshg.seconds / ours).toFixed(2)}×`, '', '', 'target ≥ 2×']);
} else {
  results.push(['sshg-parser', sshg?.error ? `failed: ${sshg.error}` : 'not installed (apt-get install sshguard) — no ratio', '', '', '']);
}

const up = startup();
results.push(['f2b --version vs node -e 0 (median of 11)', `${up.f2b.toFixed(3)} s vs ${up.node.toFixed(3)} s`, `${(up.f2b / up.node).toFixed(2)}×`, '', 'target ≤ 1.5×']);

const f2bn = fail2banRegex();
if (f2bn && !f2bn.error) {
  const rate = lines / f2bn.seconds;
  results.push(['fail2ban-regex --no-check-all (sshd)', `${fmt(rate)} lines/s`, `${f2bn.seconds.toFixed(2)} s`, '', `${fmt(f2bn.matched ?? NaN)} lines matched`]);
  results.push(['ratio f2b / fail2ban-regex', `${(filterRate / rate).toFixed(1)}×`, '', '', '']);
} else if (f2bn?.error) {
  results.push(['fail2ban-regex', 'failed', f2bn.error, '', '']);
} else {
  results.push(['fail2ban-regex', 'not installed (apt-get install fail2ban) — no ratio', '', '', '']);
}

// A small file (1,000 lines), where start-up dominates: f2b test-filter vs fail2ban-regex, medians of 5.
{
  const small = join(benchDir, 'auth-1000.log');
  if (!existsSync(small)) spawnSync('sh', ['-c', 'head -n 1000 "$1" > "$2"', 'sh', log, small]);
  const ours = [], peer = [];
  const hasPeer = spawnSync('sh', ['-c', 'command -v fail2ban-regex']).status === 0;
  for (let i = 0; i < 5; i++) {
    ours.push(f2bFilter(1, 'sshd', small).seconds);
    if (hasPeer) peer.push(fail2banRegex('sshd', small)?.seconds ?? NaN);
  }
  const o = median(ours);
  results.push(['f2b test-filter sshd, 1,000 lines (median of 5)', `${o.toFixed(3)} s`, hasPeer ? `fail2ban-regex ${median(peer).toFixed(3)} s` : 'fail2ban-regex not installed', hasPeer ? `ratio ${(median(peer) / o).toFixed(2)}×` : '', 'target > 1× (faster)']);
}

// Other filters on generated logs (scripts/gen-logs.mjs), side by side with fail2ban-regex.
const otherLines = Number(process.env.F2B_BENCH_OTHER_LINES ?? 500_000);
for (const [id, kind] of [['nginx-http-auth', 'nginx'], ['postfix', 'postfix']]) {
  const file = join(benchDir, `${kind}-${otherLines}.log`);
  if (!existsSync(file)) {
    spawnSync(process.execPath, [join(root, 'scripts/gen-logs.mjs'), kind, String(otherLines), `${file}.tmp`], { stdio: 'inherit' });
    renameSync(`${file}.tmp`, file);
  }
  const ours = f2bFilter(1, id, file);
  const rate = otherLines / ours.seconds;
  results.push([`f2b test-filter ${id} (${kind} log, ${otherLines} lines)`, `${fmt(rate)} lines/s`, `${ours.seconds.toFixed(2)} s`, `peak RSS ${fmt(ours.rss / 1024)} MiB`, `${fmt(ours.matched)} lines matched`]);
  const peer = fail2banRegex(id, file);
  if (peer && !peer.error) {
    const peerRate = otherLines / peer.seconds;
    results.push([`fail2ban-regex ${id}`, `${fmt(peerRate)} lines/s`, `${peer.seconds.toFixed(2)} s`, `ratio ${(rate / peerRate).toFixed(1)}×`, `${fmt(peer.matched ?? NaN)} lines matched`]);
  }
}

// A flood: 1,000,000 distinct failing sources through the real daemon; its memory and `f2b status`.
const flood = timed(process.execPath, [join(root, 'scripts/bench-flood.mjs'), String(Number(process.env.F2B_BENCH_FLOOD ?? 1_000_000))]);
if (flood.status === 0) {
  const r = JSON.parse(flood.stdout.trim().split('\n').pop());
  results.push([`flood: ${fmt(r.sources)} distinct failing sources (daemon)`, `RSS ${fmt(r.rssMiB)} MiB`, `peak ${fmt(r.peakMiB)} MiB`, `status ${fmt(r.statusMs)} ms, ${fmt(r.statusBytes)} bytes`, 'target ≤ 300 MiB']);
} else {
  results.push(['flood', 'failed', flood.stderr.slice(0, 300), '', '']);
}

// nftables: 100,000 bans through the batching, and attack-to-kernel latency (root only).
const nft = spawnSync(process.execPath, [join(root, 'scripts/bench-nftables.mjs')], { encoding: 'utf8' });
const nftOut = (nft.stdout || nft.stderr || '').trim();

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...results.map((r) => String(r[i]).length)));
for (const r of results) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
console.log('\ntarget: ≥ 1,000,000 lines/s for the sshd filter on a 2-core machine');
console.log(`\nnftables (scripts/bench-nftables.mjs):\n${nftOut}`);
