/**
 * A burst of 5,000 bans: every one reaches Cloudflare, and the client-side limiter keeps the action
 * within the rate limit (the fake enforces its own and would answer 429). The limit is raised from
 * Cloudflare's 1,200 per 5 minutes to 1,000 per second for the test's speed; the limiter's guarantee
 * (at most `requests` in ANY window of `perSeconds`) is checked on the fake's arrival times, and the
 * burst cannot finish faster than the limit allows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../src/testing/index.js';
import { ACCOUNT, listIps, manyIps, ourRules, startFake, tester, ZONE } from './helpers.js';

let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});

/** The most requests that arrived within any `windowMs`. */
function busiestWindow(times: number[], windowMs: number): number {
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

describe('a burst of 5,000 bans', () => {
  it('access rules: 5,000 rules, no 429, never more than the limit in any window', async () => {
    // The fake allows 1,000 per 0.9 s: a little slack for loopback scheduling jitter.
    const s = await startFake({ rateLimit: { requests: 1000, perSeconds: 0.9 } });
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, rateLimit: { requests: 1000, perSeconds: 1 } });
    const ips = manyIps(5000);
    const started = performance.now();
    await t.start();
    await t.applyBans(...ips);
    const elapsed = performance.now() - started;
    expect(ourRules(fake, `zones/${ZONE}`)).toHaveLength(5000);
    expect(new Set(ourRules(fake, `zones/${ZONE}`)).size).toBe(5000);
    expect(fake.stats.rateLimited).toBe(0);
    expect(t.action.clientStats()).toMatchObject({ rateLimited: 0, retries: 0 });
    const times = fake.requests.map((r) => r.time);
    expect(times.length).toBe(5001); // one listing, one POST per ban
    // At most 1,000 in any second: 5,001 requests take at least 4 s.
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(busiestWindow(times, 1000)).toBeLessThanOrEqual(1000 + 10);
    console.log(`access rules: 5,000 bans in ${(elapsed / 1000).toFixed(1)} s (limit 1,000/s), busiest second ${busiestWindow(times, 1000)} requests`);
    await t.stop();
  }, 60_000);

  it('list mode: 5,000 bans in a handful of bulk operations, then 5,000 unbans', async () => {
    const s = await startFake({ rateLimit: { requests: 50, perSeconds: 1 } });
    fake = s.fake;
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, rateLimit: { requests: 50, perSeconds: 1 } });
    const ips = manyIps(5000, 172);
    const started = performance.now();
    await t.applyBans(...ips);
    expect(listIps(fake, ACCOUNT)).toHaveLength(5000);
    await t.applyUnbans(...ips);
    expect(listIps(fake, ACCOUNT)).toEqual([]);
    expect(fake.stats.rateLimited).toBe(0);
    expect(fake.lists.stats).toEqual({ operations: 10, conflicts: 0 }); // 1,000 items per operation
    console.log(`list mode: 5,000 bans + 5,000 unbans in ${((performance.now() - started) / 1000).toFixed(1)} s, ${fake.stats.requests} requests`);
    await t.stop();
  }, 60_000);
});
