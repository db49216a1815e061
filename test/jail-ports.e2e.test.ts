/**
 * fail2ban's `banaction` + `port`, the f2b way: `defaults.actions` names the nftables action once,
 * and a jail's `port: "ssh,2222"` (service name resolved from /etc/services at config time) makes it
 * ban only those ports. The real daemon bans inside a server namespace this test creates; a client
 * namespace on a veth pair sends real packets: ports 22 and 2222 are dropped, port 9 still answers.
 * The ipset action reads the jail's ports the same way (one multiport rule).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir, until, type RunningF2b } from './helpers.js';
import { createPair, netnsUnavailable, outputIn, PAIR_CLIENT, PAIR_SERVER, probe, type Pair } from './netns-pair.js';

const skip = netnsUnavailable({ programs: ['nft'], hint: 'apt install nftables' });
if (skip) console.log(`skipping the jail ports end-to-end test: ${skip}`);
const skipIpset = netnsUnavailable({ programs: ['ipset', 'iptables-nft', 'ip6tables-nft'], hint: 'apt install ipset iptables' });
if (skipIpset) console.log(`skipping the jail ports end-to-end test of ipset: ${skipIpset}`);

describe.skipIf(skip !== null)("a jail's port with defaults.actions (real nft in test namespaces)", () => {
  const tmp = tempDir('f2b-jail-ports-');
  const log = join(tmp.dir, 'auth.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  let pair: Pair;
  let f2b: RunningF2b;
  let pid = 100;
  const fail = (ip: string) => appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${40000 + pid} ssh2`, { pid: pid++ }));
  const ruleset = () => JSON.parse(outputIn(pair.srv, 'nft', ['-j', 'list', 'ruleset']) || '{"nftables":[]}') as { nftables: Record<string, unknown>[] };

  beforeAll(async () => {
    pair = createPair();
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { type: 'memory' },
        socket: join(tmp.dir, 'f2b.sock'),
        defaults: { actions: [{ type: 'nftables', netns: pair.srv, checkInterval: 0, monitor: false }, 'log'], maxretry: 2, bantime: '1h' },
        jails: { sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', port: 'ssh,2222' } },
      }),
    );
    f2b = startF2b(['start', '--foreground', '--config', cfgFile]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await f2b?.stop();
    pair?.remove();
    tmp.cleanup();
  });

  it("drops a banned address on the jail's ports only", async () => {
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4, 22), probe(pair.cli, PAIR_SERVER.v4, 9)])).toEqual(['refused', 'refused']);
    fail(PAIR_CLIENT.v4);
    fail(PAIR_CLIENT.v4);
    await until('the ban', () => f2b.stdout().includes(`[sshd] Ban ${PAIR_CLIENT.v4} `));
    // The rule matches tcp destination ports 22 and 2222 ("ssh" resolved from /etc/services).
    const rules = ruleset().nftables.filter((o) => o.rule);
    expect(JSON.stringify(rules)).toContain('"dport"');
    expect(JSON.stringify(rules)).toContain('{"set":[22,2222]}');
    await until('the address in the set', () => outputIn(pair.srv, 'nft', ['list', 'set', 'inet', 'f2b', 'f2b_sshd_v4']).includes(PAIR_CLIENT.v4));
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4, 22), probe(pair.cli, PAIR_SERVER.v4, 2222), probe(pair.cli, PAIR_SERVER.v4, 9)])).toEqual([
      'timeout',
      'timeout',
      'refused',
    ]);
    expect(await f2b.stop('SIGTERM')).toBe(0);
    expect(f2b.stderr()).not.toMatch(/F2B_ERR_NFT/);
  }, 60_000);
});

describe.skipIf(skipIpset !== null)("a jail's port with the ipset action (real ipset and iptables in test namespaces)", () => {
  const tmp = tempDir('f2b-jail-ports-ipset-');
  const log = join(tmp.dir, 'auth.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  let pair: Pair;
  let f2b: RunningF2b;
  let pid = 100;
  const fail = (ip: string) => appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${40000 + pid} ssh2`, { pid: pid++ }));

  beforeAll(async () => {
    pair = createPair();
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { type: 'memory' },
        socket: join(tmp.dir, 'f2b.sock'),
        defaults: { actions: [{ type: 'ipset', netns: pair.srv, checkInterval: 0 }, 'log'], maxretry: 2, bantime: '1h' },
        jails: { sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', port: ['ssh', '2222'] } },
      }),
    );
    f2b = startF2b(['start', '--foreground', '--config', cfgFile]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await f2b?.stop();
    pair?.remove();
    tmp.cleanup();
  });

  it("drops a banned address on the jail's ports only", async () => {
    fail(PAIR_CLIENT.v4);
    fail(PAIR_CLIENT.v4);
    await until('the address in the set', () => outputIn(pair.srv, 'ipset', ['save', 'f2b-sshd-v4']).includes(`add f2b-sshd-v4 ${PAIR_CLIENT.v4} `));
    expect(outputIn(pair.srv, 'iptables-nft', ['-w', '-S', 'INPUT'])).toContain('-m multiport --dports 22,2222');
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4, 22), probe(pair.cli, PAIR_SERVER.v4, 2222), probe(pair.cli, PAIR_SERVER.v4, 9)])).toEqual([
      'timeout',
      'timeout',
      'refused',
    ]);
    expect(await f2b.stop('SIGTERM')).toBe(0);
    expect(f2b.stderr()).not.toMatch(/F2B_ERR_IPSET/);
  }, 60_000);
});
