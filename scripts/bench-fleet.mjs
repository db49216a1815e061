#!/usr/bin/env node
/**
 * Fleet benchmark (issue 15), part of `npm run bench`: a private redis-server on a free loopback
 * port (temp dir, no persistence, no password: nothing but this script reaches it), and
 *
 *   propagation  N real f2b daemons (separate processes, each with its own SQLite state, socket,
 *                log and host name; action `log`) on that Redis, for N = 3 and 10: host 0 reads
 *                a burst of failures (maxretry 1, so each line bans one address) and publishes
 *                its bans; the others apply them. Bans per second to all N-1 receivers, and the
 *                p50/p99 latency from host 0's ban to each receiver's (the NOTICE lines' times),
 *                in the burst (queueing included) and for bans one at a time (paced).
 *   memory       Redis' `INFO memory` used_memory before and after 1,000,000 tracked failure ids
 *                (the plugin's COUNT script, on its own keys, with the findtime TTL: what every
 *                host's `failure()` runs, pipelined from this process — a million failures through
 *                daemons would measure log reading, not Redis) and after 100,000 bans in force
 *                (published by the plugin's RedisFleet.ban(), its queue and PUBLISH script).
 *   catch-up     a real daemon started after those 100,000 bans were published: the time from its
 *                spawn until `f2b status sshd` counts them all (polled), and until its log says it
 *                caught up.
 *
 * Sizes (environment; the defaults run in a minute or two on 2 cores):
 *   F2B_BENCH_FLEET_MEMBERS    daemons per propagation run, comma-separated (default 3,10)
 *   F2B_BENCH_FLEET_PROPAGATE  bans published by host 0 per run (default 1000)
 *   F2B_BENCH_FLEET_PACED      then that many bans one at a time, for the latency without a queue (default 100)
 *   F2B_BENCH_FLEET_PACED_MS   ms between them (default 50)
 *   F2B_BENCH_FLEET_FAILURES   failure ids for the memory row (default 1000000)
 *   F2B_BENCH_FLEET_BANS       bans in force for the memory and catch-up rows (default 100000)
 * The last line is the figures as JSON. Nothing is asserted. Run `npx tsc -b` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createRedisFleet, COUNT, FleetKeys, script } from '@f2b/fleet-redis';
import { systemClock, createLogger } from '@f2b/core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const F2B = join(root, 'packages/cli/bin/f2b.js');
const env = (name, fallback) => process.env[name] ?? fallback;
const MEMBERS = env('F2B_BENCH_FLEET_MEMBERS', '3,10').split(',').filter(Boolean).map(Number);
const PROPAGATE = Number(env('F2B_BENCH_FLEET_PROPAGATE', 1000));
const PACED = Number(env('F2B_BENCH_FLEET_PACED', 100));
const PACED_MS = Number(env('F2B_BENCH_FLEET_PACED_MS', 50));
const FAILURES = Number(env('F2B_BENCH_FLEET_FAILURES', 1_000_000));
const BANS = Number(env('F2B_BENCH_FLEET_BANS', 100_000));

const server = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p));
if (!server) {
  console.log('bench-fleet: skipped, redis-server is not installed (apt-get install redis-server)');
  process.exit(0);
}

const port = await new Promise((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => res(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'f2b-bench-fleet-'));
const redisProc = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
  stdio: 'ignore',
});
const url = `redis://127.0.0.1:${port}/0`;
const admin = new Redis(url, { protocol: 2 });
admin.on('error', () => {}); // refused until the server listens
for (let i = 0; ; i++) {
  try {
    await admin.ping();
    break;
  } catch {
    if (i > 200) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const daemons = [];
async function cleanup() {
  await Promise.all(daemons.map((d) => d.stop()));
  admin.disconnect();
  redisProc.kill('SIGTERM');
  await new Promise((r) => (redisProc.exitCode !== null ? r() : redisProc.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ip = (i) => `2001:db8:${Math.floor(i / 65536).toString(16)}:${(i % 65536).toString(16)}::1`;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const percentile = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];
const results = {};

/** A real f2b daemon in its own directory, on fleet `name` as `host`; its NOTICE ban lines parsed as they come. */
function daemon(name, host) {
  const home = join(dir, `${name}-${host}`);
  mkdirSync(home);
  const log = join(home, 'auth.log');
  writeFileSync(log, '');
  const cfg = join(home, 'f2b.config.json');
  const sock = join(home, 'f2b.sock');
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { type: 'sqlite', path: join(home, 'f2b.db') },
      socket: sock,
      fleet: { type: 'redis', url, name, host, heartbeat: 1, blockMs: 1000, streamMaxLen: Math.max(100_000, BANS * 2) },
      jails: {
        sshd: {
          source: { type: 'file', paths: [log], pollInterval: 50 },
          filter: 'sshd',
          maxretry: 1,
          findtime: '10m',
          bantime: '1h',
          ignoreself: false,
          actions: ['log'],
          fleet: { failures: false, bans: true },
        },
      },
    }),
  );
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [F2B, 'start', '--foreground', '--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  const d = { host, log, sock, child, spawnedAt, bans: new Map(), started: false, connectedAt: null, tail: '' };
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      const m = /^(\S+) NOTICE \[sshd\] Ban (\S+) /.exec(line);
      if (m) d.bans.set(m[2], Date.parse(m[1]));
      else if (d.connectedAt === null && line.includes('Connected to the fleet'))
        d.connectedAt = Date.parse(line.split(' ')[0]); // the line's own time (the pipe may lag)
      else if (/Started \d+ jail/.test(line)) d.started = true;
      if (!m) d.tail = (d.tail + line + '\n').slice(-4000);
    }
  });
  d.stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  };
  d.until = async (what, ok, timeoutMs = 300_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (child.exitCode !== null) throw new Error(`daemon ${host} exited (${child.exitCode}) waiting for ${what}:\n${d.tail}`);
      if (Date.now() > deadline) throw new Error(`daemon ${host}: timed out waiting for ${what}:\n${d.tail}`);
      await sleep(20);
    }
  };
  daemons.push(d);
  return d;
}

async function forget(ds) {
  await Promise.all(ds.map((d) => d.stop()));
  for (const d of ds) daemons.splice(daemons.indexOf(d), 1);
}

try {
  // --- bans propagated per second to N real daemons -----------------------------------------
  for (const n of MEMBERS) {
    const name = `prop${n}`;
    const t0 = Date.now();
    const members = [];
    // Started a few at a time: ten cold Node processes at once would only measure the CPU queue.
    for (let i = 0; i < n; i += 2) {
      const batch = [daemon(name, `h${i}`), ...(i + 1 < n ? [daemon(name, `h${i + 1}`)] : [])];
      members.push(...batch);
      await Promise.all(batch.map((d) => d.until('start', () => d.started, 60_000)));
    }
    const startup = Date.now() - t0;
    const [first, ...receivers] = members;
    const ips = Array.from({ length: PROPAGATE }, (_, i) => ip(i + n * 1_000_000));
    const now = new Date().toISOString().replace('Z', '+00:00');
    appendFileSync(first.log, ips.map((a, i) => `${now} bench sshd[${1000 + i}]: Failed password for root from ${a} port 40022 ssh2\n`).join(''));
    await Promise.all(receivers.map((d) => d.until(`${PROPAGATE} bans`, () => d.bans.size >= PROPAGATE)));
    await first.until(`${PROPAGATE} own bans`, () => first.bans.size >= PROPAGATE);
    const decided = [...first.bans.values()];
    const firstBan = Math.min(...decided);
    const lastApplied = Math.max(...receivers.flatMap((d) => [...d.bans.values()]));
    const latencies = receivers.flatMap((d) => ips.map((a) => d.bans.get(a) - first.bans.get(a)));
    const seconds = Math.max(0.001, (lastApplied - firstBan) / 1000);
    const row = {
      daemons: n,
      bans: PROPAGATE,
      seconds: +seconds.toFixed(2),
      bansPerSecond: Math.round(PROPAGATE / seconds),
      applicationsPerSecond: Math.round((PROPAGATE * receivers.length) / seconds),
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      startupMs: startup,
    };
    results[`propagate_${n}`] = row;
    console.log(
      `bans propagated to ${n} daemons: a burst of ${PROPAGATE} bans decided on one, in force on the other ${n - 1} in ${row.seconds} s = ${row.bansPerSecond} bans/s ` +
        `(${row.applicationsPerSecond} applications/s); latency in the burst (queueing included) p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, max ${row.maxMs} ms ` +
        `(${n} daemons started in ${startup} ms)`,
    );
    // Paced: one ban every PACED_MS, the latency of a ban that does not queue behind a burst.
    const paced = Array.from({ length: PACED }, (_, i) => ip(i + n * 1_000_000 + 500_000));
    for (const [i, a] of paced.entries()) {
      const t = new Date().toISOString().replace('Z', '+00:00');
      appendFileSync(first.log, `${t} bench sshd[${9000 + i}]: Failed password for root from ${a} port 40022 ssh2\n`);
      await sleep(PACED_MS);
    }
    await Promise.all(receivers.map((d) => d.until(`${PACED} paced bans`, () => paced.every((a) => d.bans.has(a)))));
    await first.until(`${PACED} own paced bans`, () => paced.every((a) => first.bans.has(a)));
    const steady = receivers.flatMap((d) => paced.map((a) => d.bans.get(a) - first.bans.get(a)));
    row.pacedP50Ms = percentile(steady, 50);
    row.pacedP99Ms = percentile(steady, 99);
    console.log(
      `  paced (${PACED} bans, one every ${PACED_MS} ms) to ${n} daemons: latency from the deciding host's ban to each other's p50 ${row.pacedP50Ms} ms, p99 ${row.pacedP99Ms} ms`,
    );
    await forget(members);
  }

  // --- Redis memory for tracked failure ids ---------------------------------------------------
  {
    await admin.flushall();
    const before = await usedMemory();
    const keys = new FleetKeys('mem');
    const count = script(COUNT);
    const clients = Array.from({ length: 4 }, () => new Redis(url, { protocol: 2 }));
    await admin.script('LOAD', COUNT); // as a running host has it: EVALSHA, no script body per call
    const t0 = performance.now();
    // The COUNT script with the keys and arguments RedisFleet.failure() sends (member prefix,
    // attempts, findtime ms, maxretry, marker ttl ms, host), EVALSHA in pipelines of BATCH
    // (a host has at most 5,000 counts in flight), spread over the clients.
    const BATCH = 5000;
    for (let i = 0; i < FAILURES; i += BATCH * clients.length) {
      const pipelines = [];
      for (let c = 0; c < clients.length; c++) {
        const p = clients[c].pipeline();
        const from = i + c * BATCH;
        for (let j = from; j < Math.min(FAILURES, from + BATCH); j++) {
          const id = ip(j);
          p.evalsha(count.sha, 2, keys.failures('sshd', id), keys.decided('sshd', id), `bench:${j}`, 1, 600_000, 5, 3_600_000, 'bench');
        }
        pipelines.push(p.exec());
      }
      await Promise.all(pipelines);
    }
    const secs = (performance.now() - t0) / 1000;
    const after = await usedMemory();
    const ttl = await admin.pttl(keys.failures('sshd', ip(0)));
    const bytes = after - before;
    results.failureMemory = {
      ids: FAILURES,
      usedMemoryBefore: before,
      usedMemoryAfter: after,
      bytes,
      bytesPerId: Math.round(bytes / FAILURES),
      countsPerSecond: Math.round(FAILURES / secs),
    };
    console.log(
      `Redis memory for ${FAILURES} tracked failure ids (one attempt each, TTL findtime, ${Math.round(ttl / 1000)} s left on the first): used_memory ${mib(before)} -> ${mib(after)}: ` +
        `${mib(bytes)} (${Math.round(bytes / FAILURES)} B/id); counted at ${Math.round(FAILURES / secs)} failures/s`,
    );
    for (const c of clients) c.disconnect();
  }

  // --- Redis memory for bans in force, and catch-up of a daemon that missed them -------------
  {
    await admin.flushall();
    const before = await usedMemory();
    const silent = createLogger('bench', 'error', () => {});
    const jail = { name: 'sshd', findtime: 600, maxretry: 1, bantime: 3600, failures: false, bans: true };
    const store = new Map();
    const publisher = createRedisFleet(
      { url, name: 'bans', heartbeat: 5, blockMs: 1000, streamMaxLen: Math.max(100_000, BANS * 2) },
      {
        host: 'publisher',
        logger: silent,
        clock: systemClock,
        jails: () => [jail],
        applyBan: () => 'applied',
        applyUnban: () => true,
        decideBan: () => null,
        bansInForce: () => [],
        load: async (k) => store.get(k),
        save: async (k, v) => {
          store.set(k, v);
        },
        error: (err) => console.error(err),
      },
    );
    await publisher.start();
    const t0 = performance.now();
    const now = Date.now();
    for (let i = 0; i < BANS; i++) publisher.ban({ jail: 'sshd', id: ip(i), start: now, end: now + 3_600_000, count: 1, failures: 1 }, jail);
    while (publisher.status().queued > 0) await sleep(10);
    const pubSecs = (performance.now() - t0) / 1000;
    await publisher.stop();
    const after = await usedMemory();
    const bytes = after - before;
    results.banMemory = {
      bans: BANS,
      usedMemoryBefore: before,
      usedMemoryAfter: after,
      bytes,
      bytesPerBan: Math.round(bytes / BANS),
      publishedPerSecond: Math.round(BANS / pubSecs),
    };
    console.log(
      `Redis memory for ${BANS} bans in force (snapshot hash, stream entry, decided marker, message id kept 1 h): used_memory ${mib(before)} -> ${mib(after)}: ` +
        `${mib(bytes)} (${Math.round(bytes / BANS)} B/ban); published at ${Math.round(BANS / pubSecs)} bans/s`,
    );

    const late = daemon('bans', 'late');
    let counted = null;
    while (counted === null) {
      if (late.child.exitCode !== null) throw new Error(`the late daemon exited:\n${late.tail}`);
      const r = spawnSync(process.execPath, [F2B, 'status', 'sshd', '--socket', late.sock, '--json'], { encoding: 'utf8' });
      if (r.status === 0 && JSON.parse(r.stdout).currentlyBanned >= BANS) counted = Date.now();
      else await sleep(200);
    }
    await late.until('its caught-up line', () => late.connectedAt !== null, 120_000);
    const row = {
      bans: BANS,
      secondsToCount: +((counted - late.spawnedAt) / 1000).toFixed(2),
      secondsToCaughtUpLog: +((late.connectedAt - late.spawnedAt) / 1000).toFixed(2),
    };
    results.catchUp = row;
    console.log(
      `catch-up of a daemon that missed ${BANS} bans: started after they were published; its log says caught up ${row.secondsToCaughtUpLog} s after spawn, ` +
        `\`f2b status sshd\` counts ${BANS} banned ${row.secondsToCount} s after spawn (polled every 0.2 s)`,
    );
  }
  console.log(JSON.stringify(results));
} finally {
  await cleanup();
}
