/**
 * Issue 15, the fleet with a real firewall: three daemons with dry-run (`log`) actions and a fourth
 * whose action is real nftables in a network namespace this test creates (a unique namespace and
 * table, both removed after), all on one real redis-server. A ban decided on another host becomes
 * an element of the fourth host's kernel set; an unban made on yet another host removes it. Needs
 * root (namespaces, nftables): skipped elsewhere with the reason printed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runF2b } from './helpers.js';
import { redisSkipReason } from './redis-lab.js';
import { banSeen, fail, fleetLab, type FleetLab, type Host } from './fleet-lab.js';
import { addNetns, delNetns, nftUnavailable, setElements, uniqueName, waitFor } from '../packages/action-nftables/test/netns.js';

const ACTION = join(ROOT, 'packages/action-nftables/dist/index.js');
const skip = redisSkipReason() ?? nftUnavailable() ?? (existsSync(ACTION) ? null : `${ACTION} is not built (run \`npx tsc -b\`)`);
if (skip) console.log(`fleet nftables e2e skipped: ${skip}`);

const NS = uniqueName('fleet');
const TABLE = `f2b_fleet_${process.pid}`;
let lab: FleetLab;
let hosts: Host[];

beforeAll(async () => {
  if (skip) return;
  addNetns(NS);
  lab = await fleetLab('nft');
  const firewall = { actions: [{ type: 'nftables', netns: NS, table: TABLE, checkInterval: '1s', retryDelay: '0.2s' }, 'log'] };
  hosts = [lab.configure('web-1'), lab.configure('web-2'), lab.configure('web-3'), lab.configure('fw-1', firewall, { plugins: [ACTION] })];
  await Promise.all(hosts.map((h) => lab.start(h)));
}, 60_000);

afterAll(async () => {
  await lab?.close();
  if (!skip) delNetns(NS); // the table goes with the namespace
}, 30_000);

const inSet = (family: 4 | 6, ip: string) => setElements(NS, 'inet', TABLE, `f2b_sshd_v${family}`).some((e) => e.value === ip);

describe.skipIf(skip !== null)('a fleet with one nftables host', () => {
  it("a ban decided on another host is an element of the nftables host's kernel set; an unban elsewhere removes it", async () => {
    const [a, b, c, fw] = hosts as [Host, Host, Host, Host];
    // A distributed brute force: one failure on each dry-run host, counted fleet-wide.
    for (const h of [a, b, c]) fail(h, '203.0.113.30');
    await banSeen(fw, '203.0.113.30');
    await waitFor('203.0.113.30 in the kernel set', () => inSet(4, '203.0.113.30'));
    // An IPv6 attacker brute-forced on web-2 alone.
    for (let k = 0; k < 3; k++) fail(b, '2001:db8::30');
    await banSeen(fw, '2001:db8::30');
    await waitFor('2001:db8::30 in the kernel set', () => inSet(6, '2001:db8::30'));
    const element = setElements(NS, 'inet', TABLE, 'f2b_sshd_v4').find((e) => e.value === '203.0.113.30')!;
    expect(element.timeout).toBeGreaterThan(3000); // the fleet's end (bantime 1h), as a kernel timeout

    // Unbanned by hand on web-3 (which holds the ban from the fleet): gone from the kernel.
    expect((await runF2b(['unban', '203.0.113.30', '--jail', 'sshd', '--socket', c.sock])).code).toBe(0);
    await fw.d!.waitFor(/NOTICE \[sshd\] Unban 203\.0\.113\.30 \(manual\)/, 'stderr');
    await waitFor('203.0.113.30 out of the kernel set', () => !inSet(4, '203.0.113.30'));
    expect(inSet(6, '2001:db8::30')).toBe(true);
  });
});
