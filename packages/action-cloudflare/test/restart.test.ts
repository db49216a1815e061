/**
 * Nothing lost, nothing doubled: a real Daemon (two jails, one per mode) over a SQLite store bans a
 * burst at the fake Cloudflare; Cloudflare fails mid-burst; unbans are decided during the outage;
 * the daemon stops; time passes (some bans expire while it is down); Cloudflare comes back; a second
 * Daemon over the same store starts. At the end Cloudflare holds exactly the bans in force, each
 * once; rules and items f2b did not make are untouched; stale ones from before are reconciled away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, definePlugin, pluginErrors, resolveConfig, type SourceContext } from '@f2b/core';
import { FakeClock } from '@f2b/core/testing';
import { SqliteStore } from '@f2b/store-sqlite';
import cloudflareAction from '../src/index.js';
import type { FakeCloudflare } from '../src/testing/index.js';
import { ACCOUNT, baseOptions, listIps, manyIps, ourRules, startFake, TOKEN, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
let fake: FakeCloudflare;
const dirs: string[] = [];
afterEach(async () => {
  await fake?.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world(apiBase: string, reconcileDelay = 0.3) {
  const clock = new FakeClock('2025-03-01T12:00:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'f2b-cf-restart-'));
  dirs.push(dir);
  const store = new SqliteStore({ errors: pluginErrors, path: join(dir, 'f2b.db') });
  const sources = new Map<string, SourceContext>();
  const world = definePlugin({
    meta: { name: 'f2b-test-world', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            sources.set(ctx.jail, ctx);
          },
          stop: async () => {
            sources.delete(ctx.jail);
          },
        }),
      });
    },
  });
  const action = (extra: Record<string, unknown>) => ({ type: 'cloudflare', ...baseOptions(apiBase, { maxAttempts: 2, reconcileDelay, ...extra }) });
  const jail = (a: ReturnType<typeof action>) => ({
    source: { type: 'memory' },
    filter: 'demo',
    actions: [a],
    maxretry: 1,
    findtime: 600,
    bantime: 600,
    ignoreself: false,
    // The fake clock is pumped while requests to the fake API wait on real sockets: with the default
    // 60 s deadline a slow turn of a loaded machine could time a call out that was about to succeed,
    // leaving its outbox items for the next retry. The outage here answers 503s, it never hangs.
    actionTimeout: '1d',
  });
  const config = resolveConfig({
    state: { type: 'memory' },
    socket: false,
    jails: { web: jail(action({ zoneId: ZONE })), api: jail(action({ mode: 'list', accountId: ACCOUNT })) },
  });
  const logs: string[] = [];
  const logSink = (level: string, name: string, msg: string, fields?: Record<string, unknown>) => {
    logs.push(`${level} [${name}] ${msg} ${JSON.stringify(fields ?? {})}`);
  };
  const daemon = (db = store) => new Daemon({ searchFrom: [dir], clock, logLevel: 'debug', logSink, plugins: [world, cloudflareAction()], store: db });
  const attack = async (d: Daemon, jailName: string, ips: string[]) => {
    await sources.get(jailName)!.lines(
      ips.map((ip) => Buffer.from(`auth failure from ${ip}`)),
      'memory',
    );
    // The fake clock moves while the actions work: a burst past the rate limiter's, an outage's backoff.
    await pumping(clock, d.jail(jailName)!.flush());
  };
  return { clock, store, config, daemon, attack, logs, dir };
}

/**
 * Await `op` while the fake clock moves on in small steps, as the wall clock would: the action's
 * waits (its rate limiter's refill, the backoff after a 503, the reconcile delay) run on the core's
 * clock. Used only where the bans are decided already, so their start and end stay exact.
 */
async function pumping<T>(clock: FakeClock, op: Promise<T>): Promise<T> {
  let done = false;
  const result = op.finally(() => {
    done = true;
  });
  while (!done) {
    await new Promise((r) => setImmediate(r));
    if (!done && clock.pendingTimers() > 0) clock.advance(10);
  }
  return result;
}

/** Wait until `check` holds, moving the fake clock on meanwhile (the reconcile after start runs on it). */
async function until(clock: FakeClock, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
    clock.advance(10);
  }
}

describe('restart with an outage mid-burst', () => {
  it('ends with exactly the bans in force at Cloudflare, each once', async () => {
    const s = await startFake();
    fake = s.fake;
    const foreignRule = fake.accessRules.add(SCOPE, { mode: 'whitelist', target: 'ip', value: '192.0.2.250', notes: 'office' });
    fake.accessRules.add(SCOPE, { target: 'ip', value: '203.0.113.99', notes: 'f2b: web' }); // stale, from a lost past
    const list = fake.lists.addList(ACCOUNT, 'f2b_banned');
    fake.lists.addItem(list, '203.0.113.200', 'monitoring, by hand');
    fake.lists.addItem(list, '203.0.113.201', 'f2b: api'); // stale
    const w = world(s.apiBase);

    // Run 1: a first wave goes through.
    const d1 = w.daemon();
    await d1.start(w.config);
    const [aWeb, aApi] = [manyIps(100, 10), manyIps(100, 11)];
    await w.attack(d1, 'web', aWeb);
    await w.attack(d1, 'api', aApi);
    expect(ourRules(fake, SCOPE)).toEqual(expect.arrayContaining(aWeb));
    // Five minutes later a second wave; Cloudflare fails after 40 more requests.
    w.clock.advance(300_000);
    await fake.outage({ kind: 'status', status: 503, after: 40 });
    const [bWeb, bApi] = [manyIps(150, 20), manyIps(150, 21)];
    await w.attack(d1, 'web', bWeb);
    await w.attack(d1, 'api', bApi);
    // Unbans decided while Cloudflare is down.
    for (const ip of aWeb.slice(0, 5)) d1.jail('web')!.unban(ip);
    for (const ip of aApi.slice(0, 5)) d1.jail('api')!.unban(ip);
    await pumping(w.clock, d1.jail('web')!.flush());
    await pumping(w.clock, d1.jail('api')!.flush());
    const pending = await w.store.outboxPending();
    expect(pending.length).toBeGreaterThan(0);
    const landed = ourRules(fake, SCOPE).filter((v) => bWeb.includes(v)).length;
    expect(landed).toBeGreaterThan(0); // the outage began mid-burst
    expect(landed).toBeLessThan(bWeb.length);
    await d1.stop();

    // Down for 400 s: the first wave (600 s bans) expires meanwhile. Then Cloudflare is back.
    w.clock.advance(400_000);
    await fake.endOutage();
    const d2 = w.daemon();
    await pumping(w.clock, d2.start(w.config)); // the outbox's pending work is carried out at start
    const now = w.clock.now();
    const activeWeb = (await w.store.activeBans(now, 'web')).map((b) => b.id).sort();
    const activeApi = (await w.store.activeBans(now, 'api')).map((b) => b.id).sort();
    expect(activeWeb).toEqual([...bWeb].sort());
    expect(activeApi).toEqual([...bApi].sort());
    // The reconcile after start removes the stale entries from before.
    await until(w.clock, () => ourRules(fake, SCOPE).length === activeWeb.length && listIps(fake, ACCOUNT).length === activeApi.length + 1);

    expect(ourRules(fake, SCOPE)).toEqual(activeWeb);
    const mine = fake.accessRules.rules(SCOPE).filter((r) => r.notes.startsWith('f2b:'));
    expect(mine).toHaveLength(activeWeb.length); // each exactly once
    expect(fake.accessRules.rules(SCOPE)).toContainEqual(foreignRule);
    const items = [...list.items.values()];
    expect(
      items
        .filter((i) => i.comment.startsWith('f2b:'))
        .map((i) => i.ip)
        .sort(),
    ).toEqual(activeApi);
    expect(items.find((i) => i.ip === '203.0.113.200')?.comment).toBe('monitoring, by hand');
    // Cloudflare has them all; each dispatch marks its outbox entries done once it resolves, which
    // may come a turn after the last request was answered.
    await pumping(w.clock, d2.jail('web')!.flush());
    await pumping(w.clock, d2.jail('api')!.flush());
    expect(await w.store.outboxPending()).toEqual([]);
    expect(fake.stats.rateLimited).toBe(0);
    expect(fake.requests.filter((r) => r.status === 400)).toEqual([]); // no duplicate was ever attempted
    expect(fake.lists.stats.conflicts).toBe(0);
    await d2.stop();
    // The outage was reported (by the jails, per failed call) — and the token never appears.
    expect(w.logs.some((l) => l.includes('F2B_ERR_CF_UNAVAILABLE') || l.includes('HTTP 503'))).toBe(true);
    expect(w.logs.join('\n')).not.toContain(TOKEN);
  }, 60_000);

  it('a corrupt state database: the bans in force come back from Cloudflare, with their ends (issue 13)', async () => {
    const s = await startFake();
    fake = s.fake;
    fake.accessRules.add(SCOPE, { target: 'ip', value: '203.0.113.99', notes: 'f2b: web' }); // an older f2b's: no end
    // No reconcile while the clock is moved on (it would delete the older f2b's rule no jail wants).
    const w = world(s.apiBase, 3600);
    const d1 = w.daemon();
    await d1.start(w.config);
    const start = w.clock.now();
    await w.attack(d1, 'web', ['198.51.100.1', '198.51.100.2']);
    const startApi = w.clock.now(); // the clock moved while the web jail's bans went out
    await w.attack(d1, 'api', ['198.51.100.3', '2001:db8:5::1']);
    await d1.stop();

    // Garbage over the database (SQLite: "file is not a database"); a minute passes.
    const db = join(w.dir, 'f2b.db');
    writeFileSync(db, randomBytes(16384));
    for (const f of ['-wal', '-shm']) rmSync(db + f, { force: true });
    w.clock.advance(60_000);
    const store = new SqliteStore({ errors: pluginErrors, path: db });
    const d2 = w.daemon(store);
    const before = w.clock.now();
    await pumping(w.clock, d2.start(w.config));
    const now = w.clock.now();
    const ends = async (jail: string) => (await store.activeBans(now, jail)).map((b) => [b.id, b.end]).sort();
    const web = await ends('web');
    expect(web.slice(0, 2)).toEqual([
      ['198.51.100.1', start + 600_000],
      ['198.51.100.2', start + 600_000],
    ]);
    // The note does not say: the jail's bantime from the recovery (during start), never "for good".
    expect(web[2]![0]).toBe('203.0.113.99');
    expect(web[2]![1]).toBeGreaterThanOrEqual(before + 600_000);
    expect(web[2]![1]).toBeLessThanOrEqual(now + 600_000);
    expect(await ends('api')).toEqual([
      ['198.51.100.3', startApi + 600_000],
      ['2001:db8:5::/64', startApi + 600_000],
    ]);
    const said = w.logs.join('\n');
    expect(said).toContain('F2B_ERR_STATE_CORRUPT');
    expect(said).toContain('Recovered 5 ban(s) in force from the actions');
    await d2.stop();
  }, 60_000);
});
