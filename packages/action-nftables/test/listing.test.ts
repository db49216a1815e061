/**
 * `listBanned()`: the bans the kernel holds for a jail, read back from its sets — how f2b recovers
 * the bans in force after its state database was found corrupt. Parsing on nft's JSON, and the
 * real nft in a test network namespace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ActionTester, FakeClock } from '@f2b/core/testing';
import nftablesAction, { parseSetElements } from '../src/index.js';
import { addNetns, delNetns, nftUnavailable, uniqueName } from './netns.js';

describe('parseSetElements', () => {
  it('addresses, widened prefixes, remaining timeouts and permanent elements', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        {
          set: {
            family: 'inet',
            name: 's',
            table: 't',
            type: 'ipv6_addr',
            elem: [
              { elem: { val: '2001:DB8::1', timeout: 7200, expires: 7199 } },
              { prefix: { addr: '2001:db8:1::', len: 64 } },
              { elem: { val: { prefix: { addr: '192.0.2.7', len: 32 } }, timeout: 60, expires: 30 } },
              '198.51.100.9',
              { range: ['192.0.2.1', '192.0.2.9'] }, // not something f2b writes: skipped
            ],
          },
        },
      ],
    });
    expect(parseSetElements(json, 1_000_000)).toEqual([
      { id: '2001:db8::1', end: 1_000_000 + 7_199_000 },
      { id: '2001:db8:1::/64', end: null },
      { id: '192.0.2.7', end: 1_000_000 + 30_000 },
      { id: '198.51.100.9', end: null },
    ]);
  });
});

const skip = nftUnavailable();
if (skip) console.log(`skipping listBanned against the real nft: ${skip}`);

describe.skipIf(skip !== null)('listBanned against the real nft (in a test network namespace)', () => {
  const namespaces: string[] = [];
  afterEach(() => {
    for (const ns of namespaces.splice(0)) delNetns(ns);
  });

  it('lists what the sets hold, with the time left counted from the core clock, for both families and /64 widening', async () => {
    const ns = uniqueName('list');
    namespaces.push(ns);
    addNetns(ns);
    // A core clock years from the wall clock: the kernel's time left is counted from it, not from Date.now.
    const clock = new FakeClock('2031-05-01T00:00:00Z');
    const t = new ActionTester({
      plugin: nftablesAction(),
      type: 'nftables',
      jail: 'sshd',
      options: { netns: ns, table: `t${randomBytes(4).toString('hex')}`, checkInterval: 0, ipv6Prefix: 64 },
      clock,
    });
    await t.start();
    const now = clock.now();
    await t.instance.ban([t.ban('192.0.2.10', { bantime: 3600 }), t.ban('2001:db8::5', { bantime: -1 }), t.ban('198.51.100.0/24', { bantime: 60 })]);
    const listed = await t.instance.listBanned!();
    // From both sets of each family: addresses (plain sets) and networks (interval sets).
    expect(listed.map((b) => b.id).sort()).toEqual(['192.0.2.10', '198.51.100.0/24', '2001:db8::/64']);
    const v4 = listed.find((b) => b.id === '192.0.2.10')!;
    // The kernel counts down in real time meanwhile (a little); the fake clock stands still.
    expect(v4.end).toBeGreaterThan(now + 3_500_000);
    expect(v4.end).toBeLessThanOrEqual(now + 3_600_000);
    expect(listed.find((b) => b.id === '2001:db8::/64')!.end).toBeNull();
    await t.stop();
    expect(t.errors).toEqual([]);
    // A clean stop removed the table: nothing is listed, and that is not an error.
    expect(await t.instance.listBanned!()).toEqual([]);
  });
});
