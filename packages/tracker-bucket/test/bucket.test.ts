/**
 * The leaky bucket, on the fake clock: bursts, sustained rates, distinct values, forgiveness on a
 * success, the quiet period, the bound on memory, and the plugin in a jail (options at key paths).
 */
import { describe, expect, it } from 'vitest';
import { parseIp, type IpAddress } from '@f2b/kit';
import type { AddressFailure, F2bPlugin, FilterDefinition, TrackerContext, Unban } from '@f2b/core';
import { FakeClock, createTestCore } from '@f2b/core/testing';
import bucketTracker, { BucketTracker, type BucketSettings } from '../src/index.js';

const ip = (text: string): IpAddress => parseIp(text)!;
const A = ip('192.0.2.10');

function tracker(settings: Partial<BucketSettings> = {}, ctx: Partial<TrackerContext> = {}) {
  const clock = new FakeClock();
  const expired: Unban[] = [];
  const evicted: string[] = [];
  const t = new BucketTracker(
    { capacity: 4, leakspeed: 60, cancelOn: [], quiet: 0, ...settings },
    {
      jail: 'sshd',
      findtime: 600,
      maxretry: 5,
      bantime: 600,
      clock,
      onExpire: (u) => expired.push(u),
      onEvict: (id) => evicted.push(id),
      ...ctx,
    },
  );
  const fail = (address: IpAddress = A, extra: Partial<AddressFailure> = {}) =>
    t.add({
      id: address.text,
      ip: address,
      time: clock.now(),
      attempts: 1,
      rule: 'failed-password',
      captures: {},
      lines: [`fail from ${address.text}`],
      filter: 'demo',
      ...extra,
    });
  return { t, clock, fail, expired, evicted };
}

describe('the leaky bucket', () => {
  it('a burst of capacity + 1 failures bans at the last one', () => {
    const { fail } = tracker();
    for (let i = 1; i <= 4; i++) expect(fail()).toEqual({ kind: 'counted', attempts: i });
    const out = fail();
    expect(out.kind).toBe('banned');
    if (out.kind !== 'banned') return;
    expect(out.ban).toMatchObject({ id: '192.0.2.10', failures: 5, count: 1, rule: 'failed-password' });
    expect(out.ban.end! - out.ban.start).toBe(600_000);
    expect(out.ban.lines).toHaveLength(5);
    expect(fail()).toEqual({ kind: 'dropped', reason: 'banned' });
  });

  it('one failure per leakspeed never bans; a little faster does, however slow', () => {
    const steady = tracker();
    for (let i = 0; i < 100; i++) {
      expect(steady.fail().kind).toBe('counted');
      steady.clock.advance(60_000);
    }
    // One failure every 50 s against one unit leaking every 60 s: each adds 1/6 net, so after the
    // k-th failure the bucket holds 1 + (k − 1)/6 and overflows 4 at the 20th, 15 min 50 s in — where
    // a 10-minute findtime never sees more than 12 of them.
    const slow = tracker();
    let n = 0;
    for (; n < 100; n++) {
      if (slow.fail().kind === 'banned') break;
      slow.clock.advance(50_000);
    }
    expect(n + 1).toBe(20);
  });

  it('leaks continuously: two minutes after four failures two are left', () => {
    const { t, clock, fail } = tracker();
    for (let i = 0; i < 4; i++) fail();
    clock.advance(120_000);
    expect(t.levelOf(A)).toBe(2);
    expect(fail()).toEqual({ kind: 'counted', attempts: 3 });
  });

  it('a failure standing for several attempts pours them all', () => {
    const { fail } = tracker();
    expect(fail(A, { attempts: 3 })).toEqual({ kind: 'counted', attempts: 3 });
    expect(fail(A, { attempts: 2 }).kind).toBe('banned');
  });

  it('distinct: only new values of the capture count, failures without it not at all', () => {
    const { t, fail } = tracker({ capacity: 2, distinct: 'user' });
    expect(fail(A, { captures: { user: 'root' } })).toEqual({ kind: 'counted', attempts: 1 });
    for (let i = 0; i < 10; i++) expect(fail(A, { captures: { user: 'root' } })).toEqual({ kind: 'dropped', reason: 'no-attempts' });
    expect(fail(A)).toEqual({ kind: 'dropped', reason: 'no-attempts' });
    expect(fail(A, { captures: { user: 'admin' } })).toEqual({ kind: 'counted', attempts: 2 });
    expect(t.levelOf(A)).toBe(2);
    expect(fail(A, { captures: { user: 'oracle' } }).kind).toBe('banned');
  });

  it('cancelOn: a success of one of its rules empties the bucket; other rules and bans stay', () => {
    const { t, fail } = tracker({ cancelOn: ['accepted'] });
    const success = (rule: string) => t.succeeded({ id: A.text, ip: A, time: 0, rule, captures: {}, filter: 'demo' });
    for (let i = 0; i < 4; i++) fail();
    success('other');
    expect(t.levelOf(A)).toBe(4);
    success('accepted');
    expect(t.levelOf(A)).toBe(0);
    expect(fail()).toEqual({ kind: 'counted', attempts: 1 });
    for (let i = 0; i < 4; i++) fail();
    expect(t.banOf(A)).toBeDefined();
    success('accepted');
    expect(t.banOf(A)).toBeDefined();
  });

  it('quiet: after a ban lifted by hand, failures are not counted until the quiet period ends', () => {
    const { t, clock, fail } = tracker({ capacity: 0, quiet: 120 });
    expect(fail().kind).toBe('banned');
    expect(t.unban(A)).toMatchObject({ id: A.text, reason: 'manual' });
    clock.advance(60_000);
    expect(fail()).toEqual({ kind: 'dropped', reason: 'banned' });
    clock.advance(60_000);
    expect(fail().kind).toBe('banned');
  });

  it('bans end on the clock and escalate like the default tracker', () => {
    const { t, clock, fail, expired } = tracker({ capacity: 0 }, { increment: { factor: 2, maxtime: 86400, rndtime: 0, overalljails: false } });
    const first = fail();
    clock.advance(600_000);
    expect(expired.map((u) => [u.id, u.reason])).toEqual([[A.text, 'expired']]);
    expect(t.bannedCount()).toBe(0);
    const second = fail();
    if (first.kind !== 'banned' || second.kind !== 'banned') throw new Error('expected two bans');
    expect(second.ban.count).toBe(2);
    expect(second.ban.end! - second.ban.start).toBe(1_200_000);
  });

  it('failures older than a full bucket takes to drain are stale (a replayed old log)', () => {
    const { clock, fail } = tracker();
    expect(fail(A, { time: clock.now() - 4 * 60_000 - 1 })).toEqual({ kind: 'dropped', reason: 'stale' });
    expect(fail(A, { time: clock.now() - 4 * 60_000 }).kind).toBe('counted');
  });

  it('memory is bounded by maxTracked: the bucket poured into least recently goes, never a ban', () => {
    const { t, fail, evicted } = tracker({ capacity: 1 }, { maxTracked: 3 });
    fail(ip('192.0.2.1'));
    fail(ip('192.0.2.1'));
    for (const n of [2, 3, 4, 5]) fail(ip(`192.0.2.${n}`));
    expect(t.bannedCount()).toBe(1);
    expect(evicted).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(t.failingSummary(10)).toEqual({
      count: 2,
      top: [
        { id: '192.0.2.4', attempts: 1 },
        { id: '192.0.2.5', attempts: 1 },
      ],
    });
  });

  it('a sweep forgets drained buckets; status lists the fullest first', () => {
    const { t, clock, fail } = tracker();
    fail(ip('192.0.2.1'));
    clock.advance(30_000);
    fail(ip('192.0.2.2'));
    fail(ip('192.0.2.2'));
    expect(t.failingSummary(1).top).toEqual([{ id: '192.0.2.2', attempts: 2 }]);
    clock.advance(40_000);
    t.sweep();
    expect([...t.failingEntries()].map((e) => e.id)).toEqual(['192.0.2.2']);
    clock.advance(4 * 60_000);
    t.sweep();
    expect(t.failingSummary(10).count).toBe(0);
  });

  it('failures restored from the store are poured back without banning', () => {
    const { t, clock, fail } = tracker();
    t.restoreFailure(A, clock.now() - 1000, 4);
    t.restoreFailure(ip('192.0.2.99'), clock.now() - 3_600_000, 4);
    expect(t.failingSummary(10).count).toBe(1);
    expect(fail().kind).toBe('banned');
  });
});

const demo: FilterDefinition = {
  id: 'demo',
  rules: [
    { id: 'fail', pattern: '^fail user (?P<user>\\S+) from <HOST>$' },
    { id: 'accepted', pattern: '^accepted user (?P<user>\\S+) from <HOST>$', kind: 'info', success: true },
  ],
};
const demoFilter: F2bPlugin = { meta: { name: 'f2b-filter-demo', kind: 'filter' }, apply: (api) => api.registerFilter(demo) };

describe('the bucket tracker in a jail', () => {
  it('defaults from the jail: capacity maxretry − 1, leakspeed findtime ÷ maxretry', async () => {
    const t = await createTestCore({ plugins: [demoFilter, bucketTracker()], jail: { filter: 'demo', maxretry: 3, findtime: '3m', tracker: 'bucket' } });
    t.push('fail user a from 192.0.2.7', 'fail user a from 192.0.2.7');
    t.clock.advance(60_000);
    t.push('fail user a from 192.0.2.7');
    await t.flush();
    expect(t.bans).toEqual([]);
    t.push('fail user a from 192.0.2.7');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['192.0.2.7']);
  });

  it("a filter's success rule reaches the tracker through the jail: cancelOn forgives", async () => {
    const t = await createTestCore({
      plugins: [demoFilter, bucketTracker()],
      jail: { filter: 'demo', tracker: { type: 'bucket', capacity: 2, leakspeed: '1h', distinct: 'user', cancelOn: ['accepted'] } },
    });
    t.push('fail user root from 192.0.2.7', 'fail user admin from 192.0.2.7', 'accepted user admin from 192.0.2.7');
    t.push('fail user guest from 192.0.2.7', 'fail user test from 192.0.2.7');
    await t.flush();
    expect(t.bans).toEqual([]);
    expect(t.jail.status().failing).toEqual([{ id: '192.0.2.7', attempts: 2 }]);
    // A success is no failure: it is neither counted nor matched as one.
    expect(t.jail.stats.failures).toBe(4);
    t.push('fail user oracle from 192.0.2.7');
    await t.flush();
    expect(t.bans.map((b) => [b.id, b.failures])).toEqual([['192.0.2.7', 3]]);
  });

  it("range escalation (the jail's) works with this tracker: it holds the range ban and ends it", async () => {
    const t = await createTestCore({
      plugins: [demoFilter, bucketTracker()],
      jail: { filter: 'demo', bantime: '10m', tracker: { type: 'bucket', capacity: 0 }, range: { distinct: 2, within: '1h', bantime: '30m' } },
    });
    t.push('fail user a from 198.51.100.1', 'fail user a from 198.51.100.2', 'fail user a from 198.51.100.3');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.0/24']);
    expect([...t.jail.bans()].map((b) => b.id)).toContain('198.51.100.0/24');
    t.clock.advance(30 * 60_000);
    await t.flush();
    expect(t.unbans.map((u) => [u.id, u.reason])).toContainEqual(['198.51.100.0/24', 'expired']);
    t.push('fail user a from 198.51.100.3');
    await t.flush();
    expect(t.bans.at(-1)!.id).toBe('198.51.100.3');
  });

  it('bad options name their key path', async () => {
    const opts = (tracker: Record<string, unknown>) =>
      createTestCore({ plugins: [demoFilter, bucketTracker()], jail: { filter: 'demo', tracker: { type: 'bucket', ...tracker } } }).catch((e: unknown) => e);
    expect(await opts({ capacity: -1 })).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.capacity' });
    expect(await opts({ cancelOn: 'accepted' })).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.cancelOn' });
    expect(await opts({ distinct: 'a b' })).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.distinct' });
    expect(await opts({ capacity: 3, leaks: '1m' })).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.leaks' });
    expect(await opts({ leakspeed: '0s' })).toMatchObject({ code: 'F2B_ERR_DURATION_INVALID', path: 'jails.test.tracker.leakspeed' });
    expect(await opts({ quiet: 'soon' })).toMatchObject({ code: 'F2B_ERR_DURATION_INVALID', path: 'jails.test.tracker.quiet' });
  });
});
