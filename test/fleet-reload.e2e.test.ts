/**
 * Issue 15, the fleet across `f2b reload`: a changed `fleet:` section takes effect (a new host
 * name, another Redis, the fleet removed and added again), with exactly one pair of connections
 * afterwards and nothing queued lost; the same section reconnects nothing; a jail's
 * `fleet: { bans: false }` stops sharing that jail's bans both ways. Two real daemons, two real
 * redis-servers (test/fleet-lab.ts, test/redis-lab.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runF2b, tempDir } from './helpers.js';
import { redisSkipReason, startRedis, type RedisLab } from './redis-lab.js';
import { banSeen, bannedOn, fleetLab, type FleetLab, type Host } from './fleet-lab.js';

const skip = redisSkipReason();
if (skip) console.log(`fleet reload e2e skipped: ${skip}`);
let lab: FleetLab;
let a: Host;
let b: Host;
let other: RedisLab;
let otherDir: { dir: string; cleanup(): void };

beforeAll(async () => {
  if (skip) return;
  lab = await fleetLab('reload');
  otherDir = tempDir('f2b-fleet-reload-other-');
  // The same password: the daemons read it from the environment they were started with.
  other = await startRedis(otherDir.dir, { password: lab.redis.password });
  [a, b] = [lab.configure('web-1'), lab.configure('web-2')];
  await Promise.all([lab.start(a), lab.start(b)]);
}, 40_000);

afterAll(async () => {
  await lab?.close();
  await other?.stop();
  otherDir?.cleanup();
});

type Config = { fleet?: Record<string, unknown>; jails: { sshd: Record<string, unknown> } };
function edit(h: Host, change: (c: Config) => void): void {
  const c = JSON.parse(readFileSync(h.cfg, 'utf8')) as Config;
  change(c);
  writeFileSync(h.cfg, JSON.stringify(c));
}

async function reload(h: Host): Promise<void> {
  const before = (h.d!.stderr().match(/Reloaded: /g) ?? []).length;
  const r = await runF2b(['reload', '--socket', h.sock]);
  expect(r.code, r.stderr).toBe(0);
  const deadline = Date.now() + 10_000;
  while ((h.d!.stderr().match(/Reloaded: /g) ?? []).length === before) {
    if (Date.now() > deadline) throw new Error(`no reload on ${h.name}:\n${h.d!.stderr()}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

/** Connections a Redis has open under a client name (`f2b:<host>`). */
async function connections(redis: RedisLab, name: string): Promise<number> {
  const list = (await redis.client().call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((l) => l.includes(` name=${name} `)).length;
}

async function fleetStatus(h: Host) {
  const st = JSON.parse((await runF2b(['status', '--socket', h.sock, '--json'])).stdout) as {
    fleet?: { connected: boolean; host: string; queued: number; received: number; published: number };
  };
  return st.fleet;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const connects = (h: Host) => (h.d!.stderr().match(/Connected to the fleet/g) ?? []).length;

describe.skipIf(skip !== null)('a fleet across f2b reload', () => {
  it('a reload with the same fleet section reconnects nothing', async () => {
    const before = connects(a);
    await reload(a);
    expect(connects(a)).toBe(before);
    expect(await connections(lab.redis, 'f2b:web-1')).toBe(2); // the command and the reader connection
  });

  it('a new host name: one new pair of connections, the old ones gone, bans carry the new name', async () => {
    edit(a, (c) => {
      c.fleet = { ...lab.fleetSection('web-1b') };
    });
    await reload(a);
    await a.d!.waitFor(/Connected to the fleet "\S+" at .* as web-1b/, 'stderr');
    expect(await connections(lab.redis, 'f2b:web-1')).toBe(0);
    expect(await connections(lab.redis, 'f2b:web-1b')).toBe(2);
    expect((await fleetStatus(a))!.host).toBe('web-1b');
    expect((await runF2b(['ban', 'sshd', '203.0.113.80', '--socket', a.sock])).code).toBe(0);
    await banSeen(b, '203.0.113.80');
    expect((await bannedOn(b, '203.0.113.80')).bans[0]!.origin).toBe('web-1b');
  });

  it("a jail's fleet: { bans: false } takes effect on reload, both ways, without reconnecting", async () => {
    const before = connects(b);
    edit(b, (c) => {
      c.jails.sshd.fleet = { failures: false, bans: false };
    });
    await reload(b);
    expect(connects(b)).toBe(before);
    // Received, but not applied: the jail no longer takes the fleet's bans.
    const received = (await fleetStatus(b))!.received;
    expect((await runF2b(['ban', 'sshd', '203.0.113.81', '--socket', a.sock])).code).toBe(0);
    await until('web-2 to receive the ban', async () => (await fleetStatus(b))!.received > received);
    expect((await bannedOn(b, '203.0.113.81')).banned).toBe(false);
    // Decided here, not handed to the fleet (nothing queued, nothing published).
    const st = (await fleetStatus(b))!;
    expect((await runF2b(['ban', 'sshd', '203.0.113.82', '--socket', b.sock])).code).toBe(0);
    await banSeen(b, '203.0.113.82');
    const after = (await fleetStatus(b))!;
    expect(after.queued + after.published).toBe(st.queued + st.published);
    edit(b, (c) => {
      c.jails.sshd.fleet = { failures: true, bans: true };
    });
    await reload(b);
  });

  it('another Redis: what was queued while the old one was down is published to the new one, with the bans in force', async () => {
    await lab.redis.kill();
    await a.d!.waitFor(/Lost the fleet's Redis/, 'stderr');
    expect((await runF2b(['ban', 'sshd', '203.0.113.90', '--socket', a.sock])).code).toBe(0);
    await banSeen(a, '203.0.113.90');
    expect((await fleetStatus(a))!.queued).toBeGreaterThanOrEqual(1);
    edit(a, (c) => {
      c.fleet = { ...lab.fleetSection('web-1b'), url: String(lab.fleetSection('web-1b').url).replace(/@127\.0\.0\.1:\d+/, `@127.0.0.1:${other.port}`) };
    });
    await reload(a);
    await a.d!.waitFor(/Joined the fleet "\S+" at .*127\.0\.0\.1:\d+\/0 \(another fleet than before\)/, 'stderr');
    const r = other.client();
    const field = (id: string) => r.call('HGET', `f2b:{${lab.fleet}}:bans`, `sshd ${id}`) as Promise<string | null>;
    // The queued ban, and the one decided before (in force here): both in the new Redis, from web-1b.
    const queued = await until('the queued ban in the new Redis', () => field('203.0.113.90'));
    expect(queued.split(' ')[1]).toBe('web-1b');
    expect((await until('the earlier ban in the new Redis', () => field('203.0.113.80'))).split(' ')[1]).toBe('web-1b');
    expect(await connections(other, 'f2b:web-1b')).toBe(2);
    expect((await fleetStatus(a))!.queued).toBe(0);
    await lab.redis.restart();
  });

  it('the fleet removed, then added again: disconnected meanwhile; what was decided outside the fleet stays local', async () => {
    const withFleet = (JSON.parse(readFileSync(a.cfg, 'utf8')) as Config).fleet!;
    edit(a, (c) => {
      delete c.fleet;
    });
    await reload(a);
    await a.d!.waitFor(/Left the fleet/, 'stderr');
    expect(await fleetStatus(a)).toBeUndefined();
    expect(await connections(other, 'f2b:web-1b')).toBe(0);
    expect((await runF2b(['ban', 'sshd', '203.0.113.95', '--socket', a.sock])).code).toBe(0);
    await banSeen(a, '203.0.113.95');
    edit(a, (c) => {
      c.fleet = withFleet;
    });
    await reload(a);
    await until('connected again', async () => (await fleetStatus(a))?.connected);
    expect(await connections(other, 'f2b:web-1b')).toBe(2);
    expect((await runF2b(['ban', 'sshd', '203.0.113.96', '--socket', a.sock])).code).toBe(0);
    const r = other.client();
    const field = (id: string) => r.call('HGET', `f2b:{${lab.fleet}}:bans`, `sshd ${id}`) as Promise<string | null>;
    await until('the new ban in Redis', () => field('203.0.113.96'));
    // Published in order: a ban handed over before .96 would be there by now.
    expect(await field('203.0.113.95')).toBeNull();
  });
});
