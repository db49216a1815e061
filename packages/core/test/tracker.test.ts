import { describe, it, expect } from 'vitest';
import { DefaultTracker } from '../src/tracker.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { parseIp } from '../src/ip.js';
import type { Ban, Failure, Unban } from '../src/types.js';

const ip = (text: string) => parseIp(text)!;

const START = Date.UTC(2024, 0, 15, 12, 0, 0);
const S = 1000;

function setup(opts: { findtime?: number; maxretry?: number; bantime?: number } = {}) {
  const clock = new FakeClock(START);
  const bans: Ban[] = [];
  const unbans: Unban[] = [];
  const t = new DefaultTracker({
    jail: 'sshd',
    findtime: opts.findtime ?? 600,
    maxretry: opts.maxretry ?? 3,
    bantime: opts.bantime ?? 600,
    clock,
    onExpire: (u) => unbans.push(u),
  });
  /** The tracker as a jail drives it: bans come back from the calls, unbans from the calls and expiry. */
  const tracker = {
    ban: (id: string, now: number, failures: number, rule?: string) => {
      const b = t.ban(ip(id), now, failures, rule);
      bans.push(b);
      return b;
    },
    unban: (id: string) => {
      const u = t.unban(ip(id));
      if (u) unbans.push(u);
      return u !== null;
    },
    restore: (b: Ban) => t.restore({ ...b, ip: ip(b.id) }),
    isBanned: (id: string) => t.banOf(ip(id)) !== undefined,
    activeBans: () => [...t.bans()],
    failing: () => t.failing(),
    dispose: () => t.dispose(),
  };
  /** A failure of `id` at the clock's current time (or `time`): the ban it caused, or null. */
  const fail = (id: string, extra: Partial<Failure> = {}): Ban | null => {
    const outcome = t.add({
      id,
      ip: ip(id),
      time: clock.now(),
      attempts: 1,
      rule: 'failed-password',
      captures: {},
      lines: [`line for ${id}`],
      filter: 'sshd',
      ...extra,
    });
    if (outcome.kind !== 'banned') return null;
    bans.push(outcome.ban);
    return outcome.ban;
  };
  return { clock, tracker, bans, unbans, fail, t };
}

describe('Tracker: counting failures', () => {
  it('the ban record holds the lines of the failures in the window, not of expired ones', () => {
    const { clock, fail } = setup({ maxretry: 2, findtime: 60 });
    fail('192.0.2.9', { lines: ['old line'] });
    clock.advance(120 * S); // the first failure left the window
    fail('192.0.2.9', { lines: ['second'] });
    clock.advance(S);
    const ban = fail('192.0.2.9', { lines: ['third'] });
    expect(ban!.lines).toEqual(['second', 'third']);
  });

  it('maxretry failures within findtime → exactly one ban, end = start + bantime', () => {
    const { clock, tracker, bans, fail } = setup({ maxretry: 3, bantime: 600 });
    expect(fail('192.0.2.1')).toBeNull();
    clock.advance(10 * S);
    expect(fail('192.0.2.1')).toBeNull();
    clock.advance(10 * S);
    expect(bans).toHaveLength(0);
    const ban = fail('192.0.2.1');
    expect(ban).not.toBeNull();
    expect(bans).toEqual([ban]);
    expect(ban).toMatchObject({
      jail: 'sshd',
      id: '192.0.2.1',
      start: START + 20 * S,
      end: START + 20 * S + 600 * S,
      count: 1,
      failures: 3,
      rule: 'failed-password',
    });
    // The ban record keeps the lines of every failure in the window (for `f2b banned`).
    expect(ban!.lines).toEqual(['line for 192.0.2.1', 'line for 192.0.2.1', 'line for 192.0.2.1']);
    expect(tracker.isBanned('192.0.2.1')).toBe(true);
    expect(tracker.activeBans()).toEqual([ban]);
  });

  it('failures of different ids are counted separately', () => {
    const { bans, fail } = setup({ maxretry: 2 });
    fail('192.0.2.1');
    fail('192.0.2.2');
    expect(bans).toHaveLength(0);
    fail('192.0.2.2');
    expect(bans.map((b) => b.id)).toEqual(['192.0.2.2']);
  });

  it('failures spread wider than findtime never reach maxretry', () => {
    const { clock, bans, fail, tracker } = setup({ maxretry: 3, findtime: 60 });
    for (let i = 0; i < 10; i++) {
      fail('192.0.2.1');
      clock.advance(31 * S); // at most 2 failures inside any 60 s window
    }
    expect(bans).toHaveLength(0);
    expect(tracker.isBanned('192.0.2.1')).toBe(false);
  });

  it('the window slides: old failures drop out, recent ones still count', () => {
    const { clock, bans, fail } = setup({ maxretry: 3, findtime: 60 });
    fail('192.0.2.1'); // t=0, expires before t=61
    clock.advance(40 * S);
    fail('192.0.2.1'); // t=40
    clock.advance(21 * S);
    fail('192.0.2.1'); // t=61: window holds t=40 and t=61 only
    expect(bans).toHaveLength(0);
    clock.advance(10 * S);
    fail('192.0.2.1'); // t=71: t=40, 61, 71
    expect(bans).toHaveLength(1);
    expect(bans[0]!.failures).toBe(3);
  });

  it('attempts weigh: a failure standing for 3 attempts counts 3', () => {
    const { bans, fail } = setup({ maxretry: 5 });
    fail('192.0.2.1', { attempts: 3 });
    expect(bans).toHaveLength(0);
    fail('192.0.2.1', { attempts: 1 });
    expect(bans).toHaveLength(0);
    fail('192.0.2.1', { attempts: 1 });
    expect(bans).toHaveLength(1);
    expect(bans[0]!.failures).toBe(5);
  });

  it('one failure with attempts >= maxretry bans at once', () => {
    const { bans, fail } = setup({ maxretry: 3 });
    expect(fail('192.0.2.1', { attempts: 6 })).not.toBeNull();
    expect(bans[0]!.failures).toBe(6);
  });

  it('attempts 0 counts nothing', () => {
    const { bans, fail, tracker } = setup({ maxretry: 1 });
    for (let i = 0; i < 5; i++) expect(fail('192.0.2.1', { attempts: 0 })).toBeNull();
    expect(bans).toHaveLength(0);
    expect(tracker.failing().size).toBe(0);
  });

  it('a failure whose log time is older than now − findtime is ignored', () => {
    const { clock, bans, fail, tracker } = setup({ maxretry: 1, findtime: 600 });
    expect(fail('192.0.2.1', { time: clock.now() - 601 * S })).toBeNull();
    expect(bans).toHaveLength(0);
    expect(tracker.failing().size).toBe(0);
    // right at the edge of the window it still counts
    expect(fail('192.0.2.1', { time: clock.now() - 600 * S })).not.toBeNull();
  });

  it('old failures in a replayed log cannot add up to a ban', () => {
    const { clock, bans, fail } = setup({ maxretry: 3, findtime: 600 });
    for (let i = 0; i < 20; i++) fail('192.0.2.1', { time: clock.now() - 3600 * S + i * S });
    expect(bans).toHaveLength(0);
  });
});

describe('Tracker: bans and their end', () => {
  it('a ban expires after bantime: unban("expired") fires on the clock', () => {
    const { clock, tracker, unbans, fail } = setup({ maxretry: 1, bantime: 600 });
    fail('192.0.2.1');
    clock.advance(600 * S - 1);
    expect(unbans).toHaveLength(0);
    expect(tracker.isBanned('192.0.2.1')).toBe(true);
    clock.advance(1);
    expect(unbans).toEqual([{ jail: 'sshd', id: '192.0.2.1', time: START + 600 * S, reason: 'expired' }]);
    expect(tracker.isBanned('192.0.2.1')).toBe(false);
    expect(tracker.activeBans()).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('bantime -1 → end null, and the ban never expires', () => {
    const { clock, tracker, bans, unbans, fail } = setup({ maxretry: 1, bantime: -1 });
    fail('192.0.2.1');
    expect(bans[0]!.end).toBeNull();
    clock.advance(10 * 365 * 86400 * S);
    expect(unbans).toHaveLength(0);
    expect(tracker.isBanned('192.0.2.1')).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('no second ban while banned, and failures meanwhile do not carry over', () => {
    const { clock, bans, fail } = setup({ maxretry: 2, bantime: 600 });
    fail('192.0.2.1');
    fail('192.0.2.1');
    expect(bans).toHaveLength(1);
    for (let i = 0; i < 10; i++) expect(fail('192.0.2.1')).toBeNull();
    expect(bans).toHaveLength(1);
    clock.advance(600 * S);
    // after expiry the count starts from zero
    fail('192.0.2.1');
    expect(bans).toHaveLength(1);
    fail('192.0.2.1');
    expect(bans).toHaveLength(2);
  });

  it('manual unban: reported with reason manual, the expiry timer is cancelled', () => {
    const { clock, tracker, unbans, fail } = setup({ maxretry: 1 });
    fail('192.0.2.1');
    clock.advance(5 * S);
    expect(tracker.unban('192.0.2.1')).toBe(true);
    expect(unbans).toEqual([{ jail: 'sshd', id: '192.0.2.1', time: START + 5 * S, reason: 'manual' }]);
    expect(tracker.isBanned('192.0.2.1')).toBe(false);
    clock.advance(3600 * S);
    expect(unbans).toHaveLength(1); // no late "expired"
    expect(tracker.unban('192.0.2.1')).toBe(false);
    expect(tracker.unban('198.51.100.1')).toBe(false);
  });

  it('the ban count increments on the second ban of the same id', () => {
    const { clock, bans, fail } = setup({ maxretry: 1, bantime: 60 });
    fail('192.0.2.1');
    clock.advance(60 * S);
    fail('192.0.2.1');
    fail('192.0.2.2');
    expect(bans.map((b) => [b.id, b.count])).toEqual([
      ['192.0.2.1', 1],
      ['192.0.2.1', 2],
      ['192.0.2.2', 1],
    ]);
  });

  it('ban() by hand bans now with the jail bantime, and counts', () => {
    const { clock, tracker, bans } = setup({ bantime: 300 });
    const b = tracker.ban('203.0.113.5', clock.now(), 0, 'manual');
    expect(b).toMatchObject({ id: '203.0.113.5', start: START, end: START + 300 * S, count: 1, failures: 0, rule: 'manual' });
    expect(bans).toEqual([b]);
    expect(tracker.isBanned('203.0.113.5')).toBe(true);
  });

  it('restore() adopts a ban without announcing it, and arms its expiry', () => {
    const { clock, tracker, bans, unbans } = setup();
    tracker.restore({ jail: 'sshd', id: '192.0.2.9', start: START - 100 * S, end: START + 50 * S, count: 3, failures: 5 });
    expect(bans).toHaveLength(0);
    expect(tracker.isBanned('192.0.2.9')).toBe(true);
    clock.advance(50 * S);
    expect(unbans.map((u) => [u.id, u.reason])).toEqual([['192.0.2.9', 'expired']]);
  });

  it('a network ban (a CIDR recovered from a firewall) is adopted as it is, ends on time, and can be lifted by its id', () => {
    const { clock, t, unbans } = setup();
    t.restore({ jail: 'sshd', id: '2001:db8::/64', start: START, end: START + 10 * S, count: 1, failures: 0 });
    t.restore({ jail: 'sshd', id: '198.51.100.0/24', start: START, end: null, count: 1, failures: 0 });
    expect([...t.bans()].map((b) => b.id)).toEqual(['2001:db8::/64', '198.51.100.0/24']);
    clock.advance(10 * S);
    expect(unbans.map((u) => [u.id, u.reason])).toEqual([['2001:db8::/64', 'expired']]);
    expect(t.unban('198.51.100.0/24')).toMatchObject({ id: '198.51.100.0/24', reason: 'manual' });
    expect(t.bannedCount()).toBe(0);
  });

  it('a restored ban whose end has passed expires at the next tick', () => {
    const { clock, tracker, unbans } = setup();
    tracker.restore({ jail: 'sshd', id: '192.0.2.9', start: START - 100 * S, end: START - 1, count: 1, failures: 5 });
    clock.advance(0);
    expect(unbans.map((u) => u.id)).toEqual(['192.0.2.9']);
  });

  it('dispose() cancels expiry timers but keeps bans recorded', () => {
    const { clock, tracker, unbans, fail } = setup({ maxretry: 1 });
    fail('192.0.2.1');
    tracker.dispose();
    clock.advance(3600 * S);
    expect(unbans).toHaveLength(0);
    expect(tracker.activeBans().map((b) => b.id)).toEqual(['192.0.2.1']);
  });
});

describe('Tracker.add tells what it did', () => {
  it('counted (with the attempts now in the window), banned (with the ban), dropped (with the reason)', () => {
    const { t, clock } = setup({ maxretry: 2, findtime: 60 });
    const f = (id: string, extra: Partial<Failure> = {}) =>
      t.add({ id, ip: ip(id), time: clock.now(), attempts: 1, rule: 'r', captures: {}, lines: ['l'], filter: 'sshd', ...extra });
    expect(f('192.0.2.1')).toEqual({ kind: 'counted', attempts: 1 });
    const banned = f('192.0.2.1');
    expect(banned.kind).toBe('banned');
    if (banned.kind === 'banned') {
      expect(banned.ban).toMatchObject({ id: '192.0.2.1', failures: 2 });
      // The parsed address travels on the ban: the very object the failure carried.
      expect(banned.ban.ip.bytes).toEqual(new Uint8Array([192, 0, 2, 1]));
    }
    expect(f('192.0.2.1')).toEqual({ kind: 'dropped', reason: 'banned' });
    expect(f('192.0.2.2', { attempts: 0 })).toEqual({ kind: 'dropped', reason: 'no-attempts' });
    expect(f('192.0.2.2', { time: clock.now() - 61_000 })).toEqual({ kind: 'dropped', reason: 'stale' });
    expect(t.failing().size).toBe(0);
  });

  it('an IPv4 address and its IPv4-mapped IPv6 form are one source', () => {
    const { t, clock } = setup({ maxretry: 2 });
    const f = (id: string) => t.add({ id: ip(id).text, ip: ip(id), time: clock.now(), attempts: 1, rule: 'r', captures: {}, lines: [], filter: 'sshd' });
    expect(f('203.0.113.9').kind).toBe('counted');
    expect(f('::ffff:203.0.113.9').kind).toBe('banned');
  });
});

describe('Tracker.failing()', () => {
  it('reports current window totals per id and forgets expired ones', () => {
    const { clock, tracker, fail } = setup({ maxretry: 10, findtime: 60 });
    fail('192.0.2.1', { attempts: 2 });
    clock.advance(30 * S);
    fail('192.0.2.1');
    fail('192.0.2.2');
    expect(tracker.failing()).toEqual(
      new Map([
        ['192.0.2.1', 3],
        ['192.0.2.2', 1],
      ]),
    );
    clock.advance(31 * S); // the first failure of .1 (t=0) is now outside the 60 s window
    expect(tracker.failing()).toEqual(
      new Map([
        ['192.0.2.1', 1],
        ['192.0.2.2', 1],
      ]),
    );
    clock.advance(30 * S); // everything is gone
    expect(tracker.failing()).toEqual(new Map());
  });

  it('a ban clears the id from the failing list', () => {
    const { tracker, fail } = setup({ maxretry: 2 });
    fail('192.0.2.1');
    expect(tracker.failing().get('192.0.2.1')).toBe(1);
    fail('192.0.2.1');
    expect(tracker.failing().has('192.0.2.1')).toBe(false);
  });
});
