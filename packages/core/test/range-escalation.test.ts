/**
 * Range escalation (`range:`), on the fake clock: `distinct` addresses of one range banned within
 * `within` ban the range (one CIDR ban), whatever the tracker; addresses inside it are not counted
 * again; it ends on its own bantime or by hand; a range holding an ignored address is never banned.
 */
import { describe, expect, it } from 'vitest';
import { Core } from '../src/core.js';
import { Jail } from '../src/jail.js';
import { resolveConfig, type JailInput } from '../src/config.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { MemoryStore } from '../src/store.js';
import { overlaps, RangeEscalation } from '../src/range-escalation.js';
import { parseIp, tryParseCidr } from '../src/ip.js';
import type { Ban, Unban } from '../src/types.js';
import type { LogLevel } from '../src/logger.js';

const demo = { id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] };

async function jailWith(input: Omit<JailInput, 'source'>, opts: { store?: MemoryStore; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const logs: { level: LogLevel; msg: string }[] = [];
  const core = new Core({
    clock,
    logLevel: 'debug',
    logSink: (level, _n, msg) => {
      logs.push({ level, msg });
    },
  });
  const actioned: string[] = [];
  core.use({
    meta: { name: 'f2b:range-test' },
    apply(api) {
      api.registerFilter(demo);
      api.registerSource({ type: 'memory', create: () => ({ start: async () => {}, stop: async () => {} }) });
      api.registerAction({
        type: 'record',
        create: () => ({
          ban: async (bans) => {
            for (const b of bans) actioned.push(`+${b.id}`);
          },
          unban: async (unbans) => {
            for (const u of unbans) actioned.push(`-${u.id}`);
          },
        }),
      });
    },
  });
  const config = resolveConfig({
    jails: { web: { filter: 'demo', actions: ['record'], maxretry: 1, bantime: '10m', ignoreself: false, ...input, source: { type: 'memory' } } },
  }).jails[0]!;
  const jail = new Jail(core, config, { store: opts.store });
  const bans: Ban[] = [];
  const unbans: Unban[] = [];
  core.hooks.ban.tapPromise('t', async (b) => {
    bans.push(b);
  });
  core.hooks.unban.tapPromise('t', async (u) => {
    unbans.push(u);
  });
  await jail.start();
  const fail = async (...ips: string[]) => {
    jail.lines(
      ips.map((ip) => Buffer.from(`fail from ${ip}`)),
      'memory',
    );
    await jail.flush();
  };
  return { core, clock, jail, bans, unbans, logs, actioned, fail };
}

const RANGE = { ipv4: 24, ipv6: 64, distinct: 3, within: '1h', bantime: '1d' };

describe('range escalation', () => {
  it('the distinct-th address of a /24 banned within `within` bans the range, with the bans that caused it', async () => {
    const t = await jailWith({ range: RANGE });
    await t.fail('198.51.100.1');
    t.clock.advance(20 * 60_000);
    await t.fail('198.51.100.2', '198.51.100.2');
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.1', '198.51.100.2']);
    t.clock.advance(20 * 60_000);
    await t.fail('198.51.100.77');
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.77', '198.51.100.0/24']);
    const range = t.bans[3]!;
    expect(range).toMatchObject({ rule: 'range', failures: 3, count: 1, jail: 'web' });
    expect(range.end! - range.start).toBe(86_400_000);
    expect(range.lines).toEqual([
      '198.51.100.1 banned 2024-01-15T12:00:00.000Z (fail)',
      '198.51.100.2 banned 2024-01-15T12:20:00.000Z (fail)',
      '198.51.100.77 banned 2024-01-15T12:40:00.000Z (fail)',
    ]);
    expect(t.actioned).toContain('+198.51.100.0/24');
    expect(t.jail.networkBanOf('198.51.100.200')).toBe(range);
    expect(t.jail.networkBanOf('198.51.100.0/24')).toBe(range);
    expect(t.jail.status().banned).toContain('198.51.100.0/24');
  });

  it('bans spread wider than `within` do not, nor addresses of different ranges', async () => {
    const t = await jailWith({ range: RANGE });
    await t.fail('198.51.100.1', '198.51.100.2');
    t.clock.advance(61 * 60_000);
    await t.fail('198.51.100.3', '203.0.113.4', '203.0.113.5');
    expect(t.bans.map((b) => b.id)).not.toContain('198.51.100.0/24');
    expect(t.bans.map((b) => b.id)).not.toContain('203.0.113.0/24');
    await t.fail('198.51.100.4');
    expect(t.bans.map((b) => b.id)).not.toContain('198.51.100.0/24');
    await t.fail('198.51.100.5');
    expect(t.bans.map((b) => b.id)).toContain('198.51.100.0/24');
  });

  it('IPv6 ranges are /ipv6 networks', async () => {
    const t = await jailWith({ range: RANGE });
    await t.fail('2001:db8:5:6::1', '2001:db8:5:6:aaaa::2', '2001:db8:5:7::3');
    expect(t.bans.map((b) => b.id)).not.toContain('2001:db8:5:6::/64');
    await t.fail('2001:db8:5:6:ffff:ffff:ffff:ffff');
    expect(t.bans.at(-1)).toMatchObject({ id: '2001:db8:5:6::/64', rule: 'range' });
  });

  it('failures inside a banned range are not counted; the range ends on its bantime, then they count again', async () => {
    const t = await jailWith({ range: { ...RANGE, bantime: '2h' } });
    await t.fail('198.51.100.1', '198.51.100.2', '198.51.100.3');
    const before = t.bans.length;
    await t.fail('198.51.100.50', '198.51.100.51');
    expect(t.bans).toHaveLength(before);
    t.clock.advance(2 * 3_600_000);
    await t.jail.flush();
    expect(t.unbans.map((u) => u.id)).toContain('198.51.100.0/24');
    expect(t.actioned).toContain('-198.51.100.0/24');
    expect(t.jail.networkBanOf('198.51.100.50')).toBeUndefined();
    await t.fail('198.51.100.50');
    expect(t.bans.at(-1)!.id).toBe('198.51.100.50');
  });

  it('a range ban is lifted by hand with its CIDR', async () => {
    const t = await jailWith({ range: RANGE });
    await t.fail('198.51.100.1', '198.51.100.2', '198.51.100.3');
    expect(t.jail.unban('198.51.100.0/24')).toBe(true);
    await t.jail.flush();
    expect(t.unbans.map((u) => [u.id, u.reason])).toEqual([['198.51.100.0/24', 'manual']]);
    expect(t.jail.networkBanOf('198.51.100.9')).toBeUndefined();
  });

  it('ignoreip inside the range prevents the range ban (said once); its addresses stay banned one by one', async () => {
    const t = await jailWith({ range: RANGE, ignoreip: ['198.51.100.200', '203.0.113.0/25'] });
    await t.fail('198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4');
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']);
    const notices = t.logs.filter((l) => /198\.51\.100\.0\/24 .*not banned: it holds an address of ignoreip/.test(l.msg));
    expect(notices).toHaveLength(1);
    expect(notices[0]!.level).toBe('notice');
    // An ignored network overlapping the range counts too (a /25 inside the /24).
    await t.fail('203.0.113.200', '203.0.113.201', '203.0.113.202');
    expect(t.bans.map((b) => b.id)).not.toContain('203.0.113.0/24');
  });

  it('works the same for bans by hand', async () => {
    const t = await jailWith({ range: RANGE });
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) t.jail.ban(ip);
    await t.jail.flush();
    expect(t.bans.at(-1)).toMatchObject({
      id: '198.51.100.0/24',
      rule: 'range',
      lines: [expect.stringMatching(/^198\.51\.100\.1 banned .* \(manual\)$/), expect.any(String), expect.any(String)],
    });
  });

  it('ipv4: false leaves IPv4 alone; without range: nothing of this happens', async () => {
    const v6only = await jailWith({ range: { ...RANGE, ipv4: false } });
    await v6only.fail('198.51.100.1', '198.51.100.2', '198.51.100.3');
    expect(v6only.bans).toHaveLength(3);
    const off = await jailWith({});
    await off.fail('198.51.100.1', '198.51.100.2', '198.51.100.3');
    expect(off.bans).toHaveLength(3);
  });

  it('a restart keeps the range ban (its addresses stay covered) and the recent bans of ranges', async () => {
    const store = new MemoryStore();
    const first = await jailWith({ range: RANGE }, { store });
    await first.fail('198.51.100.1', '198.51.100.2', '198.51.100.3', '203.0.113.1', '203.0.113.2');
    await first.jail.stop();
    const bans = await store.activeBans(first.clock.now());
    const second = await jailWith({ range: RANGE }, { store, clock: first.clock });
    await second.jail.restore({ bans: bans.filter((b) => b.jail === 'web') });
    expect(second.jail.networkBanOf('198.51.100.9')?.id).toBe('198.51.100.0/24');
    await second.fail('198.51.100.9', '203.0.113.3');
    expect(second.bans.map((b) => b.id)).toEqual(['203.0.113.3', '203.0.113.0/24']);
  });
});

describe('range escalation parts', () => {
  it('overlaps: containment either way, never across families', () => {
    const c = (t: string) => tryParseCidr(t)!;
    expect(overlaps(c('198.51.100.0/24'), c('198.51.100.200'))).toBe(true);
    expect(overlaps(c('198.51.100.0/24'), c('198.51.0.0/16'))).toBe(true);
    expect(overlaps(c('198.51.100.0/24'), c('198.51.101.0/24'))).toBe(false);
    expect(overlaps(c('2001:db8::/64'), c('198.51.100.0/24'))).toBe(false);
  });

  it('keeps a refused range small however many of its addresses are banned', () => {
    const clock = new FakeClock();
    const r = new RangeEscalation({
      jail: 'j',
      clock,
      config: { ipv4: 24, ipv6: 64, distinct: 3, within: 3600, bantime: 60 },
      never: [{ cidr: tryParseCidr('198.51.100.255')!, reason: 'ignoreip' }],
    });
    for (let i = 1; i <= 200; i++) {
      const ip = parseIp(`198.51.100.${i}`)!;
      expect(r.banned({ jail: 'j', id: ip.text, ip, start: clock.now(), end: null, count: 1, failures: 1 })).toBeNull();
    }
    expect(r.tracked).toBe(1);
    clock.advance(3_601_000);
    r.sweep();
    expect(r.tracked).toBe(0);
  });

  it('config: key paths for bad values, defaults for the rest', () => {
    const jail = (range: unknown) => () => resolveConfig({ jails: { a: { source: '/x', range } as JailInput } });
    expect(jail({ distinct: 1 })).toThrow(/"jails\.a\.range\.distinct"/);
    expect(jail({ ipv4: 33 })).toThrow(/"jails\.a\.range\.ipv4"/);
    const errorOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(errorOf(jail({ within: 'soon' }))).toMatchObject({ code: 'F2B_ERR_DURATION_INVALID', path: 'jails.a.range.within' });
    expect(errorOf(jail({ bantime: '0s' }))).toMatchObject({ code: 'F2B_ERR_DURATION_INVALID', path: 'jails.a.range.bantime' });
    expect(errorOf(jail({ distinct: 1 }))).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', path: 'jails.a.range.distinct' });
    expect(jail({ cidr: 24 })).toThrow(/"jails\.a\.range\.cidr"/);
    expect(resolveConfig({ jails: { a: { source: '/x', bantime: '2h', range: {} } } }).jails[0]!.range).toEqual({
      ipv4: 24,
      ipv6: 64,
      distinct: 5,
      within: 3600,
      bantime: 7200,
    });
    expect(resolveConfig({ defaults: { range: { distinct: 4 } }, jails: { a: { source: '/x', range: false } } }).jails[0]!.range).toBeUndefined();
    expect(resolveConfig({ jails: { a: { source: '/x', range: { ipv6: false, bantime: -1 } } } }).jails[0]!.range).toMatchObject({ ipv6: null, bantime: -1 });
    expect(resolveConfig({ jails: { a: { source: '/x', range: true } } }).jails[0]!.range).toMatchObject({ ipv4: 24, distinct: 5 });
    expect(jail('yes')).toThrow(/"jails\.a\.range"/);
  });
});
