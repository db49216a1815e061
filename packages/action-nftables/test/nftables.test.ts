/**
 * The action against the real nft and kernel, inside a fresh network namespace per test (never the
 * root namespace). Skipped, with the reason printed, when not root or nft / `ip netns` are missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ActionTester } from '@f2b/core/testing';
import nftablesAction, { ruleSpecs, type NftablesAction, type NftablesOptions } from '../src/index.js';
import { addNetns, delNetns, nftIn, nftTry, ruleset, setElements, uniqueName, waitFor } from './netns.js';
import { nftUnavailable } from './netns.js';

const skip = nftUnavailable();
if (skip) console.log(`skipping @f2b/action-nftables real-nft tests: ${skip}`);

describe.skipIf(skip !== null)('@f2b/action-nftables against the real nft (in a test network namespace)', () => {
  let ns: string;
  let table: string;
  const testers: ActionTester[] = [];

  beforeEach(() => {
    ns = uniqueName('unit');
    table = `t${randomBytes(4).toString('hex')}`;
    addNetns(ns);
  });

  afterEach(async () => {
    for (const t of testers.splice(0)) await t.stop().catch(() => undefined);
    delNetns(ns);
  });

  function tester(options: NftablesOptions = {}, jail = 'sshd'): ActionTester {
    const t = new ActionTester({
      plugin: nftablesAction(),
      type: 'nftables',
      jail,
      options: { netns: ns, table, checkInterval: 0, ...options } as Record<string, unknown>,
    });
    testers.push(t);
    return t;
  }
  const action = (t: ActionTester) => t.instance as NftablesAction;
  const elements = (set: string, family = 'inet', tbl = table) => setElements(ns, family, tbl, set);
  const values = (set: string, family = 'inet', tbl = table) =>
    elements(set, family, tbl)
      .map((e) => e.value)
      .sort();
  const objects = (kind: string) =>
    ruleset(ns)
      .filter(([k]) => k === kind)
      .map(([, o]) => o);

  it('start creates the table, both sets, the base chain and its rules', async () => {
    const t = tester();
    await t.start();
    expect(t.errors).toEqual([]);
    expect(objects('table')).toEqual([expect.objectContaining({ family: 'inet', name: table })]);
    const sets = objects('set');
    // Per family a plain set of single addresses and an interval set of networks.
    expect(sets.map((s) => [s.name, s.type, [s.flags].flat()])).toEqual([
      ['f2b_sshd_v4', 'ipv4_addr', ['timeout']],
      ['f2b_sshd_v4_net', 'ipv4_addr', ['interval', 'timeout']],
      ['f2b_sshd_v6', 'ipv6_addr', ['timeout']],
      ['f2b_sshd_v6_net', 'ipv6_addr', ['interval', 'timeout']],
    ]);
    expect(objects('chain')).toEqual([expect.objectContaining({ name: 'f2b_sshd', type: 'filter', hook: 'input', prio: -1, policy: 'accept' })]);
    const rules = objects('rule');
    expect(rules.map((r) => r.comment)).toEqual([1, 2, 3, 4].map((i) => expect.stringMatching(new RegExp(`^f2b sshd ${i}/4 `))));
    const text = nftIn(ns, ['list', 'chain', 'inet', table, 'f2b_sshd']);
    expect(text).toContain('type filter hook input priority filter - 1; policy accept;');
    expect(text).toMatch(/ip saddr @f2b_sshd_v4 counter packets 0 bytes 0 drop/);
    expect(text).toMatch(/ip saddr @f2b_sshd_v4_net counter packets 0 bytes 0 drop/);
    expect(text).toMatch(/ip6 saddr @f2b_sshd_v6 counter packets 0 bytes 0 drop/);
    expect(text).toMatch(/ip6 saddr @f2b_sshd_v6_net counter packets 0 bytes 0 drop/);
  });

  it('start is idempotent: twice, and by a second instance, changes nothing', async () => {
    const a = tester();
    await a.start();
    const before = JSON.stringify(ruleset(ns));
    await a.start();
    const b = tester();
    await b.start();
    expect(JSON.stringify(ruleset(ns))).toBe(before); // same handles: nothing was recreated
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('bans a batch of IPv4 and IPv6 addresses with kernel timeouts, in one transaction', async () => {
    const t = tester();
    await t.start();
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 600 }), t.ban('198.51.100.7', { bantime: 300 }), t.ban('2001:DB8::A', { bantime: 600 })]);
    expect(action(t).stats.transactions).toBe(1);
    const v4 = elements('f2b_sshd_v4');
    expect(v4.map((e) => e.value)).toEqual(['192.0.2.10', '198.51.100.7']);
    expect(v4[0]!.timeout).toBe(600);
    expect(v4[0]!.expires).toBeGreaterThan(590);
    expect(v4[1]!.timeout).toBe(300);
    expect(elements('f2b_sshd_v6')).toEqual([expect.objectContaining({ value: '2001:db8::a', timeout: 600 })]);
    expect(t.errors).toEqual([]);
  });

  it('re-banning an address is no error and refreshes its timeout', async () => {
    const t = tester();
    await t.start();
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 60 })]);
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 900 })]);
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 900 })]);
    expect(elements('f2b_sshd_v4')).toEqual([expect.objectContaining({ value: '192.0.2.10', timeout: 900 })]);
    expect(t.errors).toEqual([]);
  });

  it('unbans; unbanning an absent address, or one the kernel already expired, is no error', async () => {
    const t = tester();
    await t.start();
    await t.applyBans('192.0.2.10', '2001:db8::10');
    await t.applyUnbans('192.0.2.10', '203.0.113.99', '2001:db8::99');
    expect(values('f2b_sshd_v4')).toEqual([]);
    expect(values('f2b_sshd_v6')).toEqual(['2001:db8::10']);
    // The kernel removes an element when its timeout runs out, maybe just before f2b unbans it.
    await t.instance.ban([t.ban('192.0.2.11', { bantime: 1 })]);
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.11']);
    await waitFor('the kernel to expire 192.0.2.11', () => values('f2b_sshd_v4').length === 0, 5000);
    await t.applyUnbans('192.0.2.11', '2001:db8::10');
    expect(values('f2b_sshd_v6')).toEqual([]);
    expect(t.errors).toEqual([]);
    expect(action(t).stats.failures).toBe(0);
  });

  it('many unbans from a large interval set rebuild it in one transaction, keeping the rest with their times', async () => {
    const t = tester();
    await t.start();
    const ids: string[] = [];
    for (let i = 1; i <= 1200; i++) ids.push(`2001:db8:${i.toString(16)}::/64`);
    await t.instance.ban(ids.map((id, i) => t.ban(id, { bantime: i === 0 ? -1 : 600 })));
    const before = action(t).stats.transactions;
    await t.applyUnbans(...ids.slice(600));
    expect(action(t).stats.transactions).toBe(before + 1);
    expect(elements('f2b_sshd_v6')).toEqual([]);
    const left = elements('f2b_sshd_v6_net');
    expect(left.map((e) => e.value).sort()).toEqual(ids.slice(0, 600).sort());
    expect(left.find((e) => e.value === ids[0])?.timeout).toBeUndefined(); // still permanent
    expect(left.find((e) => e.value === ids[1])?.timeout).toBeGreaterThan(590);
    expect(t.errors).toEqual([]);
  });

  it('many unbans from a large plain set are deletes in one transaction, keeping the rest with their times', async () => {
    const t = tester();
    await t.start();
    const ids: string[] = [];
    for (let i = 1; i <= 1200; i++) ids.push(`2001:db8:${i.toString(16)}::1`);
    await t.instance.ban(ids.map((id, i) => t.ban(id, { bantime: i === 0 ? -1 : 600 })));
    const before = action(t).stats.transactions;
    await t.applyUnbans(...ids.slice(600));
    expect(action(t).stats.transactions).toBe(before + 1);
    const left = elements('f2b_sshd_v6');
    expect(left.map((e) => e.value).sort()).toEqual(ids.slice(0, 600).sort());
    expect(left.find((e) => e.value === ids[0])?.timeout).toBeUndefined();
    expect(left.find((e) => e.value === ids[1])?.timeout).toBeGreaterThan(590);
    expect(elements('f2b_sshd_v6_net')).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('interval: false uses plain sets (single addresses only) and bans the same way', async () => {
    const t = tester({ interval: false });
    await t.start();
    expect(objects('set').map((x) => [x.name, [x.flags].flat()])).toEqual([
      ['f2b_sshd_v4', ['timeout']],
      ['f2b_sshd_v6', ['timeout']],
    ]);
    await t.applyBans('192.0.2.10', '2001:db8::10', '192.0.2.0/24');
    await t.applyUnbans('192.0.2.10', '192.0.2.99');
    expect(values('f2b_sshd_v4')).toEqual([]);
    expect(values('f2b_sshd_v6')).toEqual(['2001:db8::10']);
    expect(t.errors).toEqual([]);
    expect(t.logger.records.some((r) => r.level === 'warn' && /192\.0\.2\.0\/24 cannot be banned/.test(r.msg))).toBe(true);
  });

  it('a permanent ban has no timeout', async () => {
    const t = tester();
    await t.start();
    await t.instance.ban([t.ban('203.0.113.5', { bantime: -1 }), t.ban('2001:db8::5', { bantime: -1 })]);
    expect(elements('f2b_sshd_v4')).toEqual([{ value: '203.0.113.5' }]);
    expect(elements('f2b_sshd_v6')).toEqual([{ value: '2001:db8::5' }]);
  });

  it('widens IPv6 bans to their /64 (and IPv4 to ipv4Prefix) and unbans the network with its last address', async () => {
    const t = tester({ ipv6Prefix: 64, ipv4Prefix: 24 });
    await t.start();
    await t.applyBans('2001:db8:1:2::5', '2001:db8:1:2:ffff::6', '192.0.2.77');
    // Every element is a network: all of them go to the interval sets.
    expect(values('f2b_sshd_v6_net')).toEqual(['2001:db8:1:2::/64']);
    expect(values('f2b_sshd_v4_net')).toEqual(['192.0.2.0/24']);
    expect([...values('f2b_sshd_v4'), ...values('f2b_sshd_v6')]).toEqual([]);
    await t.applyUnbans('2001:db8:1:2::5');
    expect(values('f2b_sshd_v6_net')).toEqual(['2001:db8:1:2::/64']);
    await t.applyUnbans('2001:db8:1:2:ffff::6');
    expect(values('f2b_sshd_v6_net')).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('an address banned inside a banned network is in both sets, and stays when the network ends', async () => {
    const t = tester();
    await t.start();
    await t.applyBans('192.0.2.5');
    const transactions = action(t).stats.transactions;
    await t.instance.ban([t.ban('192.0.2.0/24', { bantime: 300 })]);
    expect(action(t).stats.transactions).toBe(transactions + 1); // no second transaction: nothing to take out first
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.5']);
    expect(values('f2b_sshd_v4_net')).toEqual(['192.0.2.0/24']);
    // Banned while the network is: into the plain set all the same.
    await t.applyBans('192.0.2.6');
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.5', '192.0.2.6']);
    // A smaller network inside the banned one waits in the model (interval sets refuse overlaps).
    await t.instance.ban([t.ban('192.0.2.128/25', { bantime: 600 })]);
    expect(values('f2b_sshd_v4_net')).toEqual(['192.0.2.0/24']);
    await t.applyUnbans('192.0.2.0/24');
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.5', '192.0.2.6']);
    expect(values('f2b_sshd_v4_net')).toEqual(['192.0.2.128/25']);
    expect(t.errors).toEqual([]);
  });

  it('leaves out one element nft refuses, applies the rest, and reports it once', async () => {
    const t = tester();
    await t.start();
    nftIn(ns, ['add', 'element', 'inet', table, 'f2b_sshd_v4_net', '{ 198.51.100.0/24 }']); // by hand
    await t.applyBans('198.51.100.0/25', '203.0.113.9', '2001:db8::9', '203.0.113.128/25');
    expect(values('f2b_sshd_v4_net')).toEqual(['198.51.100.0/24', '203.0.113.128/25']);
    expect(values('f2b_sshd_v4')).toEqual(['203.0.113.9']);
    expect(values('f2b_sshd_v6')).toEqual(['2001:db8::9']);
    expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(['F2B_ERR_NFT_ELEMENT']);
    expect(String((t.errors[0] as Error).message)).toContain('198.51.100.0/25');
    await t.applyBans('203.0.113.10');
    expect(t.errors).toHaveLength(1);
  });

  it('stop removes only what f2b created; a foreign table survives; a shared table goes with its last jail', async () => {
    nftIn(
      ns,
      ['-f', '-'],
      'add table inet foreign\nadd set inet foreign keep { type ipv4_addr; }\nadd chain inet foreign c { type filter hook input priority 0; policy accept; }\nadd rule inet foreign c counter\n',
    );
    const a = tester({}, 'sshd');
    const b = tester({}, 'nginx.auth-1');
    await a.start();
    await b.start();
    await a.applyBans('192.0.2.10');
    await b.applyBans('192.0.2.11');
    expect(values('f2b_nginx.auth-1_v4')).toEqual(['192.0.2.11']);
    await a.stop();
    expect(
      objects('set')
        .map((s) => `${s.table}/${s.name}`)
        .sort(),
    ).toEqual([
      `foreign/keep`,
      `${table}/f2b_nginx.auth-1_v4`,
      `${table}/f2b_nginx.auth-1_v4_net`,
      `${table}/f2b_nginx.auth-1_v6`,
      `${table}/f2b_nginx.auth-1_v6_net`,
    ]);
    expect(
      objects('chain')
        .map((c) => `${c.table}/${c.name}`)
        .sort(),
    ).toEqual(['foreign/c', `${table}/f2b_nginx.auth-1`]);
    await b.stop();
    expect(objects('table').map((x) => x.name)).toEqual(['foreign']);
    expect(objects('rule')).toHaveLength(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('adopts a table it did not create and leaves it in place on stop', async () => {
    nftIn(ns, ['add', 'table', 'inet', table]);
    const t = tester();
    await t.start();
    await t.applyBans('192.0.2.10');
    await t.stop();
    expect(objects('table').map((x) => x.name)).toEqual([table]);
    expect(objects('set')).toEqual([]);
    expect(objects('chain')).toEqual([]);
  });

  it('adopts bans left by an earlier run: re-bans refresh them, unbans remove them', async () => {
    const old = tester();
    await old.start();
    await old.instance.ban([old.ban('192.0.2.10', { bantime: -1 }), old.ban('192.0.2.11', { bantime: 600 })]);
    testers.splice(testers.indexOf(old), 1); // "crashed": never stopped
    const t = tester();
    await t.start();
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 300 })]);
    await t.applyUnbans('192.0.2.11');
    expect(elements('f2b_sshd_v4')).toEqual([expect.objectContaining({ value: '192.0.2.10', timeout: 300 })]);
    expect(t.errors).toEqual([]);
  });

  it('an old-layout table (addresses and networks in one interval set) is migrated on start: every ban in force once', async () => {
    // What f2b before the split created, written by hand: interval sets named like today's plain sets.
    nftIn(
      ns,
      ['-f', '-'],
      [
        `add table inet ${table}`,
        `add set inet ${table} f2b_sshd_v4 { type ipv4_addr; flags interval, timeout; }`,
        `add set inet ${table} f2b_sshd_v6 { type ipv6_addr; flags interval, timeout; }`,
        `add chain inet ${table} f2b_sshd { type filter hook input priority -1; policy accept; }`,
        `add rule inet ${table} f2b_sshd ip saddr @f2b_sshd_v4 counter drop comment "f2b sshd 1/2 0123abcd"`,
        `add rule inet ${table} f2b_sshd ip6 saddr @f2b_sshd_v6 counter drop comment "f2b sshd 2/2 0123abcd"`,
        `add element inet ${table} f2b_sshd_v4 { 192.0.2.10 timeout 3600s, 192.0.2.11 timeout 600s, 198.51.100.0/24 timeout 86400s }`,
        `add element inet ${table} f2b_sshd_v6 { 2001:db8::5, 2001:db8:7:8::/64 timeout 600s }`,
        '',
      ].join('\n'),
    );
    const t = tester();
    await t.start();
    expect(t.errors).toEqual([]);
    expect(
      t.logger.records.filter(
        (r) => r.level === 'info' && /^Moved the nftables table .* \(set f2b_sshd_v4 \(type or flags changed; 3 element\(s\) kept\)/.test(r.msg),
      ),
    ).toHaveLength(1);
    expect(objects('set').map((x) => [x.name, [x.flags].flat()])).toEqual([
      ['f2b_sshd_v4', ['timeout']],
      ['f2b_sshd_v4_net', ['interval', 'timeout']],
      ['f2b_sshd_v6', ['timeout']],
      ['f2b_sshd_v6_net', ['interval', 'timeout']],
    ]);
    expect(objects('rule').map((r) => r.comment)).toEqual(ruleSpecs(action(t).config).map((r) => r.comment));
    // Every element moved, with the time it had left; none lost while f2b had not re-banned it yet.
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(elements('f2b_sshd_v4').find((e) => e.value === '192.0.2.10')!.expires).toBeGreaterThan(3500);
    expect(values('f2b_sshd_v4_net')).toEqual(['198.51.100.0/24']);
    expect(elements('f2b_sshd_v4_net')[0]!.expires).toBeGreaterThan(86_000);
    expect(elements('f2b_sshd_v6')).toEqual([{ value: '2001:db8::5' }]);
    expect(values('f2b_sshd_v6_net')).toEqual(['2001:db8:7:8::/64']);
    // The state store's restore re-bans what is active (and the daemon unbans what expired meanwhile).
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 1800 }), t.ban('198.51.100.0/24', { bantime: 7200 }), t.ban('2001:db8::5', { bantime: -1 })]);
    await t.applyUnbans('192.0.2.11', '2001:db8:7:8::/64');
    const all = ['f2b_sshd_v4', 'f2b_sshd_v4_net', 'f2b_sshd_v6', 'f2b_sshd_v6_net'].flatMap((set) => elements(set).map((e) => ({ set, ...e })));
    expect(all.map((e) => `${e.set} ${e.value} ${e.timeout ?? '-'}`)).toEqual([
      'f2b_sshd_v4 192.0.2.10 1800',
      'f2b_sshd_v4_net 198.51.100.0/24 7200',
      'f2b_sshd_v6 2001:db8::5 -',
    ]);
    // The kernel matches an address of the network through the network set's rule.
    expect(nftTry(ns, ['get', 'element', 'inet', table, 'f2b_sshd_v4_net', '{ 198.51.100.99 }']).ok).toBe(true);
    expect((await action(t).check()).repaired).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('check() repairs `nft flush ruleset` and re-adds the active bans with their remaining time', async () => {
    // Without the monitor: it would race check() to the repair (it has its own tests in faults.test.ts).
    const t = tester({ monitor: false });
    await t.start();
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 600 }), t.ban('2001:db8::10', { bantime: -1 })]);
    nftIn(ns, ['flush', 'ruleset']);
    expect(objects('table')).toEqual([]);
    const result = await action(t).check();
    expect(result.ok).toBe(true);
    expect(result.repaired).toContain('table');
    expect(elements('f2b_sshd_v4')).toEqual([expect.objectContaining({ value: '192.0.2.10', timeout: expect.any(Number) })]);
    expect(elements('f2b_sshd_v4')[0]!.timeout).toBeGreaterThan(590);
    expect(elements('f2b_sshd_v6')).toEqual([{ value: '2001:db8::10' }]);
    expect(objects('rule')).toHaveLength(4);
    expect(action(t).stats.repairs).toBe(1);
    expect((await action(t).check()).repaired).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('checks periodically (checkInterval) and repairs on its own, also a deleted rule or set', async () => {
    const t = tester({ checkInterval: 0.2 });
    await t.start();
    await t.applyBans('192.0.2.10');
    nftIn(ns, ['flush', 'ruleset']);
    await waitFor('the periodic check to repair', () => values('f2b_sshd_v4').includes('192.0.2.10'), 5000);
    const handle = objects('rule')[0]!.handle as number;
    nftIn(ns, ['delete', 'rule', 'inet', table, 'f2b_sshd', 'handle', String(handle)]);
    await waitFor('the rule to come back', () => objects('rule').length === 4, 5000);
    expect(t.errors).toEqual([]);
  });

  it('a missing nft is reported once (with a code and a fix), retried with backoff, and never thrown', async () => {
    const t = tester({ nftPath: '/nonexistent/nft', retryDelay: 0.02, retryMaxDelay: 0.05 });
    await t.start();
    await t.applyBans('192.0.2.10');
    await waitFor('several retries', () => action(t).stats.failures >= 5, 5000);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'F2B_ERR_NFT_NOT_FOUND' });
    expect((t.errors[0] as { fix?: string }).fix).toMatch(/nftables/);
    expect(action(t).pending()).toBe(1); // still queued
  });

  it('a missing namespace is reported once; once it exists the queued bans are applied', async () => {
    const late = uniqueName('late');
    try {
      const t = tester({ netns: late, retryDelay: 0.05, retryMaxDelay: 0.1 });
      await t.start();
      await t.applyBans('192.0.2.10', '2001:db8::10');
      await waitFor('retries', () => action(t).stats.failures >= 3, 5000);
      expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(['F2B_ERR_NFT_NETNS']);
      addNetns(late);
      await waitFor('the bans to arrive', () => setElements(late, 'inet', table, 'f2b_sshd_v4').length === 1, 5000);
      expect(setElements(late, 'inet', table, 'f2b_sshd_v6').map((e) => e.value)).toEqual(['2001:db8::10']);
      await waitFor('the recovery to be logged', () => t.logger.records.some((r) => /works again/.test(r.msg)), 5000);
      expect(action(t).pending()).toBe(0);
      expect(t.errors).toHaveLength(1);
      await t.stop();
      expect(nftTry(late, ['list', 'table', 'inet', table]).ok).toBe(false);
    } finally {
      delNetns(late);
    }
  });

  it('blocktype, ports and protocols give the rules fail2ban users expect', async () => {
    const t = tester({ blocktype: 'reject', ports: [22, 2222], protocol: ['tcp', 'udp'] });
    await t.start();
    const text = nftIn(ns, ['list', 'chain', 'inet', table, 'f2b_sshd']);
    expect(text).toMatch(/ip saddr @f2b_sshd_v4 tcp dport \{ 22, 2222 \} counter packets 0 bytes 0 reject with tcp reset/);
    expect(text).toMatch(/ip saddr @f2b_sshd_v4 udp dport \{ 22, 2222 \} counter packets 0 bytes 0 reject/);
    expect(text).toMatch(/ip6 saddr @f2b_sshd_v6 tcp dport \{ 22, 2222 \}/);
    expect(text).toMatch(/ip6 saddr @f2b_sshd_v6_net udp dport \{ 22, 2222 \}/);
    expect(objects('rule')).toHaveLength(8);
  });

  it('a changed hook is applied to an adopted chain (input → forward)', async () => {
    // The earlier run (input) left its table behind and no longer watches it: were its `nft
    // monitor` still running, it would repair the chain back to input as soon as b changed it.
    const a = tester({ monitor: false });
    await a.start();
    await a.applyBans('192.0.2.10');
    const b = tester({ hook: 'forward', priority: 'filter - 5' });
    await b.start();
    expect(objects('chain')).toEqual([expect.objectContaining({ name: 'f2b_sshd', hook: 'forward', prio: -5 })]);
    expect(values('f2b_sshd_v4')).toEqual(['192.0.2.10']); // sets kept
    expect(b.errors).toEqual([]);
  });

  it("adds its rules to an existing chain such as Docker's DOCKER-USER, and removes only those", async () => {
    // What Docker (iptables-nft) creates: table ip filter, regular chain DOCKER-USER ending in RETURN.
    const t = tester({ family: 'ip', table: 'filter', chain: 'DOCKER-USER', retryDelay: 0.05, checkInterval: 0.1 });
    await t.start();
    expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(['F2B_ERR_NFT_CHAIN_MISSING']);
    nftIn(ns, ['-f', '-'], 'add table ip filter\nadd chain ip filter DOCKER-USER\nadd rule ip filter DOCKER-USER counter return\n');
    await waitFor("f2b's rules in DOCKER-USER", () => objects('rule').length === 3, 5000);
    await t.applyBans('192.0.2.10', '2001:db8::10');
    expect(values('f2b_sshd_v4', 'ip', 'filter')).toEqual(['192.0.2.10']);
    const text = nftIn(ns, ['list', 'chain', 'ip', 'filter', 'DOCKER-USER']);
    expect(text.indexOf('@f2b_sshd_v4 ')).toBeLessThan(text.indexOf('@f2b_sshd_v4_net'));
    expect(text.indexOf('@f2b_sshd_v4_net')).toBeLessThan(text.indexOf('return'));
    await t.stop();
    expect(objects('rule')).toEqual([expect.objectContaining({ chain: 'DOCKER-USER' })]);
    expect(objects('rule')[0]!.comment).toBeUndefined();
    expect(objects('set')).toEqual([]);
    expect(objects('table').map((x) => x.name)).toEqual(['filter']);
    expect(t.errors).toHaveLength(1);
  });
});
