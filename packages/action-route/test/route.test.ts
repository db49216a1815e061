/**
 * The route action: its batch lines and parsers, then the real `ip` inside a server namespace with a
 * client namespace on a veth pair sending real packets (never the root namespace). Skipped, with the
 * reason printed, when not root or `ip netns` is missing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionTester } from '@f2b/core/testing';
import routeAction, { dstOf, failedLines, jailMetric, normalizeOptions, parseRoutes, replaceLine, type RouteAction, type RouteOptions } from '../src/index.js';
import { PAIR_CLIENT as CLIENT, PAIR_SERVER as SERVER, createPair, inNs, inNsAsync, netnsUnavailable, probe, type Pair } from '../../../test/netns-pair.js';

describe('batch lines and parsers', () => {
  it('destinations are canonical addresses or networks; garbage is none', () => {
    expect(dstOf('2001:DB8::0:7')).toEqual({ v: 6, text: '2001:db8::7' });
    expect(dstOf('198.51.100.9/24')).toEqual({ v: 4, text: '198.51.100.0/24' });
    expect(dstOf('192.0.2.1 table local')).toBeNull();
  });

  it("replace lines carry the type, table, protocol and the jail's metric", () => {
    const cfg = normalizeOptions({ blocktype: 'prohibit', table: 100 }, 'sshd');
    expect(replaceLine(cfg, '192.0.2.7')).toBe(`route replace prohibit 192.0.2.7 table 100 proto 242 metric ${jailMetric('sshd')}`);
    expect(jailMetric('sshd')).toBe(jailMetric('sshd'));
    expect(jailMetric('sshd')).not.toBe(jailMetric('nginx'));
    expect(() => normalizeOptions({ table: 'main; reboot' }, 'x')).toThrow(/not a routing table/);
  });

  it('reads ip -force -batch failures and ip -j route show', () => {
    expect(
      failedLines('RTNETLINK answers: No such process\nCommand failed -:3\nError: inet prefix is expected rather than "x".\nCommand failed -:5\n'),
    ).toEqual([
      { line: 3, message: 'RTNETLINK answers: No such process' },
      { line: 5, message: 'Error: inet prefix is expected rather than "x".' },
    ]);
    expect(
      parseRoutes(
        '[{"type":"blackhole","dst":"192.0.2.77","metric":7,"flags":[]},{"type":"blackhole","dst":"198.51.100.0/24","metric":7},{"dst":"192.0.2.78","metric":8}]',
        7,
      ),
    ).toEqual([
      { v: 4, text: '192.0.2.77' },
      { v: 4, text: '198.51.100.0/24' },
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

const skip = netnsUnavailable();
if (skip) console.log(`skipping @f2b/action-route real-kernel tests: ${skip}`);

describe.skipIf(skip !== null)('@f2b/action-route against the real ip (test namespaces, real packets)', () => {
  let pair: Pair;
  const testers: ActionTester[] = [];

  beforeEach(() => {
    pair = createPair();
  });
  afterEach(async () => {
    for (const t of testers.splice(0)) await t.stop().catch(() => undefined);
    pair.remove();
  });

  function tester(options: RouteOptions = {}, jail = 'sshd'): ActionTester {
    const t = new ActionTester({
      plugin: routeAction(),
      type: 'route',
      jail,
      options: { netns: pair.srv, checkInterval: 0, ...options } as Record<string, unknown>,
    });
    testers.push(t);
    return t;
  }
  const action = (t: ActionTester) => t.instance as RouteAction;
  const routes = (v: 4 | 6, table = 'main') =>
    (
      JSON.parse(inNs(pair.srv, 'ip', ['-j', `-${v}`, 'route', 'show', 'table', table, 'proto', '242']) || '[]') as {
        type: string;
        dst: string;
        metric?: number;
      }[]
    )
      .map((r) => `${r.type} ${r.dst} ${r.metric}`)
      .sort();
  const reach = () => Promise.all([probe(pair.cli, SERVER.v4), probe(pair.cli, SERVER.v6)]);

  it('blackholes real v4 and v6 traffic after the ban, lets it through after the unban; routes go at stop', async () => {
    const t = tester();
    await t.start();
    expect(await reach()).toEqual(['refused', 'refused']);
    await t.applyBans(CLIENT.v4, CLIENT.v6, '203.0.113.0/24');
    const m = jailMetric('sshd');
    expect(routes(4)).toEqual([`blackhole ${CLIENT.v4} ${m}`, `blackhole 203.0.113.0/24 ${m}`]);
    expect(routes(6)).toEqual([`blackhole ${CLIENT.v6} ${m}`]);
    expect(action(t).stats.batches).toBe(1);
    expect(await reach()).toEqual(['timeout', 'timeout']);
    // At least once: the same bans and unbans again change nothing and fail nothing.
    await t.applyBans(CLIENT.v4);
    await t.applyUnbans(CLIENT.v4, CLIENT.v6, CLIENT.v6);
    await t.applyUnbans(CLIENT.v4);
    expect(await reach()).toEqual(['refused', 'refused']);
    expect(routes(4)).toEqual([`blackhole 203.0.113.0/24 ${m}`]);
    await t.stop();
    expect(routes(4)).toEqual([]);
    expect(t.errors).toEqual([]);
  });

  it('unreachable and prohibit routes in a table of their own; a rule sends the traffic there', async () => {
    inNs(pair.srv, 'ip', ['rule', 'add', 'pref', '100', 'lookup', '100']);
    inNs(pair.srv, 'ip', ['-6', 'rule', 'add', 'pref', '100', 'lookup', '100']);
    const t = tester({ blocktype: 'unreachable', table: 100 });
    const p = tester({ blocktype: 'prohibit', table: 100 }, 'web');
    await t.start();
    await p.start();
    await t.applyBans(CLIENT.v4);
    await p.applyBans(CLIENT.v6);
    expect(routes(4, '100')).toEqual([`unreachable ${CLIENT.v4} ${jailMetric('sshd')}`]);
    expect(routes(6, '100')).toEqual([`prohibit ${CLIENT.v6} ${jailMetric('web')}`]);
    expect(routes(4)).toEqual([]);
    expect(await reach()).toEqual(['timeout', 'timeout']);
    // Each jail keeps to its own routes: the checks find nothing to add or remove.
    expect(await action(t).check()).toEqual({ ok: true, readded: 0, removed: 0 });
    expect(await action(p).check()).toEqual({ ok: true, readded: 0, removed: 0 });
    expect([...t.errors, ...p.errors]).toEqual([]);
  });

  it('repairs: flushed routes come back, a route nobody banned goes; listBanned lists what is there', async () => {
    const t = tester();
    await t.start();
    await t.applyBans(CLIENT.v4, CLIENT.v6);
    inNs(pair.srv, 'ip', ['route', 'flush', 'proto', '242']);
    inNs(pair.srv, 'ip', ['-6', 'route', 'flush', 'proto', '242']);
    expect(await reach()).toEqual(['refused', 'refused']);
    const m = jailMetric('sshd');
    inNs(pair.srv, 'ip', ['route', 'add', 'blackhole', '192.0.2.99', 'proto', '242', 'metric', String(m)]);
    expect(await action(t).check()).toEqual({ ok: true, readded: 2, removed: 1 });
    expect(routes(4)).toEqual([`blackhole ${CLIENT.v4} ${m}`]);
    expect(await reach()).toEqual(['timeout', 'timeout']);
    expect((await action(t).listBanned()).map((b) => b.id).sort()).toEqual([CLIENT.v6, CLIENT.v4].sort());
    expect(action(t).stats.repairs).toBe(1);
  });

  it('a table or a namespace that does not exist is reported once; the bans stay queued for the retry', async () => {
    const t = tester({ table: 'nosuchtable' });
    await t.start();
    expect(t.errors).toEqual([expect.objectContaining({ code: 'F2B_ERR_ROUTE_FAILED' })]);
    const gone = tester({ netns: `${pair.srv}-gone` }, 'gone');
    await gone.start();
    expect(gone.errors).toEqual([expect.objectContaining({ code: 'F2B_ERR_ROUTE_NETNS' })]);
    await gone.applyBans(CLIENT.v4);
    expect(action(gone).pending()).toBe(1);
    expect(gone.errors).toHaveLength(1);
  });
  it('the periodic check repairs on its own (checkInterval)', async () => {
    const t = tester({ checkInterval: '0.1s' });
    await t.start();
    await t.applyBans(CLIENT.v4);
    inNs(pair.srv, 'ip', ['route', 'flush', 'proto', '242']);
    await until('the route to come back', async () => (await inNsAsync(pair.srv, 'ip', ['-4', 'route', 'show', 'proto', '242'])).includes(CLIENT.v4));
    expect(await probe(pair.cli, SERVER.v4)).toBe('timeout');
    expect(t.errors).toEqual([]);
  });
});
