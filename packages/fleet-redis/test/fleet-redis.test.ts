/**
 * The Redis fleet against a real redis-server (an ACL user; skipped where the binary is missing):
 * ACL authentication (a wrong password is refused and never printed), the counting script decides
 * exactly once under concurrent hosts, a queued ban is published once on connect and expired ones
 * never, received bans are converted to this host's clock, rate-limited per origin and never echoed;
 * a host that moves to another fleet catches up from that fleet's snapshot and publishes its bans there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, memoryLogger, type Ban, type FleetBan, type FleetContext, type FleetJail } from '@f2b/core';
import { COUNT, createRedisFleet, redact, parseRedisUrl } from '../src/index.js';
import { evalScript, script } from '../src/scripts.js';
import { redisSkipReason, startRedis, type RedisLab } from '../../../test/redis-lab.js';

const skip = redisSkipReason();
if (skip) console.log(`fleet-redis tests skipped: ${skip}`);
const dir = mkdtempSync(join(tmpdir(), 'f2b-fleet-redis-'));
let redis: RedisLab;

beforeAll(async () => {
  if (!skip) redis = await startRedis(dir);
}, 20_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const JAIL: FleetJail = { name: 'sshd', findtime: 600, maxretry: 5, bantime: 3600, failures: true, bans: true };

function context(host: string, store = new Map<string, unknown>()) {
  const applied: FleetBan[] = [];
  const errors: unknown[] = [];
  const logger = memoryLogger();
  const ctx: FleetContext = {
    host,
    logger,
    clock: systemClock,
    jails: () => [JAIL],
    applyBan: (b) => {
      applied.push(b);
      return b.id.startsWith('198.51.100.') ? 'refused' : 'applied';
    },
    applyUnban: () => true,
    decideBan: () => null,
    bansInForce: () => [],
    load: async (k) => store.get(k),
    save: async (k, v) => {
      store.set(k, v);
    },
    error: (e) => errors.push(e),
  };
  return { ctx, applied, errors, store, logs: logger };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ban = (id: string, endIn: number | null): Ban => ({
  jail: 'sshd',
  id,
  start: Date.now(),
  end: endIn === null ? null : Date.now() + endIn,
  count: 1,
  failures: 5,
});

describe('redact', () => {
  it('replaces the password of any redis URL and the configured one anywhere', () => {
    expect(typeof parseRedisUrl('redis://f2b:s3cr3t-pw@127.0.0.1:6379/0')).toBe('object');
    expect(redact('redis://f2b:s3cr3t-pw@127.0.0.1:6379/0')).toBe('redis://f2b:***@127.0.0.1:6379/0');
    expect(redact('server said: s3cr3t-pw is wrong')).toBe('server said: *** is wrong');
    expect(redact('rediss://:other@h:1')).toBe('rediss://:***@h:1');
    expect(parseRedisUrl('http://x')).toMatch(/scheme/);
  });
});

describe.skipIf(skip !== null)('a fleet on a real redis-server', () => {
  it('authenticates as the ACL user; a wrong password is refused, reported, and never printed', async () => {
    const bad = context('bad-1');
    const url = redis.url.replace(redis.password, 'wrong-password-123');
    const fleet = createRedisFleet({ url, name: 'acl', heartbeat: 0.2 }, bad.ctx);
    await fleet.start();
    await until(() => bad.errors.length > 0, 'the error');
    const st = fleet.status();
    expect(st.connected).toBe(false);
    expect(st.url).toBe(`redis://f2b:***@127.0.0.1:${redis.port}/0`);
    const text = JSON.stringify(st) + bad.errors.map((e) => String((e as Error).message)).join() + bad.logs.records.map((r) => r.msg).join();
    expect(text).toMatch(/WRONGPASS|invalid username-password/);
    expect(text).not.toContain('wrong-password-123');
    await fleet.stop();

    const good = context('good-1');
    const ok = createRedisFleet({ url: redis.url, name: 'acl', heartbeat: 0.2 }, good.ctx);
    await ok.start();
    expect(ok.status().connected).toBe(true);
    await ok.stop();
  });

  it('speaks TLS (rediss://) with the CA it is given, and refuses a server it cannot verify', async () => {
    const tlsDir = mkdtempSync(join(tmpdir(), 'f2b-fleet-tls-'));
    const secure = await startRedis(tlsDir, { tls: true });
    try {
      const ok = context('tls-1');
      const fleet = createRedisFleet({ url: secure.url, name: 'tls', heartbeat: 0.2, tls: { ca: secure.ca! } }, ok.ctx);
      await fleet.start();
      expect(fleet.status()).toMatchObject({ connected: true, url: `rediss://f2b:***@127.0.0.1:${secure.port}/0` });
      await fleet.stop();
      const unverified = context('tls-2');
      const refused = createRedisFleet({ url: secure.url, name: 'tls', heartbeat: 0.2 }, unverified.ctx);
      await refused.start();
      await until(() => unverified.errors.length > 0, 'the certificate error');
      expect(refused.status().connected).toBe(false);
      expect(String((unverified.errors[0] as Error).message)).toMatch(/certificate/i);
      await refused.stop();
    } finally {
      await secure.stop();
      rmSync(tlsDir, { recursive: true, force: true });
    }
  });

  it('the counting script lets exactly one of many concurrent hosts decide', async () => {
    const clients = Array.from({ length: 8 }, () => redis.client());
    const s = script(COUNT);
    const keys = ['f2b:{count}:fail:sshd:203.0.113.9', 'f2b:{count}:decided:sshd:203.0.113.9'];
    const results = await Promise.all(
      Array.from(
        { length: 40 },
        (_, i) => evalScript(clients[i % clients.length]!, s, keys, [`h${i}`, 1, 600_000, 5, 3_600_000, `h${i % 8}`]) as Promise<[number, number]>,
      ),
    );
    expect(results.filter(([d]) => d === 1)).toHaveLength(1);
    expect(results.find(([d]) => d === 1)![1]).toBe(5);
    for (const c of clients) c.disconnect();
  });

  it('publishes what was queued before it connected, once; an expired one never; receivers convert, limit and never echo', async () => {
    const store = new Map<string, unknown>();
    const a = context('host-a', store);
    // Queued by an earlier run (Redis was down): one still in force, one that ended meanwhile.
    store.set('queue', [
      { t: 'ban', mid: 'host-a:old:1', jail: 'sshd', id: '203.0.113.1', end: Date.now() + 3_600_000, failures: 5 },
      { t: 'ban', mid: 'host-a:old:2', jail: 'sshd', id: '203.0.113.2', end: Date.now() - 1000, failures: 5 },
    ]);
    const b = context('host-b');
    const fa = createRedisFleet({ url: redis.url, name: 'q', heartbeat: 0.2, blockMs: 100 }, a.ctx);
    const fb = createRedisFleet({ url: redis.url, name: 'q', heartbeat: 0.2, blockMs: 100, receive: { maxBansPerOrigin: 3, per: 3600 } }, b.ctx);
    await fa.start();
    await fb.start();
    await until(() => b.applied.some((x) => x.id === '203.0.113.1'), 'the queued ban');
    expect(b.applied.find((x) => x.id === '203.0.113.1')!.end! - Date.now()).toBeGreaterThan(3_500_000);
    expect(b.applied.some((x) => x.id === '203.0.113.2')).toBe(false);
    // Three more: two pass the limit (3 per origin, one used), the last is refused.
    for (const id of ['203.0.113.3', '203.0.113.4', '203.0.113.5']) fa.ban(ban(id, 60_000), JAIL);
    fa.ban(ban('198.51.100.1', null), JAIL);
    await until(() => fb.status().refused >= 2, 'the refusals');
    expect(b.applied.map((x) => x.id).sort()).toEqual(['203.0.113.1', '203.0.113.3', '203.0.113.4']);
    // a never receives its own messages.
    expect(a.applied).toEqual([]);
    const r = redis.client();
    expect(await r.call('XLEN', 'f2b:{q}:stream')).toBe(5);
    await fa.stop();
    await fb.stop();
    expect(store.get('queue')).toEqual([]);
    // Its stream position is saved (its own messages are read and passed over).
    expect(store.get('stream')).toMatch(/^\d+-\d+$/);
  });

  it('moving to another fleet (a reload or restart with another name or server): caught up from its snapshot, its own bans published there', async () => {
    // On fleet B, before the move: a ban by another host.
    const other = context('mv-other');
    const onB = createRedisFleet({ url: redis.url, name: 'move-b', heartbeat: 0.2, blockMs: 100 }, other.ctx);
    await onB.start();
    onB.ban(ban('203.0.113.120', 600_000), JAIL);
    await until(() => onB.status().published === 1, 'the ban on fleet B');
    // On fleet A: this host receives a later ban there, so its saved stream position is later than
    // every entry of fleet B's stream (which it must not mistake for its own position there).
    const store = new Map<string, unknown>();
    const here = context('mv-here', store);
    const peer = context('mv-peer');
    const a = createRedisFleet({ url: redis.url, name: 'move-a', heartbeat: 0.2, blockMs: 100 }, here.ctx);
    const aPeer = createRedisFleet({ url: redis.url, name: 'move-a', heartbeat: 0.2, blockMs: 100 }, peer.ctx);
    await Promise.all([a.start(), aPeer.start()]);
    aPeer.ban(ban('203.0.113.121', 600_000), JAIL);
    await until(() => here.applied.some((b) => b.id === '203.0.113.121'), 'the ban on fleet A');
    await Promise.all([a.stop(), aPeer.stop()]);
    expect(typeof store.get('stream')).toBe('string');

    // The same host (same state) on fleet B, with a ban of its own in force.
    const moved = context('mv-here', store);
    moved.ctx.bansInForce = () => [{ ...ban('203.0.113.122', 600_000), origin: undefined }];
    const b = createRedisFleet({ url: redis.url, name: 'move-b', heartbeat: 0.2, blockMs: 100 }, moved.ctx);
    await b.start();
    expect(moved.applied.map((x) => x.id)).toContain('203.0.113.120');
    const said = moved.logs.records.map((r) => r.msg).join('\n');
    expect(said).toMatch(/Joined the fleet "move-b" .*another fleet than before/);
    expect(said).not.toMatch(/lost the fleet's data/); // another fleet's epoch is no sign of a Redis that lost its data
    const admin = redis.client();
    await until(() => b.status().published >= 1, 'its own ban published on fleet B');
    expect(String(await admin.call('HGET', 'f2b:{move-b}:bans', 'sshd 203.0.113.122')).split(' ')[1]).toBe('mv-here');
    await b.stop();
    // Back on fleet B after a restart: the same fleet, no new move.
    const again = context('mv-here', store);
    const b2 = createRedisFleet({ url: redis.url, name: 'move-b', heartbeat: 0.2, blockMs: 100 }, again.ctx);
    await b2.start();
    expect(again.logs.records.map((r) => r.msg).join('\n')).not.toMatch(/Joined the fleet/);
    await Promise.all([b2.stop(), onB.stop()]);
  });
});
