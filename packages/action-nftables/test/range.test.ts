/**
 * Range bans (a jail's `range:` option) reach the kernel as prefixes: a jail with this action, in a
 * fresh network namespace, bans three addresses of 198.51.100.0/24 and then the /24 itself; the
 * network's interval set holds the prefix and matches an address never banned on its own, while the
 * addresses stay in the plain set (no overlap between two sets) until their own end; lifting the
 * range leaves them. The same for an IPv6 /64. Skipped, with the reason printed, when not root or nft is missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createTestCore, type TestCore } from '@f2b/core/testing';
import type { F2bPlugin } from '@f2b/core';
import nftablesAction from '../src/index.js';
import { addNetns, delNetns, nftTry, nftUnavailable, setElements, uniqueName } from './netns.js';

const skip = nftUnavailable();
if (skip) console.log(`skipping @f2b/action-nftables range tests: ${skip}`);

const demo: F2bPlugin = {
  meta: { name: 'f2b-filter-range-demo', kind: 'filter' },
  apply: (api) => api.registerFilter({ id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] }),
};

describe.skipIf(skip !== null)('range bans in the nftables network sets (test network namespace)', () => {
  let ns: string;
  let table: string;
  let t: TestCore | undefined;

  beforeEach(() => {
    ns = uniqueName('range');
    table = `t${randomBytes(4).toString('hex')}`;
    addNetns(ns);
  });

  afterEach(async () => {
    await t?.jail.stop().catch(() => undefined);
    t = undefined;
    delNetns(ns);
  });

  const values = (set: string) =>
    setElements(ns, 'inet', table, set)
      .map((e) => e.value)
      .sort();
  /** The kernel's answer for one address: the element that matches it, or null. */
  const matchOf = (set: string, addr: string) => {
    const r = nftTry(ns, ['get', 'element', 'inet', table, set, `{ ${addr} }`]);
    return r.ok ? (/elements = \{ ([^ }]+)/.exec(r.stdout)?.[1] ?? null) : null;
  };

  it('bans the range as a prefix in the network set, covers its other addresses, and keeps the addresses when it ends', async () => {
    t = await createTestCore({
      plugins: [demo, nftablesAction()],
      jail: {
        filter: 'demo',
        maxretry: 1,
        bantime: '1h',
        range: { ipv4: 24, ipv6: 64, distinct: 3, within: '1h', bantime: '1d' },
        actions: [{ type: 'nftables', netns: ns, table, checkInterval: 0, monitor: false }],
      },
    });
    t.push('fail from 198.51.100.1', 'fail from 198.51.100.2');
    await t.flush();
    expect(values('f2b_test_v4')).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(values('f2b_test_v4_net')).toEqual([]);
    expect(matchOf('f2b_test_v4_net', '198.51.100.99')).toBeNull();

    t.push('fail from 198.51.100.3', 'fail from 2001:db8:7:8::1', 'fail from 2001:db8:7:8::2', 'fail from 2001:db8:7:8::3');
    await t.flush();
    expect(values('f2b_test_v4_net')).toEqual(['198.51.100.0/24']);
    expect(values('f2b_test_v6_net')).toEqual(['2001:db8:7:8::/64']);
    expect(values('f2b_test_v4')).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(values('f2b_test_v6')).toEqual(['2001:db8:7:8::1', '2001:db8:7:8::2', '2001:db8:7:8::3']);
    expect(matchOf('f2b_test_v4_net', '198.51.100.99')).toBe('198.51.100.0/24');
    expect(matchOf('f2b_test_v6_net', '2001:db8:7:8:abcd::9')).toBe('2001:db8:7:8::/64');
    // The range's timeout is its own bantime (1 day), not the addresses' hour.
    const range = setElements(ns, 'inet', table, 'f2b_test_v4_net')[0]!;
    expect(range.timeout).toBe(86_400);

    expect(t.jail.unban('198.51.100.0/24')).toBe(true);
    await t.flush();
    expect(values('f2b_test_v4_net')).toEqual([]);
    expect(values('f2b_test_v4')).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(matchOf('f2b_test_v4_net', '198.51.100.99')).toBeNull();
    expect(values('f2b_test_v6_net')).toEqual(['2001:db8:7:8::/64']);
  });
});
