/**
 * `@f2b/action-route` end to end: the real `f2b` daemon (finding the action by its type) tails an
 * sshd log and bans with blackhole routes inside a server namespace the test creates; a client
 * namespace on a veth pair sends real packets. The ban lands (a route of f2b's protocol; the
 * server's answers to the client go nowhere), routes flushed by hand come back, `f2b unban` removes
 * one, and stopping removes the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { F2B, ROOT, sshdLine, startF2b, tempDir, until, type RunningF2b } from './helpers.js';
import { createPair, netnsUnavailable, outputIn, PAIR_CLIENT, PAIR_SERVER, probe, type Pair } from './netns-pair.js';

const skip = netnsUnavailable();
if (skip) console.log(`skipping the route end-to-end test: ${skip}`);
const run = promisify(execFile);

describe.skipIf(skip !== null)('f2b with the route action (real routes in test namespaces)', () => {
  const tmp = tempDir('f2b-route-e2e-');
  const log = join(tmp.dir, 'auth.log');
  const cfgFile = join(tmp.dir, 'f2b.config.json');
  let pair: Pair;
  let f2b: RunningF2b;
  let pid = 100;
  const routes = (v: 4 | 6) =>
    (JSON.parse(outputIn(pair.srv, 'ip', ['-j', `-${v}`, 'route', 'show', 'proto', '242']) || '[]') as { type: string; dst: string }[]).map(
      (r) => `${r.type} ${r.dst}`,
    );
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
            actions: [{ type: 'route', netns: pair.srv, checkInterval: '0.5s', retryDelay: '0.2s' }, 'log'],
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

  it('bans the client (v4 and v6) with blackhole routes; flushed routes come back; unban and stop remove them', async () => {
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4), probe(pair.cli, PAIR_SERVER.v6)])).toEqual(['refused', 'refused']);
    for (const ip of [PAIR_CLIENT.v4, PAIR_CLIENT.v4, PAIR_CLIENT.v6, PAIR_CLIENT.v6]) fail(ip);
    await until('both routes', () => routes(4).length === 1 && routes(6).length === 1);
    expect([...routes(4), ...routes(6)]).toEqual([`blackhole ${PAIR_CLIENT.v4}`, `blackhole ${PAIR_CLIENT.v6}`]);
    expect(await Promise.all([probe(pair.cli, PAIR_SERVER.v4), probe(pair.cli, PAIR_SERVER.v6)])).toEqual(['timeout', 'timeout']);

    outputIn(pair.srv, 'ip', ['-6', 'route', 'flush', 'proto', '242']);
    await until('the daemon to add the v6 route back', () => routes(6).length === 1);
    expect(await probe(pair.cli, PAIR_SERVER.v6)).toBe('timeout');

    await run(process.execPath, [F2B, 'unban', PAIR_CLIENT.v4, '--config', cfgFile], { cwd: ROOT });
    await until('the v4 route to go', () => routes(4).length === 0);
    expect(await probe(pair.cli, PAIR_SERVER.v4)).toBe('refused');

    expect(await f2b.stop('SIGTERM')).toBe(0);
    expect([...routes(4), ...routes(6)]).toEqual([]);
    expect(f2b.stderr()).not.toMatch(/F2B_ERR_ROUTE/);
  }, 90_000);
});
