/**
 * Issue 15, the fleet and repeat offenders: a ban received from the fleet does not count for the
 * receiving host's recidive jail (it would escalate on bans it never decided, and every host would
 * publish its own copy of the same recidive ban). The deciding host's recidive ban is shared like
 * any other, so the fleet still escalates once, everywhere. Two real daemons with
 * `recidive: { maxbans: 2 }` on a real redis-server (test/fleet-lab.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runF2b } from './helpers.js';
import { redisSkipReason } from './redis-lab.js';
import { banSeen, bannedOn, fleetLab, type FleetLab, type Host } from './fleet-lab.js';

const skip = redisSkipReason();
if (skip) console.log(`fleet recidive e2e skipped: ${skip}`);
let lab: FleetLab;
let a: Host;
let b: Host;

const recidive = { recidive: { maxbans: 2, findtime: '1d', bantime: '1w', actions: ['log'] } };

beforeAll(async () => {
  if (skip) return;
  lab = await fleetLab('recid');
  [a, b] = [lab.configure('web-1', {}, recidive), lab.configure('web-2', {}, recidive)];
  await Promise.all([lab.start(a), lab.start(b)]);
}, 40_000);

afterAll(async () => {
  await lab?.close();
});

const escaped = (ip: string) => ip.replace(/[.:]/g, '\\$&');
const recidiveBans = (h: Host, ip: string) => [...h.d!.stderr().matchAll(new RegExp(`NOTICE \\[recidive\\] Ban ${escaped(ip)} `, 'g'))].length;

async function banTwice(h: Host, ip: string, others: Host[]): Promise<void> {
  expect((await runF2b(['ban', 'sshd', ip, '--socket', h.sock])).code).toBe(0);
  for (const o of others) await banSeen(o, ip);
  expect((await runF2b(['unban', ip, '--jail', 'sshd', '--socket', h.sock])).code).toBe(0);
  for (const o of others) await o.d!.waitFor(new RegExp(`NOTICE \\[sshd\\] Unban ${escaped(ip)} \\(manual\\)`), 'stderr');
  expect((await runF2b(['ban', 'sshd', ip, '--socket', h.sock])).code).toBe(0);
}

describe.skipIf(skip !== null)('fleet bans and the recidive jail', () => {
  it("bans received from the fleet do not make the receiver escalate; the decider's recidive ban reaches it", async () => {
    // web-1 bans 203.0.113.70 twice in sshd: its own recidive jail escalates (maxbans 2).
    await banTwice(a, '203.0.113.70', [b]);
    await a.d!.waitFor(/NOTICE \[recidive\] Ban 203\.0\.113\.70 /, 'stderr');
    // web-2 received both sshd bans and web-1's recidive ban; it decided no recidive ban of its own.
    await b.d!.waitFor(/NOTICE \[recidive\] Ban 203\.0\.113\.70 /, 'stderr');
    const onB = await bannedOn(b, '203.0.113.70');
    const rec = onB.bans.filter((x) => x.rule !== null && /^fleet:/.test(x.rule) && x.origin === 'web-1');
    expect(rec.length).toBeGreaterThanOrEqual(2); // the sshd ban and the recidive ban, both from web-1
    // Exactly one recidive ban on each host, and exactly one in the fleet's stream.
    await new Promise((r) => setTimeout(r, 500)); // a second (wrong) recidive decision would arrive within this
    expect(recidiveBans(a, '203.0.113.70')).toBe(1);
    expect(recidiveBans(b, '203.0.113.70')).toBe(1);
    const r = lab.redis.client();
    const entries = (await r.call('XRANGE', `f2b:{${lab.fleet}}:stream`, '-', '+')) as [string, string[]][];
    const recidiveMessages = entries.filter(([, f]) => f[f.indexOf('j') + 1] === 'recidive' && f[f.indexOf('id') + 1] === '203.0.113.70');
    expect(recidiveMessages).toHaveLength(1);
    expect(recidiveMessages[0]![1][recidiveMessages[0]![1].indexOf('o') + 1]).toBe('web-1');
  });

  it("a host's own bans still escalate there (and the fleet gets that recidive ban)", async () => {
    await banTwice(b, '203.0.113.71', [a]);
    await b.d!.waitFor(/NOTICE \[recidive\] Ban 203\.0\.113\.71 /, 'stderr');
    await a.d!.waitFor(/NOTICE \[recidive\] Ban 203\.0\.113\.71 .*rule: fleet:web-2/, 'stderr');
    const onA = await bannedOn(a, '203.0.113.71');
    expect(onA.bans.some((x) => x.origin === 'web-2' && x.rule === 'fleet:web-2')).toBe(true);
  });
});
