/**
 * The ipset action: its scripts and parsers, then the real ipset and iptables inside a server
 * namespace with a client namespace on a veth pair sending real packets (never the root namespace).
 * Skipped, with the reason printed, when not root or ipset / iptables are missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionTester } from '@f2b/core/testing';
import ipsetAction, {
  MAX_TIMEOUT_S,
  elementOf,
  listedBans,
  normalizeOptions,
  parseSave,
  ruleSpecs,
  timeoutFor,
  type IpsetAction,
  type IpsetOptions,
} from '../src/index.js';
import {
  PAIR_CLIENT as CLIENT,
  PAIR_SERVER as SERVER,
  createPair,
  inNs,
  inNsAsync,
  netnsUnavailable,
  probe,
  tryInNs,
  type Pair,
} from '../../../test/netns-pair.js';

describe('scripts and parsers', () => {
  it('elements: addresses canonical, networks only in hash:net, garbage refused', () => {
    expect(elementOf('2001:DB8::0:1', 'hash:ip')).toEqual({ v: 6, text: '2001:db8::1' });
    expect(elementOf('192.0.2.7', 'hash:ip')).toEqual({ v: 4, text: '192.0.2.7' });
    expect(elementOf('192.0.2.7/24', 'hash:net')).toEqual({ v: 4, text: '192.0.2.0/24' });
    expect(elementOf('192.0.2.0/24', 'hash:ip')).toMatchObject({ error: expect.stringContaining('hash:ip') });
    expect(elementOf('192.0.2.1 timeout 0\ncreate x', 'hash:net')).toMatchObject({ error: expect.any(String) });
  });

  it("timeouts: remaining seconds; none (0) for permanent bans and bans beyond ipset's 2147483 s", () => {
    const now = 1_000_000_000;
    expect(timeoutFor(now + 600_000, now)).toBe(600);
    expect(timeoutFor(now + 1, now)).toBe(1);
    expect(timeoutFor(now, now)).toBeNull();
    expect(timeoutFor(null, now)).toBe(0);
    expect(timeoutFor(now + MAX_TIMEOUT_S * 1000, now)).toBe(MAX_TIMEOUT_S);
    expect(timeoutFor(now + 60 * 86_400_000, now)).toBe(0);
  });

  it('one rule per family, per protocol with ports; reject per family', () => {
    const cfg = normalizeOptions({ ports: [22, '6000-6010'], protocol: ['tcp', 'udp'], blocktype: 'reject' }, 'sshd');
    expect(ruleSpecs(cfg, 6)).toEqual([
      [
        '-p',
        'tcp',
        '-m',
        'set',
        '--match-set',
        'f2b-sshd-v6',
        'src',
        '-m',
        'multiport',
        '--dports',
        '22,6000:6010',
        '-m',
        'comment',
        '--comment',
        'f2b sshd',
        '-j',
        'REJECT',
        '--reject-with',
        'icmp6-port-unreachable',
      ],
      [
        '-p',
        'udp',
        '-m',
        'set',
        '--match-set',
        'f2b-sshd-v6',
        'src',
        '-m',
        'multiport',
        '--dports',
        '22,6000:6010',
        '-m',
        'comment',
        '--comment',
        'f2b sshd',
        '-j',
        'REJECT',
        '--reject-with',
        'icmp6-port-unreachable',
      ],
    ]);
    expect(ruleSpecs(normalizeOptions({}, 'sshd'), 4)).toEqual([
      ['-m', 'set', '--match-set', 'f2b-sshd-v4', 'src', '-m', 'comment', '--comment', 'f2b sshd', '-j', 'DROP'],
    ]);
  });

  it('names that do not fit an ipset name are refused with a fix', () => {
    expect(() => normalizeOptions({}, 'a-very-long-jail-name-for-ipset')).toThrow(/F2B_ERR_IPSET_OPTIONS|cannot be used in ipset names/);
    expect(() => normalizeOptions({ ports: Array.from({ length: 16 }, (_, i) => i + 1) }, 'x')).toThrow(/more than 15/);
  });

  it("reads ipset save back: the end from f2b's comment, else the timeout, else the jail's bantime", () => {
    const text = [
      'create f2b-x-v4 hash:net family inet hashsize 1024 maxelem 65536 timeout 0 comment bucketsize 12 initval 0x1',
      'add f2b-x-v4 192.0.2.5 timeout 99 comment "f2b end=1000600000"',
      'add f2b-x-v4 198.51.100.0/24 timeout 0 comment "f2b end=never"',
      'add f2b-x-v4 203.0.113.9 timeout 30',
      'add f2b-x-v4 203.0.113.10 timeout 0',
      'add other 192.0.2.99',
    ].join('\n');
    const saved = parseSave(text, 'f2b-x-v4')!;
    expect(saved.header).toMatch(/^hash:net family inet /);
    expect(listedBans(saved, 1_000_000_000)).toEqual([
      { id: '192.0.2.5', end: 1_000_600_000 },
      { id: '198.51.100.0/24', end: null },
      { id: '203.0.113.9', end: 1_000_030_000 },
      { id: '203.0.113.10' },
    ]);
  });
});

/** Polls `fn` (asynchronous: a blocking spawnSync would stall the action under test). */
async function until(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const skip = netnsUnavailable({ programs: ['ipset', 'iptables-nft', 'ip6tables-nft', 'iptables-legacy'], hint: 'apt install ipset iptables' });
if (skip) console.log(`skipping @f2b/action-ipset real-kernel tests: ${skip}`);

describe.skipIf(skip !== null)('@f2b/action-ipset against the real ipset and iptables (test namespaces, real packets)', () => {
  let pair: Pair;
  const testers: ActionTester[] = [];

  beforeEach(() => {
    pair = createPair();
  });
  afterEach(async () => {
    for (const t of testers.splice(0)) await t.stop().catch(() => undefined);
    pair.remove();
  });

  function tester(options: IpsetOptions = {}, jail = 'sshd'): ActionTester {
    const t = new ActionTester({
      plugin: ipsetAction(),
      type: 'ipset',
      jail,
      options: { netns: pair.srv, checkInterval: 0, ...options } as Record<string, unknown>,
    });
    testers.push(t);
    return t;
  }
  const action = (t: ActionTester) => t.instance as IpsetAction;
  const members = (set: string) => parseSave(inNs(pair.srv, 'ipset', ['save', set]), set)!.members;
  const rules = (program = 'iptables-nft') =>
    inNs(pair.srv, program, ['-w', '-S', 'INPUT'])
      .split('\n')
      .filter((l) => l.startsWith('-A'));
  const reach = () => Promise.all([probe(pair.cli, SERVER.v4), probe(pair.cli, SERVER.v6)]);

  it('blocks real v4 and v6 packets after the ban, lets them through after the unban; rules and sets go at stop', async () => {
    const t = tester();
    await t.start();
    expect(t.errors).toEqual([]);
    expect(rules()).toEqual(['-A INPUT -m set --match-set f2b-sshd-v4 src -m comment --comment "f2b sshd" -j DROP']);
    expect(rules('ip6tables-nft')).toEqual(['-A INPUT -m set --match-set f2b-sshd-v6 src -m comment --comment "f2b sshd" -j DROP']);
    expect(await reach()).toEqual(['refused', 'refused']);

    const [b4] = await t.applyBans(CLIENT.v4, CLIENT.v6);
    expect(await reach()).toEqual(['timeout', 'timeout']);
    const m = members('f2b-sshd-v4');
    expect(m).toEqual([{ text: CLIENT.v4, timeout: expect.any(Number), comment: `f2b end=${b4!.end}` }]);
    expect(m[0]!.timeout).toBeGreaterThan(590);
    expect(m[0]!.timeout).toBeLessThanOrEqual(600);
    expect(action(t).stats.batches).toBe(1);

    await t.applyUnbans(CLIENT.v4, CLIENT.v6);
    expect(await reach()).toEqual(['refused', 'refused']);
    expect(members('f2b-sshd-v4')).toEqual([]);

    await t.stop();
    expect(rules()).toEqual([]);
    expect(tryInNs(pair.srv, 'ipset', ['list', '-n']).stdout.trim()).toBe('');
    expect(t.errors).toEqual([]);
  });

  it('bans longer than 2147483 s and permanent bans go in without a timeout, their end in the comment; listBanned reads them back', async () => {
    const t = tester({ setType: 'hash:net' });
    await t.start();
    const now = Date.now();
    const long = { ...t.ban('203.0.113.5', { start: now, bantime: 60 * 86_400 }) };
    const forever = { ...t.ban('2001:db8:99::/48', { start: now, bantime: -1 }) };
    const short = { ...t.ban('203.0.113.6', { start: now, bantime: 3600 }) };
    await action(t).ban([long, forever, short]);
    expect(members('f2b-sshd-v4')).toEqual(
      expect.arrayContaining([
        { text: '203.0.113.5', timeout: 0, comment: `f2b end=${long.end}` },
        { text: '203.0.113.6', timeout: expect.any(Number), comment: `f2b end=${short.end}` },
      ]),
    );
    expect(members('f2b-sshd-v6')).toEqual([{ text: '2001:db8:99::/48', timeout: 0, comment: 'f2b end=never' }]);
    const listed = await action(t).listBanned();
    expect(listed.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: '2001:db8:99::/48', end: null },
      { id: '203.0.113.5', end: long.end },
      { id: '203.0.113.6', end: short.end },
    ]);
    expect(t.errors).toEqual([]);
  });

  it('repairs: a flushed set, a deleted rule, a destroyed set — recreated and refilled; packets blocked again', async () => {
    const t = tester();
    await t.start();
    await t.applyBans(CLIENT.v4, CLIENT.v6, '192.0.2.77');
    inNs(pair.srv, 'ipset', ['flush', 'f2b-sshd-v4']);
    expect(await probe(pair.cli, SERVER.v4)).toBe('refused');
    let r = await action(t).check();
    expect(r.ok).toBe(true);
    expect(
      members('f2b-sshd-v4')
        .map((e) => e.text)
        .sort(),
    ).toEqual(['192.0.2.77', CLIENT.v4]);
    expect(await probe(pair.cli, SERVER.v4)).toBe('timeout');

    inNs(pair.srv, 'ip6tables-nft', ['-w', '-D', 'INPUT', ...ruleSpecs(action(t).config, 6)[0]!]);
    inNs(pair.srv, 'ipset', ['destroy', 'f2b-sshd-v6']);
    expect(await probe(pair.cli, SERVER.v6)).toBe('refused');
    r = await action(t).check();
    expect(r.repaired).toEqual(['set f2b-sshd-v6', 'ip6tables-nft rule in INPUT']);
    expect(members('f2b-sshd-v6')).toEqual([expect.objectContaining({ text: CLIENT.v6 })]);
    expect(await probe(pair.cli, SERVER.v6)).toBe('timeout');

    // An element nobody banned (an unban lost with a crash) is removed by the check.
    inNs(pair.srv, 'ipset', ['add', 'f2b-sshd-v4', '203.0.113.44', 'timeout', '100']);
    await action(t).check();
    expect(
      members('f2b-sshd-v4')
        .map((e) => e.text)
        .sort(),
    ).toEqual(['192.0.2.77', CLIENT.v4]);
    expect(action(t).stats.repairs).toBe(3);
    expect(t.errors).toEqual([]);
  });

  it('batches a thousand bans into one ipset restore; banning again is idempotent; one refused element spares the others', async () => {
    const t = tester({ maxelem: 1001 });
    await t.start();
    const ids = Array.from({ length: 1000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    await t.applyBans(...ids);
    expect(action(t).stats.batches).toBe(1);
    expect(members('f2b-sshd-v4')).toHaveLength(1000);
    await t.applyBans(...ids.slice(0, 10));
    expect(members('f2b-sshd-v4')).toHaveLength(1000);
    // The set is full after one more: ipset refuses the last element, reported once, the rest applied.
    await t.applyBans('192.0.2.50', '192.0.2.51');
    expect(members('f2b-sshd-v4')).toHaveLength(1001);
    expect(action(t).stats.refused).toBe(1);
    expect(t.errors).toEqual([expect.objectContaining({ code: 'F2B_ERR_IPSET_ELEMENT' })]);
    expect(action(t).pending()).toBe(0);
  });

  it('iptables-legacy: chosen by option, and by auto when the legacy filter table is in use', async () => {
    const t = tester({ backend: 'legacy' });
    await t.start();
    expect(rules('iptables-legacy')).toEqual(['-A INPUT -m set --match-set f2b-sshd-v4 src -m comment --comment "f2b sshd" -j DROP']);
    expect(rules('iptables-nft')).toEqual([]);
    await t.applyBans(CLIENT.v4);
    expect(await probe(pair.cli, SERVER.v4)).toBe('timeout');
    await t.stop();
    // The legacy filter table stays loaded in the namespace: auto now takes legacy for the next jail.
    const auto = tester({}, 'web');
    await auto.start();
    expect(action(auto).variant()).toMatch(/^legacy/);
    expect(rules('iptables-legacy')).toEqual(['-A INPUT -m set --match-set f2b-web-v4 src -m comment --comment "f2b web" -j DROP']);
  });

  it('a set left with another type is reported, not replaced', async () => {
    inNs(pair.srv, 'ipset', ['create', 'f2b-sshd-v4', 'hash:net', 'family', 'inet']);
    const t = tester();
    await t.start();
    expect(t.errors).toEqual([expect.objectContaining({ code: 'F2B_ERR_IPSET_SET_MISMATCH' })]);
    await t.applyBans(CLIENT.v4);
    expect(members('f2b-sshd-v4')).toEqual([]);
    expect(t.errors).toHaveLength(1); // once per failure streak
  });
  it('the periodic check repairs on its own (checkInterval)', async () => {
    const t = tester({ checkInterval: '0.1s' });
    await t.start();
    await t.applyBans(CLIENT.v4);
    inNs(pair.srv, 'ipset', ['flush', 'f2b-sshd-v4']);
    await until('the set to be refilled', async () => (await inNsAsync(pair.srv, 'ipset', ['save', 'f2b-sshd-v4'])).includes('\nadd '));
    expect(await probe(pair.cli, SERVER.v4)).toBe('timeout');
    expect(t.errors).toEqual([]);
  });
});
