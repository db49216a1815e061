/**
 * `@f2b/action-ipset` end to end: the real `f2b` daemon (finding the action by its type, as an
 * installed package) tails an sshd log and bans with ipset + iptables inside a server namespace the
 * test creates; a client namespace on a veth pair sends real packets. The ban lands in the kernel
 * (the set holds the address with its timeout; new connections are dropped), `f2b unban` lets the
 * client in again, a flushed set is refilled by the daemon, and stopping removes rules and sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { F2B, ROOT, sshdLine, startF2b, tempDir, until, type RunningF2b } from './helpers.js';
import { createPair, netnsUnavailable, outputIn, PAIR_CLIENT, PAIR_SERVER, probe, type Pair } from './netns-pair.js';

const skip = netnsUnavailable({ programs: ['ipset', 'iptables-nft', 'ip6tables-nft'], hint: 'apt install ipset iptables' });
if (skip) console.log(`skipping the ipset end-to-end test: ${skip}`);
const run = promisify(execFile);

describe.skipIf(skip !== null)('f2b with the ipset action (real ipset and iptables in test namespaces)', () => {
  const tmp = tempDir('f2b-ipset-e2e-');
  const log = join(tmp.dir, 'auth.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  let pair: Pair;
  let f2b: RunningF2b;
  let pid = 100;
  const members = (v: 4 | 6) =>
    outputIn(pair.srv, 'ipset', ['save', `f2b-sshd-v${v}`])
      .split('\n')
      .filter((l) => l.startsWith('add '));
  const fail = (ip: string) => appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${40000 + pid} ssh2`, { pid: pid++ }));

  beforeAll(async () => {
    pair = createPair();
    writeFileSync(log, '');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            findtime: '10m',
            bantime: '1h',
            actions: [{ type: 'ipset', netns: pair.srv, checkInterval: '1s', retryDelay: '0.2s' }, 'log'],
          },
        },
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

  it('bans the client (v4 and v6): packets dropped in the kernel; unban lets it in; a flushed set is refilled; stop cleans up', async () => {
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4), probe(pair.cli, PAIR_SERVER.v6)])).toEqual(['refused', 'refused']);
    for (const ip of [PAIR_CLIENT.v4, PAIR_CLIENT.v4, PAIR_CLIENT.v6, PAIR_CLIENT.v6]) fail(ip);
    await until('both bans in the sets', () => members(4).length === 1 && members(6).length === 1);
    expect(members(4)[0]).toMatch(new RegExp(`^add f2b-sshd-v4 ${PAIR_CLIENT.v4.replace(/\./g, '\\.')} timeout (\\d+) comment "f2b end=\\d+"$`));
    const timeout = Number(/timeout (\d+)/.exec(members(4)[0]!)![1]);
    expect(timeout).toBeGreaterThan(3500);
    expect(timeout).toBeLessThanOrEqual(3600);
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4), probe(pair.cli, PAIR_SERVER.v6)])).toEqual(['timeout', 'timeout']);
    expect(f2b.stdout()).toContain(`[sshd] Ban ${PAIR_CLIENT.v4} `);

    outputIn(pair.srv, 'ipset', ['flush', 'f2b-sshd-v4']);
    await until('the daemon to refill the set', () => members(4).length === 1);
    expect(await probe(pair.cli, PAIR_SERVER.v4)).toBe('timeout');

    await run(process.execPath, [F2B, 'unban', PAIR_CLIENT.v4, '--config', cfgFile], { cwd: ROOT });
    await until('the v4 element to go', () => members(4).length === 0);
    expect(await probe(pair.cli, PAIR_SERVER.v4)).toBe('refused');

    expect(await f2b.stop('SIGTERM')).toBe(0);
    expect(outputIn(pair.srv, 'ipset', ['list', '-n']).trim()).toBe('');
    expect(outputIn(pair.srv, 'iptables-nft', ['-w', '-S', 'INPUT']).trim()).toBe('-P INPUT ACCEPT');
    expect(f2b.stderr()).not.toMatch(/F2B_ERR_IPSET/);
  }, 90_000);
});
