/**
 * Issue 15, the fleet: a real redis-server (ACL user, password from `${env:…}`) and three real f2b
 * daemons on loopback (test/fleet-lab.ts). Distributed brute force under per-host maxretry,
 * propagation of bans (latency printed) and unbans, a peer's ban of an ignored address refused,
 * `f2b status` (connected, hosts, lag), and no echo after 1,000 bans: the stream holds exactly one
 * message per local decision, each host published what it decided and received no more. Redis
 * restarts and late hosts: fleet-partition.e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runF2b } from './helpers.js';
import { redisSkipReason } from './redis-lab.js';
import { banSeen, bannedOn, fail, fleetLab, type FleetLab, type Host } from './fleet-lab.js';

const skip = redisSkipReason();
if (skip) console.log(`fleet e2e skipped: ${skip}`);
let lab: FleetLab;
let hosts: Host[];
let redis: FleetLab['redis'];
let FLEET: string;

beforeAll(async () => {
  if (skip) return;
  lab = await fleetLab('share');
  ({ hosts, redis, fleet: FLEET } = lab);
  const [a, b, c] = [lab.configure('web-1'), lab.configure('web-2'), lab.configure('web-3', { ignoreip: ['198.51.100.0/24'] })];
  const t0 = Date.now();
  await Promise.all([lab.start(a), lab.start(b), lab.start(c)]);
  console.log(`three daemons started and connected in ${Date.now() - t0} ms`);
}, 40_000);

afterAll(async () => {
  await lab?.close();
});

const percentile = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

describe.skipIf(skip !== null)('a fleet of three daemons on one Redis', () => {
  it("a distributed brute force under every host's maxretry is banned on all three", async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    // One failure per host: each host alone is far below maxretry 3; the fleet counts three.
    fail(a, '203.0.113.10');
    fail(b, '203.0.113.10');
    fail(c, '203.0.113.10');
    await Promise.all([a, b, c].map((h) => banSeen(h, '203.0.113.10')));
    // Exactly one host decided it (rule fleet-count); the others have it from that host.
    const views = await Promise.all([a, b, c].map((h) => bannedOn(h, '203.0.113.10')));
    const deciders = views.filter((v) => v.bans[0]!.origin === null);
    expect(deciders).toHaveLength(1);
    expect(deciders[0]!.bans[0]!.rule).toBe('fleet-count');
    for (const v of views) expect(v.banned).toBe(true);
  });

  it('a ban on one host is in force on the others (latency printed), with its origin and end; unbans propagate', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    const lat: number[] = [];
    // 20 addresses brute-forced on web-1 alone: banned there by its own count, then shared.
    const ips = Array.from({ length: 20 }, (_, i) => `203.0.113.${20 + i}`);
    for (const ip of ips) for (let k = 0; k < 3; k++) fail(a, ip);
    for (const ip of ips) {
      const t0 = await banSeen(a, ip);
      for (const h of [b, c]) lat.push((await banSeen(h, ip)) - t0);
    }
    console.log(`fleet ban propagation over ${lat.length} deliveries: p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms`);
    const onB = await bannedOn(b, '203.0.113.20');
    const onA = await bannedOn(a, '203.0.113.20');
    expect(onB.bans[0]!.origin).toBe('web-1');
    // The same end on both hosts (one clock here; the conversion goes through Redis' TIME).
    expect(Math.abs(onB.bans[0]!.end! - onA.bans[0]!.end!)).toBeLessThan(2000);
    const text = await runF2b(['banned', '203.0.113.20', '--socket', b.sock]);
    expect(text.stdout).toMatch(/from: {2}fleet host web-1/);

    expect((await runF2b(['unban', '203.0.113.21', '--jail', 'sshd', '--socket', b.sock])).code).toBe(0);
    for (const h of [a, c]) await h.d!.waitFor(/NOTICE \[sshd\] Unban 203\.0\.113\.21 \(manual\)/, 'stderr');
  });

  it("a peer's ban of an address the receiving host ignores is refused there", async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    expect((await runF2b(['ban', 'sshd', '198.51.100.7', '--socket', a.sock])).code).toBe(0);
    await banSeen(b, '198.51.100.7');
    await c.d!.waitFor(/Refused a ban of 198\.51\.100\.7 in jail "sshd" from fleet host web-1/, 'stderr');
    expect((await bannedOn(c, '198.51.100.7')).banned).toBe(false);
  });

  it('f2b status shows the fleet: connected, the hosts seen, the lag; the password appears nowhere', async () => {
    const [a] = hosts as [Host];
    const deadline = Date.now() + 10_000;
    let st: { fleet: { connected: boolean; hosts: { host: string }[]; lag: { lastMs: number | null }; url: string } };
    do {
      st = JSON.parse((await runF2b(['status', '--socket', a.sock, '--json'])).stdout);
      if (st.fleet.hosts.length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    expect(st.fleet.connected).toBe(true);
    expect(st.fleet.hosts.map((h) => h.host).sort()).toEqual(['web-1', 'web-2', 'web-3']);
    // web-1's bans reached web-2 by the stream: its lag (Redis' entry time to applied here) is known.
    const onB = JSON.parse((await runF2b(['status', '--socket', hosts[1]!.sock, '--json'])).stdout) as typeof st;
    expect(onB.fleet.lag.lastMs).not.toBeNull();
    expect(onB.fleet.lag.lastMs!).toBeGreaterThanOrEqual(0);
    expect((await runF2b(['status', '--socket', hosts[1]!.sock])).stdout).toMatch(/Lag:\s+[\d.]+ ms \(largest [\d.]+ ms\)/);
    expect(st.fleet.url).toContain('f2b:***@127.0.0.1');
    const text = (await runF2b(['status', '--socket', a.sock])).stdout;
    expect(text).toMatch(/Fleet/);
    expect(text).toMatch(/Connected:\s+yes/);
    expect(text).not.toContain(redis.password);
    for (const h of hosts) expect(h.d!.stderr()).not.toContain(redis.password);
  });

  it('no echo: after many bans the stream holds one message per local decision', async () => {
    const [a, b, c] = hosts as [Host, Host, Host];
    // 1,000 addresses brute-forced on web-1 alone (3 failures each): banned there, shared once each.
    const ips = Array.from({ length: 1000 }, (_, i) => `2001:db8::f:${(i + 1).toString(16)}`);
    for (const ip of ips) for (let k = 0; k < 3; k++) fail(a, ip);
    for (const h of [a, b, c]) await banSeen(h, ips.at(-1)!, 40_000);
    await new Promise((res) => setTimeout(res, 300)); // let any echo (there must be none) arrive
    const r = redis.client();
    const entries = (await r.call('XRANGE', `f2b:{${FLEET}}:stream`, '-', '+')) as [string, string[]][];
    const mids = entries.map(([, f]) => f[f.indexOf('mid') + 1]);
    expect(new Set(mids).size).toBe(mids.length);
    // Every ban decided on some host (not received: rule fleet:<host>), from the daemons' own ban
    // trails, and the one unban by hand: that many messages, no more.
    const trail = hosts.map((h) => h.past + h.d!.stderr()).join('\n');
    const localBans = [...trail.matchAll(/NOTICE \[sshd\] Ban \S+ .*rule: (?!fleet:)/g)].length;
    expect(localBans).toBeGreaterThanOrEqual(1000 + 20 + 1 + 1);
    console.log(`stream: ${entries.length} messages, ${localBans} local bans; first ${JSON.stringify(entries[0])}`);
    expect(entries.filter(([, f]) => f[f.indexOf('t') + 1] === 'unban')).toHaveLength(1);
    expect(entries).toHaveLength(localBans + 1);
    // Bounded on every host too: what each published is what it decided; what each received, at
    // most one message per entry of the stream that is not its own.
    for (const h of hosts) {
      const st = JSON.parse((await runF2b(['status', '--socket', h.sock, '--json'])).stdout) as { fleet: { published: number; received: number } };
      const own = entries.filter(([, f]) => f[f.indexOf('o') + 1] === h.name).length;
      expect(st.fleet.published).toBe(own);
      expect(st.fleet.received).toBeLessThanOrEqual(entries.length - own);
    }
  }, 60_000);
});
