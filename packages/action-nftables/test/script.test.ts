/**
 * Script generation, without nft: what reaches `nft -f -` is built from parsed addresses and checked
 * names only.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPlugin, searchDirs } from '@f2b/core';
import { ActionTester } from '@f2b/core/testing';
import nftablesAction, {
  addText,
  banElement,
  banNetwork,
  classifyFailure,
  elementScript,
  elementText,
  locateErrors,
  nftCommand,
  normalizeOptions,
  parseBanId,
  parseListing,
  ruleSpecs,
  structurePlan,
  teardownPlan,
  timeoutSeconds,
  OWNED_TABLE_COMMENT,
  MAX_ELEMENT_TIMEOUT_S,
} from '../src/index.js';

const cfg = (o: Parameters<typeof normalizeOptions>[0] = {}, jail = 'sshd') => normalizeOptions(o, jail);

describe('ban ids → elements', () => {
  it('re-prints addresses canonically from their bytes', () => {
    expect(parseBanId('192.0.2.1')?.text).toBe('192.0.2.1/32');
    expect(parseBanId('::ffff:192.0.2.1')?.text).toBe('192.0.2.1/32');
    expect(parseBanId('2001:DB8:0:0:0:0:0:1')?.text).toBe('2001:db8::1/128');
    expect(parseBanId('[2001:db8::1]')?.text).toBe('2001:db8::1/128');
    expect(parseBanId('198.51.100.77/24')?.text).toBe('198.51.100.0/24');
    expect(elementText(parseBanId('192.0.2.1')!)).toBe('192.0.2.1');
    expect(elementText(parseBanId('2001:db8::/64')!)).toBe('2001:db8::/64');
  });

  it('rejects anything that is not an address before it can reach nft', () => {
    for (const bad of [
      '192.0.2.1; flush ruleset',
      '192.0.2.1\nflush ruleset',
      '192.0.2.1\n',
      ' 192.0.2.1',
      '192.0.2.1 }',
      '2001:db8::1 } ; delete table inet f2b',
      '2001:db8::1%eth0',
      'example.com',
      '',
      '1.2.3',
      '192.0.2.1/33',
      '"192.0.2.1"',
      '192.0.2.1 timeout 1s',
      '$(reboot)',
      '192.0.2.1/24/1',
      'deadbeef',
    ]) {
      expect(parseBanId(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseBanId(undefined)).toBeNull();
    expect(parseBanId(42)).toBeNull();
  });

  it('widens to the configured prefixes', () => {
    expect(banNetwork('2001:db8:1:2:3:4:5:6', { 4: 32, 6: 64 })?.text).toBe('2001:db8:1:2::/64');
    expect(banNetwork('192.0.2.77', { 4: 24, 6: 128 })?.text).toBe('192.0.2.0/24');
    expect(banNetwork('192.0.2.0/16', { 4: 24, 6: 128 })?.text).toBe('192.0.0.0/16'); // already wider: kept
    expect(banNetwork('192.0.2.7;', { 4: 24, 6: 128 })).toBeNull();
  });

  it('computes kernel timeouts in whole seconds, at least 1', () => {
    expect(timeoutSeconds(null, 0)).toBeNull();
    expect(timeoutSeconds(600_000, 0)).toBe(600);
    expect(timeoutSeconds(600_001, 0)).toBe(601);
    expect(timeoutSeconds(10, 0)).toBe(1);
    expect(timeoutSeconds(-5000, 0)).toBe(1);
  });

  it('writes no timeout for a ban longer than nft accepts, or whose end is not a number', () => {
    expect(timeoutSeconds(MAX_ELEMENT_TIMEOUT_S * 1000, 0)).toBe(MAX_ELEMENT_TIMEOUT_S);
    expect(timeoutSeconds(MAX_ELEMENT_TIMEOUT_S * 1000 + 1, 0)).toBeNull();
    expect(timeoutSeconds(200 * 7 * 86400 * 1000, 0)).toBeNull(); // 200w
    expect(timeoutSeconds(Number.POSITIVE_INFINITY, 0)).toBeNull();
    expect(timeoutSeconds(Number.NaN, 0)).toBeNull();
    expect(timeoutSeconds(1e300, 0)).toBeNull();
  });
});

describe('element scripts', () => {
  it('guards every delete with an add, refreshes by delete + add, one statement per set and kind', () => {
    const s = elementScript(cfg(), [
      { set: 'f2b_sshd_v4', remove: ['192.0.2.1'], add: [addText('192.0.2.1', 600), addText('198.51.100.7', null)] },
      { set: 'f2b_sshd_v6', remove: ['2001:db8::/64'], add: [] },
    ]);
    expect(s.script).toBe(
      [
        'add element inet f2b f2b_sshd_v4 { 192.0.2.1 }',
        'delete element inet f2b f2b_sshd_v4 { 192.0.2.1 }',
        'add element inet f2b f2b_sshd_v6 { 2001:db8::/64 }',
        'delete element inet f2b f2b_sshd_v6 { 2001:db8::/64 }',
        'add element inet f2b f2b_sshd_v4 { 192.0.2.1 timeout 600s, 198.51.100.7 }',
        '',
      ].join('\n'),
    );
  });

  it('rebuilds a set with flush + add in the same transaction', () => {
    const s = elementScript(cfg(), [{ set: 'f2b_sshd_v4', flush: true, remove: [], add: [addText('192.0.2.9', 5)] }]);
    expect(s.script).toBe('flush set inet f2b f2b_sshd_v4\nadd element inet f2b f2b_sshd_v4 { 192.0.2.9 timeout 5s }\n');
    expect(elementScript(cfg(), []).script).toBe('');
  });

  it('maps nft error locations back to elements', () => {
    const s = elementScript(cfg(), [{ set: 'f2b_sshd_v4', remove: [], add: [addText('192.0.2.1', 600), addText('198.51.100.0/24', 5)] }]);
    // nft: `add element inet f2b f2b_sshd_v4 { 192.0.2.1 timeout 600s, 198.51.100.0/24 timeout 5s }`
    const col = s.script.indexOf('198.51.100.0/24') + 1;
    const errs = locateErrors(`/dev/stdin:1:${col}-${col + 14}: Error: interval overlaps with an existing one\nadd element …\n   ^^^^\n`, s);
    expect(errs).toEqual([
      { line: 1, column: col, message: 'interval overlaps with an existing one', element: { set: 'f2b_sshd_v4', text: '198.51.100.0/24' } },
    ]);
    const c1 = s.script.indexOf('192.0.2.1') + 1;
    const first = locateErrors(`/dev/stdin:1:${c1}-${c1 + 8}: Error: Could not process rule: File exists`, s);
    expect(first[0]!.element).toEqual({ set: 'f2b_sshd_v4', text: '192.0.2.1' });
    expect(locateErrors('Error: something else', s)).toEqual([]);
  });

  it('parses plain addresses on the fast path with the same result as banNetwork', () => {
    for (const id of ['192.0.2.1', '2001:DB8::1', '::ffff:198.51.100.1', '192.0.2.0/24', '2001:db8:1:2::7']) {
      for (const prefix of [
        { 4: 32, 6: 128 },
        { 4: 24, 6: 64 },
      ]) {
        const net = banElement(id, prefix),
          c = banNetwork(id, prefix)!;
        expect(net).toMatchObject({ version: c.version, prefix: c.prefix, text: elementText(c) });
      }
    }
    expect(banElement('192.0.2.1;', { 4: 32, 6: 128 })).toBeNull();
  });
});

describe('options', () => {
  it('applies defaults: inet f2b, input hook at filter - 1, drop, all ports', () => {
    const c = cfg();
    expect(c).toMatchObject({
      family: 'inet',
      table: 'f2b',
      chain: 'f2b_sshd',
      ownChain: true,
      hook: 'input',
      priority: -1,
      sets: { 4: 'f2b_sshd_v4', 6: 'f2b_sshd_v6' },
      netSets: { 4: 'f2b_sshd_v4_net', 6: 'f2b_sshd_v6_net' },
      blocktype: 'drop',
      ports: null,
      protocols: null,
      prefix: { 4: 32, 6: 128 },
      interval: true,
      checkIntervalMs: 30_000,
      nftPath: 'nft',
    });
    expect(cfg({ priority: 'filter - 1' }).priority).toBe(-1);
    expect(cfg({ priority: 'raw+5' }).priority).toBe(-295);
    expect(cfg({ checkInterval: '1s', retryDelay: 0.5 }).checkIntervalMs).toBe(1000);
    expect(cfg({ family: 'ip' }).sets).toEqual({ 4: 'f2b_sshd_v4' });
    expect(cfg({ family: 'ip' }).netSets).toEqual({ 4: 'f2b_sshd_v4_net' });
    expect(cfg({ interval: false }).netSets).toEqual({});
    expect(cfg({ ports: [22, '2222', '6000-6010', 'ssh'] }).protocols).toEqual(['tcp']);
  });

  it('refuses names and paths that could smuggle syntax into a script or an argument list', () => {
    expect(() => cfg({}, 'ssh d')).toThrow(/F2B_ERR_NFT_OPTIONS|cannot be used/);
    expect(() => cfg({}, 'a;b')).toThrow(/cannot be used/);
    expect(() => cfg({}, 'x}')).toThrow(/cannot be used/);
    expect(() => cfg({ table: 'f2b; flush ruleset' })).toThrow(/table/);
    expect(() => cfg({ table: 'f2b.x' })).toThrow(/table/);
    expect(() => cfg({ chain: 'DOCKER USER' })).toThrow(/chain/);
    expect(() => cfg({ netns: '../../etc' })).toThrow(/netns/);
    expect(() => cfg({ nftPath: '--help' })).toThrow(/nftPath/);
    expect(() => cfg({ ports: ['22; drop'] })).toThrow(/ports\.0/);
    expect(() => cfg({ ports: ['3000-20'] })).toThrow(/ports\.0/);
    expect(() => cfg({ ipv6Prefix: 64, interval: false })).toThrow(/interval/);
    expect(() => cfg({ checkInterval: 'soon' })).toThrow(/checkInterval/);
    try {
      cfg({}, 'a;b');
    } catch (err) {
      expect((err as { code: string }).code).toBe('F2B_ERR_NFT_OPTIONS');
    }
  });

  it('core validates options against the JSON schema (unknown keys, types)', () => {
    expect(() => new ActionTester({ plugin: nftablesAction(), pluginOptions: { colour: true }, type: 'nftables' })).toThrow(/F2B_ERR_PLUGIN_OPTIONS|colour/);
    expect(() => new ActionTester({ plugin: nftablesAction(), pluginOptions: { blocktype: 'tarpit' }, type: 'nftables' })).toThrow(/blocktype/);
    expect(() => new ActionTester({ plugin: nftablesAction(), pluginOptions: { ipv6Prefix: 4 }, type: 'nftables' })).toThrow(/ipv6Prefix/);
    expect(() => new ActionTester({ plugin: nftablesAction(), options: { ipv6Prefix: 4 }, type: 'nftables' })).toThrow(/ipv6Prefix/);
  });

  it("states no meta of its own: loaded as a package, its meta is its package.json's", async () => {
    const p = nftablesAction();
    expect(p.meta).toBeUndefined();
    expect(p.schema).toMatchObject({ additionalProperties: false });
    const loaded = await loadPlugin('@f2b/action-nftables', searchDirs([fileURLToPath(new URL('.', import.meta.url))]));
    expect(loaded.meta).toEqual({ name: '@f2b/action-nftables', version: expect.stringMatching(/^\d+\.\d+\.\d+/), core: '^0.2.0', kind: 'action' });
  });
});

describe('rules', () => {
  it('drops everything from banned addresses by default', () => {
    expect(ruleSpecs(cfg()).map((r) => r.text)).toEqual([
      'ip saddr @f2b_sshd_v4 counter drop',
      'ip saddr @f2b_sshd_v4_net counter drop',
      'ip6 saddr @f2b_sshd_v6 counter drop',
      'ip6 saddr @f2b_sshd_v6_net counter drop',
    ]);
    expect(ruleSpecs(cfg({ interval: false })).map((r) => r.text)).toEqual(['ip saddr @f2b_sshd_v4 counter drop', 'ip6 saddr @f2b_sshd_v6 counter drop']);
  });

  it('rejects with a TCP reset for TCP and ICMP otherwise', () => {
    expect(ruleSpecs(cfg({ blocktype: 'reject', family: 'ip', interval: false })).map((r) => r.text)).toEqual([
      'ip saddr @f2b_sshd_v4 meta l4proto tcp counter reject with tcp reset',
      'ip saddr @f2b_sshd_v4 counter reject',
    ]);
  });

  it('scopes rules to ports and protocols (banaction vs banaction_allports)', () => {
    expect(ruleSpecs(cfg({ ports: [22, 2222], protocol: ['tcp', 'udp'], blocktype: 'reject', family: 'ip6' })).map((r) => r.text)).toEqual([
      'ip6 saddr @f2b_sshd_v6 tcp dport { 22, 2222 } counter reject with tcp reset',
      'ip6 saddr @f2b_sshd_v6 udp dport { 22, 2222 } counter reject',
      'ip6 saddr @f2b_sshd_v6_net tcp dport { 22, 2222 } counter reject with tcp reset',
      'ip6 saddr @f2b_sshd_v6_net udp dport { 22, 2222 } counter reject',
    ]);
    expect(ruleSpecs(cfg({ protocol: 'udp', family: 'ip', interval: false })).map((r) => r.text)).toEqual([
      'ip saddr @f2b_sshd_v4 meta l4proto udp counter drop',
    ]);
    // allports (fail2ban's banaction_allports) wins over ports inherited from plugin-wide defaults.
    expect(ruleSpecs(cfg({ ports: [22], protocol: 'tcp', allports: true, family: 'ip', interval: false })).map((r) => r.text)).toEqual([
      'ip saddr @f2b_sshd_v4 counter drop',
    ]);
  });

  it('tags rules with a comment that changes when the rules do', () => {
    const a = ruleSpecs(cfg()),
      b = ruleSpecs(cfg({ blocktype: 'reject' }));
    expect(a[0]!.comment).toMatch(/^f2b sshd 1\/4 [0-9a-f]{8}$/);
    expect(a[0]!.comment.split(' ')[3]).not.toBe(b[0]!.comment.split(' ')[3]);
  });
});

describe('structure plans', () => {
  it("creates everything in an empty namespace, marking the table as f2b's", () => {
    const plan = structurePlan(cfg(), null);
    expect(plan.lines[0]).toBe(`add table inet f2b { comment "${OWNED_TABLE_COMMENT}"; }`);
    expect(plan.lines.filter((l) => l.startsWith('add set'))).toEqual([
      'add set inet f2b f2b_sshd_v4 { type ipv4_addr; flags timeout; }',
      'add set inet f2b f2b_sshd_v4_net { type ipv4_addr; flags interval, timeout; }',
      'add set inet f2b f2b_sshd_v6 { type ipv6_addr; flags timeout; }',
      'add set inet f2b f2b_sshd_v6_net { type ipv6_addr; flags interval, timeout; }',
    ]);
    expect(plan.lines).toContain('add chain inet f2b f2b_sshd { type filter hook input priority -1; policy accept; }');
    expect(plan.lines.filter((l) => l.startsWith('add rule'))).toHaveLength(4);
    expect(plan.freshSets).toEqual(['f2b_sshd_v4', 'f2b_sshd_v4_net', 'f2b_sshd_v6', 'f2b_sshd_v6_net']);
  });

  it('adopts a complete table as is, and fixes only what differs', () => {
    const c = cfg();
    const rules = ruleSpecs(c);
    const complete = {
      nftables: [
        { metainfo: {} },
        { table: { family: 'inet', name: 'f2b' } },
        { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v4', type: 'ipv4_addr', flags: ['timeout'] } },
        { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v4_net', type: 'ipv4_addr', flags: ['interval', 'timeout'] } },
        { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v6', type: 'ipv6_addr', flags: 'timeout' } },
        { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v6_net', type: 'ipv6_addr', flags: ['interval', 'timeout'] } },
        { chain: { family: 'inet', table: 'f2b', name: 'f2b_sshd', type: 'filter', hook: 'input', prio: -1, policy: 'accept' } },
        ...rules.map((r, i) => ({ rule: { family: 'inet', table: 'f2b', chain: 'f2b_sshd', handle: 10 + i, comment: r.comment } })),
      ],
    };
    const listing = parseListing(JSON.stringify(complete), 'inet', 'f2b');
    expect(structurePlan(c, listing)).toMatchObject({ lines: [], freshSets: [], changes: [] });

    const withoutRules = parseListing(JSON.stringify({ nftables: complete.nftables.filter((o) => !('rule' in o)) }), 'inet', 'f2b');
    const plan = structurePlan(c, withoutRules);
    expect(plan.lines).toEqual(['flush chain inet f2b f2b_sshd', ...rules.map((r) => `add rule inet f2b f2b_sshd ${r.text} comment "${r.comment}"`)]);
    expect(plan.changes).toEqual(['rules']);

    const forward = structurePlan(cfg({ hook: 'forward' }), listing);
    expect(forward.lines.slice(0, 3)).toEqual([
      'flush chain inet f2b f2b_sshd',
      'delete chain inet f2b f2b_sshd',
      'add chain inet f2b f2b_sshd { type filter hook forward priority -1; policy accept; }',
    ]);
  });

  it('moves the elements of an old-layout interval set into the plain and the network sets, with their time left', () => {
    const c = cfg();
    const rules = ruleSpecs(c);
    const set = (name: string, type: string, flags: string[], elem?: unknown[]) => ({ set: { family: 'inet', table: 'f2b', name, type, flags, elem } });
    const old = (elements: boolean) =>
      parseListing(
        JSON.stringify({
          nftables: [
            set(
              'f2b_sshd_v4',
              'ipv4_addr',
              ['interval', 'timeout'],
              [
                { elem: { val: '192.0.2.10', timeout: 3600, expires: 3000 } },
                { elem: { val: { prefix: { addr: '198.51.100.0', len: 24 } }, timeout: 86400, expires: 86000 } },
                '203.0.113.7',
                { range: ['203.0.113.20', '203.0.113.29'] },
              ],
            ),
            set('f2b_sshd_v6', 'ipv6_addr', ['interval', 'timeout'], [{ elem: { val: { prefix: { addr: '2001:db8:7:8::', len: 64 } }, expires: 50 } }]),
            { chain: { family: 'inet', table: 'f2b', name: 'f2b_sshd', type: 'filter', hook: 'input', prio: -1, policy: 'accept' } },
            { rule: { family: 'inet', table: 'f2b', chain: 'f2b_sshd', handle: 3, comment: 'f2b sshd 1/2 0123abcd' } },
          ],
        }),
        'inet',
        'f2b',
        elements,
      );
    // Without the elements, the plan asks for them first: recreating the set would lose them.
    expect(structurePlan(c, old(false))).toMatchObject({ lines: [], needsElements: true });
    const plan = structurePlan(c, old(true));
    expect(plan.needsElements).toBeUndefined();
    expect(plan.lines).toEqual([
      'flush chain inet f2b f2b_sshd',
      'delete set inet f2b f2b_sshd_v4',
      'delete set inet f2b f2b_sshd_v6',
      'add set inet f2b f2b_sshd_v4 { type ipv4_addr; flags timeout; }',
      'add set inet f2b f2b_sshd_v4_net { type ipv4_addr; flags interval, timeout; }',
      'add set inet f2b f2b_sshd_v6 { type ipv6_addr; flags timeout; }',
      'add set inet f2b f2b_sshd_v6_net { type ipv6_addr; flags interval, timeout; }',
      // the range (never written by f2b) is left out
      'add element inet f2b f2b_sshd_v4 { 192.0.2.10 timeout 3000s, 203.0.113.7 }',
      'add element inet f2b f2b_sshd_v4_net { 198.51.100.0/24 timeout 86000s }',
      'add element inet f2b f2b_sshd_v6_net { 2001:db8:7:8::/64 timeout 50s }',
      ...rules.map((r) => `add rule inet f2b f2b_sshd ${r.text} comment "${r.comment}"`),
    ]);
    expect(plan.freshSets).toEqual(['f2b_sshd_v4', 'f2b_sshd_v4_net', 'f2b_sshd_v6', 'f2b_sshd_v6_net']);
    expect(plan.carried).toEqual(['f2b_sshd_v4', 'f2b_sshd_v4_net', 'f2b_sshd_v6_net']);
    expect(plan.changes).toContain('set f2b_sshd_v4 (type or flags changed; 4 element(s) kept)');

    // A network set already there is not given networks (one could overlap its elements and fail
    // the whole transaction); addresses still move.
    const partial = old(true);
    partial.sets.set('f2b_sshd_v4_net', { type: 'ipv4_addr', flags: ['interval', 'timeout'] });
    const p1 = structurePlan(c, partial);
    expect(p1.lines.filter((l) => l.startsWith('add element'))).toEqual([
      'add element inet f2b f2b_sshd_v4 { 192.0.2.10 timeout 3000s, 203.0.113.7 }',
      'add element inet f2b f2b_sshd_v6_net { 2001:db8:7:8::/64 timeout 50s }',
    ]);
    expect(p1.carried).toEqual(['f2b_sshd_v4', 'f2b_sshd_v6_net']);

    // interval: false keeps the addresses (the networks have no set to go to) and removes a network set left behind.
    const flat = cfg({ interval: false });
    const leftover = old(true);
    leftover.sets.set('f2b_sshd_v4_net', { type: 'ipv4_addr', flags: ['interval', 'timeout'] });
    const p2 = structurePlan(flat, leftover);
    expect(p2.lines.filter((l) => l.startsWith('delete set') || l.startsWith('add element'))).toEqual([
      'delete set inet f2b f2b_sshd_v4',
      'delete set inet f2b f2b_sshd_v6',
      'delete set inet f2b f2b_sshd_v4_net',
      'add element inet f2b f2b_sshd_v4 { 192.0.2.10 timeout 3000s, 203.0.113.7 }',
    ]);
  });

  it('needs an existing chain when told to use one (DOCKER-USER)', () => {
    const c = cfg({ family: 'ip', table: 'filter', chain: 'DOCKER-USER' });
    expect(structurePlan(c, null).error?.code).toBe('F2B_ERR_NFT_CHAIN_MISSING');
    const listing = parseListing(JSON.stringify({ nftables: [{ chain: { family: 'ip', table: 'filter', name: 'DOCKER-USER' } }] }), 'ip', 'filter');
    const plan = structurePlan(c, listing);
    expect(plan.lines[0]).toBe('add set ip filter f2b_sshd_v4 { type ipv4_addr; flags timeout; }');
    expect(plan.lines[1]).toBe('add set ip filter f2b_sshd_v4_net { type ipv4_addr; flags interval, timeout; }');
    // Inserted in reverse, so that they end up in order.
    expect(plan.lines[2]).toMatch(/^insert rule ip filter DOCKER-USER ip saddr @f2b_sshd_v4_net counter drop comment "f2b sshd 2\/2 [0-9a-f]{8}"$/);
    expect(plan.lines[3]).toMatch(/^insert rule ip filter DOCKER-USER ip saddr @f2b_sshd_v4 counter drop comment "f2b sshd 1\/2 [0-9a-f]{8}"$/);
  });

  it('tears down only its own objects, and the table only when f2b made it and it is empty', () => {
    const c = cfg();
    const listing = parseListing(
      JSON.stringify({
        nftables: [
          { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v4', type: 'ipv4_addr', flags: [] } },
          { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v6', type: 'ipv6_addr', flags: [] } },
          { chain: { family: 'inet', table: 'f2b', name: 'f2b_sshd' } },
        ],
      }),
      'inet',
      'f2b',
    );
    expect(teardownPlan(c, listing, true)).toEqual(['delete table inet f2b']);
    expect(teardownPlan(c, listing, false)).toEqual([
      'flush chain inet f2b f2b_sshd',
      'delete chain inet f2b f2b_sshd',
      'delete set inet f2b f2b_sshd_v4',
      'delete set inet f2b f2b_sshd_v6',
    ]);
    listing.sets.set('f2b_sshd_v4_net', { type: 'ipv4_addr', flags: ['interval', 'timeout'] });
    expect(teardownPlan(c, listing, false).slice(2)).toEqual([
      'delete set inet f2b f2b_sshd_v4',
      'delete set inet f2b f2b_sshd_v4_net',
      'delete set inet f2b f2b_sshd_v6',
    ]);
    listing.objects.push('set:f2b_other_v4');
    expect(teardownPlan(c, listing, true)[0]).toBe('flush chain inet f2b f2b_sshd');
  });
});

describe('running nft', () => {
  it('builds argument arrays, never a shell line', () => {
    expect(nftCommand({ nftPath: 'nft', ipPath: 'ip' }, ['-f', '-'])).toEqual(['nft', ['-f', '-']]);
    expect(nftCommand({ nftPath: '/usr/sbin/nft', ipPath: 'ip', netns: 'srv' }, ['-f', '-'])).toEqual([
      'ip',
      ['netns', 'exec', 'srv', '/usr/sbin/nft', '-f', '-'],
    ]);
  });

  it('classifies failures into codes with fixes', () => {
    const o = { nftPath: 'nft', ipPath: 'ip', netns: 'x' };
    expect(classifyFailure(o, 'x', 'exec of "/nonexistent/nft" failed: No such file or directory', 255).error.code).toBe('F2B_ERR_NFT_NOT_FOUND');
    expect(classifyFailure(o, 'x', 'Cannot open network namespace "x": No such file or directory', 255).error.code).toBe('F2B_ERR_NFT_NETNS');
    expect(classifyFailure(o, 'x', 'Error: Could not process rule: Operation not permitted', 1).error.code).toBe('F2B_ERR_NFT_PERMISSION');
    expect(classifyFailure(o, 'x', 'netlink: Error: cache initialization failed: Protocol not supported', 1).error.code).toBe('F2B_ERR_NFT_UNSUPPORTED');
    const other = classifyFailure(o, 'apply bans', '/dev/stdin:1:1-3: Error: syntax error', 1);
    expect(other.error.code).toBe('F2B_ERR_NFT_FAILED');
    expect(other.rejected).toBe(true);
    expect(other.error.fix).toBeTruthy();
  });
});

describe('full listings', () => {
  it('collects the elements of each set as element texts (hosts, prefixes, ranges, with timeouts)', () => {
    const json = JSON.stringify({
      nftables: [
        {
          set: {
            family: 'inet',
            table: 'f2b',
            name: 'f2b_sshd_v4',
            type: 'ipv4_addr',
            flags: ['interval', 'timeout'],
            elem: [
              '192.0.2.1',
              { prefix: { addr: '198.51.100.0', len: 24 } },
              { range: ['203.0.113.5', '203.0.113.9'] },
              { elem: { val: '192.0.2.7', timeout: 600, expires: 599 } },
              { elem: { val: { prefix: { addr: '192.0.2.128', len: 25 } }, timeout: 60 } },
            ],
          },
        },
        { set: { family: 'inet', table: 'f2b', name: 'f2b_sshd_v6', type: 'ipv6_addr', flags: ['interval', 'timeout'] } },
        { set: { family: 'inet', table: 'other', name: 'f2b_sshd_v4', type: 'ipv4_addr', elem: ['192.0.2.99'] } },
      ],
    });
    const listing = parseListing(json, 'inet', 'f2b', true);
    expect([...listing.elements!.get('f2b_sshd_v4')!]).toEqual([
      ['192.0.2.1', null],
      ['198.51.100.0/24', null],
      ['203.0.113.5-203.0.113.9', null],
      ['192.0.2.7', 599],
      ['192.0.2.128/25', 60],
    ]);
    expect([...listing.elements!.get('f2b_sshd_v6')!]).toEqual([]);
    expect(parseListing(json, 'inet', 'f2b').elements).toBeUndefined();
  });
});
