/**
 * Range bans (a jail's `range:` option) at the fake Cloudflare: a jail with this action bans three
 * addresses of a range and then the range, which becomes one `ip_range` access rule next to the
 * three `ip` rules; lifting it deletes that rule only. Cloudflare takes IPv4 /16 and /24 and IPv6
 * /32, /48 and /64 as ranges: a range of another size is reported (F2B_ERR_CF_TARGET) and made no
 * rule, while its addresses stay banned at the edge.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestCore, type TestCore } from '@f2b/core/testing';
import type { F2bPlugin, JailInput } from '@f2b/core';
import cloudflareAction from '../src/index.js';
import type { FakeCloudflare } from '../src/testing/index.js';
import { baseOptions, startFake, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
const demo: F2bPlugin = {
  meta: { name: 'f2b-filter-range-demo', kind: 'filter' },
  apply: (api) => api.registerFilter({ id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] }),
};

let fake: FakeCloudflare | undefined;
let t: TestCore | undefined;
afterEach(async () => {
  await t?.jail.stop();
  await fake?.stop();
  t = undefined;
  fake = undefined;
});

async function jail(range: JailInput['range']) {
  const s = await startFake();
  fake = s.fake;
  t = await createTestCore({
    plugins: [demo, cloudflareAction()],
    jail: {
      filter: 'demo',
      maxretry: 1,
      bantime: '1h',
      range,
      actions: [{ type: 'cloudflare', ...baseOptions(s.apiBase, { zoneId: ZONE, ruleMode: 'block' }) }],
    },
  });
  const errors: { code?: string }[] = [];
  t.core.hooks.error.tap('test', (e) => {
    errors.push(e as { code?: string });
  });
  const rules = () =>
    fake!.accessRules
      .rules(SCOPE)
      .map((r) => `${r.configuration.target} ${r.configuration.value}`)
      .sort();
  return { t, rules, errors };
}

describe('range bans at Cloudflare', () => {
  it('an IPv4 /24 and an IPv6 /64 become ip_range rules; lifting one deletes only its rule', async () => {
    const { t, rules, errors } = await jail({ distinct: 3, within: '1h', bantime: '1d' });
    t.push('fail from 198.51.100.1', 'fail from 198.51.100.2', 'fail from 198.51.100.3');
    t.push('fail from 2001:db8:9:1::1', 'fail from 2001:db8:9:1::2', 'fail from 2001:db8:9:1::3');
    await t.flush();
    expect(rules()).toEqual([
      'ip 198.51.100.1',
      'ip 198.51.100.2',
      'ip 198.51.100.3',
      'ip6 2001:db8:9:1::1',
      'ip6 2001:db8:9:1::2',
      'ip6 2001:db8:9:1::3',
      'ip_range 198.51.100.0/24',
      'ip_range 2001:db8:9:1::/64',
    ]);
    const note = fake!.accessRules.rules(SCOPE).find((r) => r.configuration.value === '198.51.100.0/24')!.notes;
    expect(Date.parse(/until (\S+)$/.exec(note)![1]!) - t.clock.now()).toBe(86_400_000);
    expect(t.jail.unban('198.51.100.0/24')).toBe(true);
    await t.flush();
    expect(rules()).not.toContain('ip_range 198.51.100.0/24');
    expect(rules()).toContain('ip 198.51.100.1');
    expect(errors).toEqual([]);
  });

  it('a range Cloudflare does not take (/20) is reported and made no rule; its addresses stay banned', async () => {
    const { t, rules, errors } = await jail({ ipv4: 20, distinct: 2 });
    t.push('fail from 198.51.96.1', 'fail from 198.51.100.2');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['198.51.96.1', '198.51.100.2', '198.51.96.0/20']);
    expect(rules()).toEqual(['ip 198.51.100.2', 'ip 198.51.96.1']);
    expect(errors.map((e) => e.code)).toContain('F2B_ERR_CF_TARGET');
  });
});
