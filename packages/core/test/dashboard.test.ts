/**
 * The dashboard's pieces without HTTP: the activity rings fed by a jail's hooks (per minute, per
 * hour, per rule; fixed size, stale slots read as zero), the bans page (search, sort, cut), the
 * top offenders and ranges, and the loopback test of Host headers.
 */
import { describe, expect, it } from 'vitest';
import { createTestCore } from '../src/testing/test-core.js';
import { definePlugin } from '../src/plugin.js';
import { Activity, MINUTE_SLOTS, HOUR_SLOTS, ACTIVITY_KEY, ACTIVITY_SAVE_MS } from '../src/dashboard/activity.js';
import { MemoryStore } from '../src/store.js';
import { CounterRing } from '../src/dashboard/counter-ring.js';
import { listBans, type BanQuery } from '../src/dashboard/bans-view.js';
import { topOffenders } from '../src/dashboard/offenders.js';
import { isLoopbackHost } from '../src/dashboard/server.js';
import { loadAssets } from '../src/dashboard/assets.js';
import { searchDirs } from '../src/resolve.js';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rejected } from './helpers.js';
import { resolveConfig } from '../src/config.js';
import { parseIp } from '../src/ip.js';
import type { Ban } from '../src/types.js';

const plugin = definePlugin({
  meta: { name: 'f2b-filter-demo', version: '1.0.0', core: '*' },
  apply(core) {
    core.registerFilter({
      id: 'demo',
      rules: [
        { id: 'auth-failure', pattern: '^auth failure from <HOST>$' },
        { id: 'bad-user', pattern: '^bad user from <HOST>$' },
      ],
    });
  },
});

describe('CounterRing', () => {
  it('counts per slot, wraps round, and reads slots nobody wrote since as zero', () => {
    const r = new CounterRing(4, 1000, 2);
    r.add(0, 0, 2);
    r.add(1500, 0);
    r.add(1999, 1, 5);
    expect(r.series(1999, 0)).toEqual([0, 0, 2, 1]);
    expect(r.series(1999, 1)).toEqual([0, 0, 0, 5]);
    // Five slots later slot 0's position is reused: its old count is gone, not added to.
    r.add(4000, 0, 7);
    expect(r.series(4000, 0)).toEqual([1, 0, 0, 7]);
    expect(r.sum(4000, 0)).toBe(8);
    expect(r.sum(4000, 0, 1)).toBe(7);
    // Long idle: everything reads zero, no timer needed.
    expect(r.series(60_000, 0)).toEqual([0, 0, 0, 0]);
  });
});

describe('Activity', () => {
  it('follows failures (attempts), bans and rule hits per minute and per hour, from the hooks', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 3, findtime: 3600, bantime: 600 }, start: '2026-01-01T10:00:10Z' });
    const activity = new Activity(t.core, () => [t.jail]);
    t.push('auth failure from 192.0.2.10', 'auth failure from 192.0.2.10', 'bad user from 192.0.2.11');
    t.clock.advance(60_000);
    t.push('auth failure from 192.0.2.10'); // the third: a ban
    await t.flush();
    t.clock.advance(120_000);
    const m = activity.series('minute', ['test', 'other']);
    expect(m.step).toBe(60);
    expect(m.jails[0]!.failures).toHaveLength(MINUTE_SLOTS);
    expect(m.jails[0]!.failures.slice(-4)).toEqual([3, 1, 0, 0]);
    expect(m.jails[0]!.bans.slice(-4)).toEqual([0, 1, 0, 0]);
    expect(m.start + (MINUTE_SLOTS - 1) * 60_000).toBe(Date.parse('2026-01-01T10:03:00Z'));
    expect(m.jails[1]!.failures.every((n) => n === 0)).toBe(true); // a jail that saw nothing
    const h = activity.series('hour', ['test']);
    expect(h.jails[0]!.failures).toHaveLength(HOUR_SLOTS);
    expect(h.jails[0]!.failures.at(-1)).toBe(4);
    expect(h.jails[0]!.bans.at(-1)).toBe(1);
    expect(activity.rules('test')).toEqual([
      { rule: 'auth-failure', total: 3, lastHour: 3, share: 0.75 },
      { rule: 'bad-user', total: 1, lastHour: 1, share: 0.25 },
    ]);
    t.clock.advance(3600_000);
    expect(activity.rules('test')[0]).toMatchObject({ total: 3, lastHour: 0 });
  });

  it('counts a failure in the minute it happened and a ban when it started, bounded by the rings', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 100, findtime: 86_400 * 40 }, start: '2026-01-01T10:00:10Z' });
    const activity = new Activity(t.core, () => [t.jail]);
    const now = t.clock.now();
    const failure = (ago: number) =>
      t.jail.failure({ id: '192.0.2.20', attempts: 1, rule: 'auth-failure', captures: {}, lines: [], time: now - ago, filter: 'demo' });
    failure(5 * 60_000); // read late: plotted 5 minutes back, not now
    failure(-3_600_000); // a clock ahead in the log: counted now, not in the future
    failure(25 * 3_600_000); // older than the minute ring: in the hours only
    failure(31 * 86_400_000); // older than both: nowhere (it takes no newer slot's place)
    const m = activity.series('minute', ['test']).jails[0]!.failures;
    expect(m.slice(-6)).toEqual([1, 0, 0, 0, 0, 1]);
    expect(m.reduce((a, b) => a + b)).toBe(2);
    const h = activity.series('hour', ['test']).jails[0]!.failures;
    expect(h.slice(-2)).toEqual([1, 1]); // 09:55 and now
    expect(h.at(-26)).toBe(1);
    expect(h.reduce((a, b) => a + b)).toBe(3);
    expect(m).toHaveLength(24 * 60);
    expect(h).toHaveLength(30 * 24);
  });

  it('keeps what it counted when the ban expires, is lifted, or the failures are purged', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 2, findtime: 600, bantime: 60 }, start: '2026-01-01T10:00:10Z' });
    const activity = new Activity(t.core, () => [t.jail]);
    t.push('auth failure from 192.0.2.30', 'auth failure from 192.0.2.30');
    await t.flush();
    const before = activity.series('minute', ['test']).jails[0]!;
    expect(before.bans.at(-1)).toBe(1);
    t.clock.advance(120_000); // the ban of a minute ends
    await t.flush();
    expect(t.unbans).toHaveLength(1);
    t.push('auth failure from 192.0.2.31', 'auth failure from 192.0.2.31');
    await t.flush();
    await t.jail.unban(parseIp('192.0.2.31')!);
    await t.flush();
    const after = activity.series('minute', ['test']).jails[0]!;
    expect(after.failures.slice(-3)).toEqual([2, 0, 2]);
    expect(after.bans.slice(-3)).toEqual([1, 0, 1]);
  });

  it('survives a restart through the store: saved every few minutes and at close, taken back at load', async () => {
    const store = new MemoryStore();
    await store.open();
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 2, findtime: 600, bantime: 3600 }, start: '2026-01-01T10:00:10Z' });
    const first = new Activity(
      t.core,
      () => [t.jail],
      () => store,
    );
    await first.load();
    t.push('auth failure from 192.0.2.40', 'auth failure from 192.0.2.40');
    await t.flush();
    t.clock.advance(ACTIVITY_SAVE_MS); // the timer saves
    await new Promise((r) => setImmediate(r));
    const saved = (await store.position(ACTIVITY_KEY)) as { version: number; jails: Record<string, { minutes: number[][] }> };
    expect(saved.version).toBe(1);
    expect(saved.jails.test!.minutes).toEqual([[Math.floor(Date.parse('2026-01-01T10:00:10Z') / 60_000), 2, 1]]);
    t.push('auth failure from 192.0.2.41');
    await first.close();

    // The next run: same store, a minute later; only what happens from now on is counted anew.
    t.clock.advance(60_000);
    const second = new Activity(
      t.core,
      () => [t.jail],
      () => store,
    );
    await second.load();
    const m = second.series('minute', ['test']).jails[0]!;
    expect(m.failures.slice(-7)).toEqual([2, 0, 0, 0, 0, 1, 0]);
    expect(m.bans.slice(-7)).toEqual([1, 0, 0, 0, 0, 0, 0]);
    // What the disk holds is checked: garbage and slots out of the ring are skipped.
    const third = new Activity(
      t.core,
      () => [t.jail],
      () => store,
    );
    third.importState({
      version: 1,
      jails: {
        test: {
          minutes: [
            [1, 2],
            ['x', 1, 1],
            [0, 5, 5],
            [Math.floor(t.clock.now() / 60_000) + 10, 9, 9],
          ],
          hours: 'no',
        },
      },
    });
    third.importState({ version: 2, jails: {} });
    third.importState(null);
    expect(third.series('minute', ['test']).jails[0]!.failures.every((n) => n === 0)).toBe(true);
    await second.close();
  });

  it('forgets the rings of a jail a reload removed', async () => {
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo' } });
    let running = [t.jail];
    const activity = new Activity(t.core, () => running);
    t.push('auth failure from 192.0.2.10');
    expect(activity.rules('test')).toHaveLength(1);
    running = [];
    await t.core.hooks.reload.promise();
    expect(activity.rules('test')).toEqual([]);
  });
});

function ban(id: string, jail: string, start: number, extra: Partial<Ban> = {}): Ban {
  return { jail, id, ip: parseIp(id) ?? undefined, start, end: start + 1000, count: 1, failures: 5, rule: 'failed', ...extra };
}

describe('listBans', () => {
  const jails = [
    { name: 'sshd', bans: () => [ban('203.0.113.10', 'sshd', 3), ban('203.0.113.9', 'sshd', 1, { end: null }), ban('2001:db8::5', 'sshd', 2)] },
    { name: 'nginx', bans: () => [ban('198.51.100.7', 'nginx', 4, { rule: 'auth', failures: 9 })] },
  ];
  const q = (over: Partial<BanQuery>): BanQuery => ({ q: '', jail: '', sort: 'start', order: 'desc', limit: 100, ...over });

  it('sorts by any column, addresses by their bytes (IPv4 first), a permanent ban last by end', () => {
    expect(listBans(jails, q({})).bans.map((b) => b.start)).toEqual([4, 3, 2, 1]);
    expect(listBans(jails, q({ sort: 'ip', order: 'asc' })).bans.map((b) => b.ip)).toEqual(['198.51.100.7', '203.0.113.9', '203.0.113.10', '2001:db8::5']);
    expect(listBans(jails, q({ sort: 'end', order: 'desc' })).bans[0]!.ip).toBe('203.0.113.9');
    expect(listBans(jails, q({ sort: 'failures' })).bans[0]!.ip).toBe('198.51.100.7');
  });

  it('searches the address, the jail and the rule; counts what matched of the total', () => {
    const p = listBans(jails, q({ q: '203.0.113.1' }));
    expect(p).toMatchObject({ total: 4, matched: 1 });
    expect(p.bans.map((b) => b.ip)).toEqual(['203.0.113.10']);
    expect(listBans(jails, q({ q: 'NGINX' })).matched).toBe(1);
    expect(listBans(jails, q({ q: 'auth' })).bans.map((b) => b.ip)).toEqual(['198.51.100.7']);
    expect(listBans(jails, q({ jail: 'sshd' })).total).toBe(3);
  });

  it('keeps only the best `limit` rows, the same as sorting them all', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ban(`192.0.2.${i % 250}`, 'x', (i * 7919) % 2000, { failures: (i * 31) % 97 }));
    const page = listBans([{ name: 'x', bans: () => many }], q({ sort: 'failures', limit: 25 }));
    const expected = [...many]
      .sort((a, b) => b.failures - a.failures)
      .slice(0, 25)
      .map((b) => b.failures);
    expect(page.bans.map((b) => b.failures)).toEqual(expected);
    expect(page.matched).toBe(2000);
    // As a tracker lists them (the newest last), the newest first.
    const inOrder = Array.from({ length: 3000 }, (_, i) => ban(`198.51.100.${i % 200}`, 'x', i));
    expect(listBans([{ name: 'x', bans: () => inOrder }], q({ limit: 5 })).bans.map((b) => b.start)).toEqual([2999, 2998, 2997, 2996, 2995]);
    expect(listBans([{ name: 'x', bans: () => inOrder }], q({ order: 'asc', limit: 3 })).bans.map((b) => b.start)).toEqual([0, 1, 2]);
  });
});

describe('topOffenders', () => {
  it('ranks addresses by ban count, jails and failures, and groups /24 and /64 ranges', () => {
    const jails = [
      {
        bans: () => [
          ban('203.0.113.5', 'sshd', 1, { count: 3 }),
          ban('203.0.113.6', 'sshd', 1),
          ban('2001:db8:1:2::a', 'sshd', 1),
          ban('2001:db8:1:2::b', 'sshd', 1),
        ],
      },
      { bans: () => [ban('203.0.113.6', 'nginx', 1), ban('198.51.100.1', 'nginx', 1)] },
    ];
    const r = topOffenders(jails, 10);
    expect(r.offenders.map((o) => o.ip).slice(0, 2)).toEqual(['203.0.113.5', '203.0.113.6']);
    expect(r.offenders[1]).toMatchObject({ jails: ['sshd', 'nginx'], failures: 10 });
    expect(r.ranges.slice(0, 2)).toEqual([
      { range: '2001:db8:1:2::/64', addresses: 2, jails: ['sshd'] },
      { range: '203.0.113.0/24', addresses: 2, jails: ['nginx', 'sshd'] },
    ]);
    expect(r).toMatchObject({ scanned: 6, partial: false });
    expect(topOffenders(jails, 10, 3)).toMatchObject({ scanned: 3, partial: true });
  });
});

describe('isLoopbackHost', () => {
  it('admits loopback names and addresses only', () => {
    for (const h of ['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '::1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['', 'evil.example', 'localhost.evil.example', '192.0.2.1', '0.0.0.0', '::']) expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('loadAssets', () => {
  it('reads the fixed list of the installed @f2b/dashboard, nothing else', async () => {
    const assets = await loadAssets(searchDirs([resolve(import.meta.dirname, '..')]));
    expect([...assets.keys()]).toEqual(expect.arrayContaining(['/', '/app.js', '/style.css', '/vendor/uPlot.iife.min.js', '/vendor/uPlot.min.css']));
    expect(assets.get('/')!.type).toBe('text/html; charset=utf-8');
    expect(assets.get('/')!.body.toString()).toContain('<script type="module" src="app.js">');
    expect([...assets.keys()].every((p) => !p.includes('..') && !p.endsWith('.json'))).toBe(true);
  });

  it('names the package to install when it is not there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-no-dashboard-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      const err = await rejected(loadAssets([join(dir, 'node_modules')]));
      expect(err.code).toBe('F2B_ERR_DASHBOARD_PAGE');
      expect(err.fix).toContain('npm i @f2b/dashboard');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config dashboard', () => {
  const base = { state: { type: 'memory' }, socket: false as const, jails: {} };
  it('is off unless asked for; {} listens on loopback port 9192; an address is host:port', () => {
    expect(resolveConfig(base).dashboard).toBeNull();
    expect(resolveConfig({ ...base, dashboard: {} }).dashboard).toEqual({ host: '127.0.0.1', port: 9192 });
    expect(resolveConfig({ ...base, dashboard: { listen: '[::1]:8080' } }).dashboard).toEqual({ host: '::1', port: 8080 });
    expect(() => resolveConfig({ ...base, dashboard: { listen: 'localhost' } })).toThrow(/dashboard\.listen/);
  });
});
