#!/usr/bin/env node
/**
 * Fleet benchmark (issue 15): a private redis-server on a free loopback port (temp dir, no
 * persistence), and fleet members as a daemon runs them (`@f2b/fleet-redis`'s RedisFleet, in this
 * process, each with its own connections and a context that counts what it would apply).
 *
 *   bans/s     bans published by one member and applied by every other, for 3 and 10 members
 *   memory     Redis' used_memory for N failure ids in their windows (the COUNT script, TTLs) and
 *              for M bans in force (snapshot hash + stream)
 *   catch-up   a member that starts fresh and takes the M bans in force from the snapshot
 *
 * Defaults are small (under a minute on 2 cores); the sizes: --failures 1000000 --bans 100000.
 * Not part of the tests. Run `npx tsc -b` first.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createRedisFleet, COUNT, evalScript, script } from '@f2b/fleet-redis';
import { systemClock, createLogger } from '@f2b/core';

const { values: args } = parseArgs({
  options: {
    propagate: { type: 'string', default: '2000' },
    failures: { type: 'string', default: '100000' },
    bans: { type: 'string', default: '20000' },
    members: { type: 'string', default: '3,10' },
  },
});
const PROPAGATE = Number(args.propagate);
const FAILURES = Number(args.failures);
const BANS = Number(args.bans);
const MEMBERS = args.members.split(',').map(Number);

const server = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p));
if (!server) {
  console.error('bench-fleet: redis-server is not installed (apt-get install redis-server)');
  process.exit(2);
}

const port = await new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => resolve(p));
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

const silent = createLogger('bench', 'error', () => {});
const JAIL = { name: 'sshd', findtime: 600, maxretry: 5, bantime: 3600, failures: true, bans: true };

function member(host, name, onApply) {
  const store = new Map();
  const ctx = {
    host,
    logger: silent,
    clock: systemClock,
    jails: () => [JAIL],
    applyBan: (b) => {
      onApply(b);
      return 'applied';
    },
    applyUnban: () => true,
    decideBan: () => null,
    bansInForce: () => [],
    load: async (k) => store.get(k),
    save: async (k, v) => {
      store.set(k, v);
    },
    error: () => {},
  };
  return createRedisFleet({ url, name, heartbeat: 5, blockMs: 1000, streamMaxLen: Math.max(100_000, BANS * 2) }, ctx);
}

const ip = (i) => `2001:db8:${Math.floor(i / 65536).toString(16)}:${(i % 65536).toString(16)}::1`;
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const results = {};

// --- bans propagated per second ------------------------------------------------------------
for (const n of MEMBERS) {
  const name = `prop${n}`;
  let applied = 0;
  const members = [];
  for (let i = 0; i < n; i++)
    members.push(
      member(`m${i}`, name, () => {
        applied++;
      }),
    );
  await Promise.all(members.map((m) => m.start()));
  const want = PROPAGATE * (n - 1);
  const t0 = performance.now();
  const now = Date.now();
  for (let i = 0; i < PROPAGATE; i++) members[0].ban({ jail: 'sshd', id: ip(i), start: now, end: now + 3_600_000, count: 1, failures: 5 }, JAIL);
  while (applied < want) await new Promise((r) => setTimeout(r, 5));
  const s = (performance.now() - t0) / 1000;
  results[`propagate_${n}`] = {
    members: n,
    bans: PROPAGATE,
    seconds: +s.toFixed(2),
    bansPerSecond: Math.round(PROPAGATE / s),
    appliedPerSecond: Math.round(want / s),
  };
  console.log(
    `bans propagated to ${n} members: ${PROPAGATE} bans in ${s.toFixed(2)} s = ${Math.round(PROPAGATE / s)} bans/s (${Math.round(want / s)} applications/s)`,
  );
  await Promise.all(members.map((m) => m.stop()));
}

// --- Redis memory for failure ids ---------------------------------------------------------
{
  await admin.flushall();
  const before = await usedMemory();
  const s = script(COUNT);
  const clients = Array.from({ length: 4 }, () => new Redis(url, { protocol: 2, enableAutoPipelining: true }));
  const t0 = performance.now();
  const BATCH = 5000;
  for (let i = 0; i < FAILURES; i += BATCH) {
    const calls = [];
    for (let j = i; j < Math.min(FAILURES, i + BATCH); j++) {
      calls.push(
        evalScript(clients[j % 4], s, [`f2b:{mem}:fail:sshd:${ip(j)}`, `f2b:{mem}:decided:sshd:${ip(j)}`], [`b:${j}`, 1, 600_000, 5, 3_600_000, 'bench']),
      );
    }
    await Promise.all(calls);
  }
  const secs = (performance.now() - t0) / 1000;
  const bytes = (await usedMemory()) - before;
  results.failureMemory = { ids: FAILURES, bytes, bytesPerId: Math.round(bytes / FAILURES), countsPerSecond: Math.round(FAILURES / secs) };
  console.log(
    `Redis memory for ${FAILURES} failure ids (one attempt each, findtime TTL): ${mib(bytes)} (${Math.round(bytes / FAILURES)} B/id); ${Math.round(FAILURES / secs)} counts/s`,
  );
  for (const c of clients) c.disconnect();
}

// --- Redis memory for bans in force, and catch-up ----------------------------------------
{
  await admin.flushall();
  const before = await usedMemory();
  const pub = member('publisher', 'bans', () => {});
  await pub.start();
  const now = Date.now();
  for (let i = 0; i < BANS; i++) pub.ban({ jail: 'sshd', id: ip(i), start: now, end: now + 3_600_000, count: 1, failures: 5 }, JAIL);
  while (pub.status().queued > 0) await new Promise((r) => setTimeout(r, 10));
  await pub.stop();
  const bytes = (await usedMemory()) - before;
  results.banMemory = { bans: BANS, bytes, bytesPerBan: Math.round(bytes / BANS) };
  console.log(
    `Redis memory for ${BANS} bans in force (snapshot hash, stream entry, decided marker, message id kept 1 h): ${mib(bytes)} (${Math.round(bytes / BANS)} B/ban)`,
  );

  let got = 0;
  const t0 = performance.now();
  const late = member('late', 'bans', () => {
    got++;
  });
  await late.start();
  while (got < BANS) await new Promise((r) => setTimeout(r, 5));
  const s = (performance.now() - t0) / 1000;
  results.catchUp = { bans: BANS, seconds: +s.toFixed(2) };
  console.log(`catch-up of a fresh member: ${BANS} bans in force applied in ${s.toFixed(2)} s`);
  await late.stop();
}

console.log(JSON.stringify(results));
admin.disconnect();
redisProc.kill('SIGTERM');
await new Promise((r) => redisProc.once('exit', r));
rmSync(dir, { recursive: true, force: true });
