/**
 * When Cloudflare misbehaves: 5xx, dropped and refused connections and hung requests are retried
 * within bounds and then thrown (the outbox keeps the work); a 429 is waited out for everyone; a bad
 * token is reported once, clearly, and never retried in a storm; the token appears nowhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CF_CODES } from '../src/index.js';
import { fail, type FakeCloudflare } from '../src/testing/index.js';
import { everythingSaid, ourRules, startFake, tester, TOKEN, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('resilience', () => {
  it('retries 5xx and dropped connections with backoff, within the attempts of one call', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 4 });
    await t.start();
    await fake.outage({ kind: 'status', status: 502, requests: 2 });
    await t.applyBans('192.0.2.1');
    await fake.outage({ kind: 'reset', requests: 2 });
    await t.applyBans('192.0.2.2');
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(t.action.clientStats()).toMatchObject({ serverErrors: 2, networkErrors: 2, retries: 4 });
    await t.stop();
  });

  it('throws after the last attempt (the outbox keeps the ban), and carries it out once Cloudflare is back', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 3 });
    await t.start();
    await fake.outage({ kind: 'status', status: 503 });
    const before = fake.stats.requests;
    await expect(t.applyBans('192.0.2.3', '192.0.2.4', '192.0.2.5')).rejects.toMatchObject({
      code: CF_CODES.unavailable,
      message: expect.stringContaining('after 3 attempt(s): HTTP 503'),
    });
    expect(fake.stats.requests - before).toBe(3); // the first item failed 3 times; the others were not tried
    // Calls right after a failure fail at once instead of waiting for the same timeouts again.
    await expect(t.applyBans('192.0.2.3')).rejects.toMatchObject({ code: CF_CODES.unavailable });
    expect(fake.stats.requests - before).toBe(3);
    await fake.endOutage();
    await pause(50);
    await t.applyBans('192.0.2.3', '192.0.2.4', '192.0.2.5');
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5']);
    await t.stop();
  });

  it('adopts or finds a rule whose creation answer was lost, so nothing is doubled or left behind', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 3 });
    await t.start();
    // The POST is carried out but its answer lost; the retry hears "duplicate" and adopts the rule.
    await fake.outage({ kind: 'lose', requests: 1 });
    await t.applyBans('192.0.2.11');
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.11']);
    // Every answer lost: the call fails, but the action knows the rule may exist and looks it up to unban.
    await fake.outage({ kind: 'lose', requests: 3 });
    await expect(t.applyBans('192.0.2.12')).rejects.toMatchObject({ code: CF_CODES.unavailable });
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.11', '192.0.2.12']);
    await pause(50);
    await t.applyUnbans('192.0.2.11', '192.0.2.12');
    expect(fake.accessRules.rules(SCOPE)).toEqual([]);
    await t.stop();
  });

  it('treats refused connections and hung requests (timeoutMs) as outages', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 2, timeoutMs: 200 });
    await t.start();
    await fake.outage({ kind: 'refuse' });
    await expect(t.applyBans('192.0.2.6')).rejects.toMatchObject({
      code: CF_CODES.unavailable,
      message: expect.stringMatching(/ECONNREFUSED|other side closed|ECONNRESET/),
    });
    await fake.endOutage();
    await pause(50);
    await fake.outage({ kind: 'hang', requests: 2 });
    await expect(t.applyBans('192.0.2.6')).rejects.toMatchObject({ code: CF_CODES.unavailable, message: expect.stringMatching(/[Tt]imeout/) });
    await pause(50);
    await t.applyBans('192.0.2.6');
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.6']);
    await t.stop();
  });

  it('waits out a 429 for Retry-After, all requests together, without a storm of 429s', async () => {
    const s = await startFake({ rateLimit: { requests: 4, perSeconds: 1 } });
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 4 });
    await t.start(); // 1 request
    const ips = Array.from({ length: 10 }, (_, i) => `192.0.2.${100 + i}`);
    const started = Date.now();
    await t.applyBans(...ips);
    expect(ourRules(fake, SCOPE)).toEqual(ips.sort());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500); // 11 requests at 4 per second
    // No storm: after a 429 nothing is sent until Retry-After (1 s) has passed; only the requests
    // already in flight (at most the action's concurrency, 4) can meet the same 429.
    const log = fake.requests;
    for (const r of log.filter((x) => x.status === 429)) {
      expect(log.filter((x) => x.time > r.time + 200 && x.time < r.time + 900)).toEqual([]);
    }
    expect(fake.stats.rateLimited).toBeLessThanOrEqual(4 * 3);
    expect(log.length).toBe(1 + ips.length + fake.stats.rateLimited);
    await t.stop();
  });

  it("reports a refused token once, with Cloudflare's code, and does not retry it in a storm", async () => {
    const s = await startFake({ tokens: ['some-other-valid-token'] });
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start(); // reads the rules: 401
    expect(fake.stats.requests).toBe(1);
    const err = await t.applyBans(...Array.from({ length: 50 }, (_, i) => `198.51.100.${i}`)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CF_CODES.auth, status: 401, message: expect.stringContaining('10000 "Authentication error"') });
    expect((err as { fix: string }).fix).toMatch(/permission/);
    for (let i = 0; i < 20; i++) await expect(t.applyUnbans(`198.51.100.${i}`)).rejects.toMatchObject({ code: CF_CODES.auth });
    // No request after the refusal: the calls fail at once, until the outbox's next retry (30 s).
    expect(fake.stats.requests).toBe(1);
    const authLines = t.logger.records.filter((r) => r.msg.includes(CF_CODES.auth));
    expect(authLines).toHaveLength(1);
    expect(authLines[0]!.level).toBe('error');
    // The token is fixed; an explicit reconcile asks Cloudflare at once (so would the outbox, 30 s later).
    fake.tokens.add(TOKEN);
    // The bans that failed are still wanted: the reconcile carries them out (the unbanned ones not).
    expect(await t.action.reconcile()).toEqual({ created: 30, deleted: 0 });
    await t.applyBans('198.51.100.1');
    expect(ourRules(fake, SCOPE)).toEqual(Array.from({ length: 31 }, (_, i) => `198.51.100.${i === 30 ? 1 : i + 20}`).sort());
    expect(t.logger.records.some((r) => r.msg.includes('accepts the API token again'))).toBe(true);
    expect(everythingSaid(t)).not.toContain(TOKEN);
    await t.stop();
  });

  it('never lets the token into a log line or an error, even if Cloudflare echoes it back', async () => {
    const s = await startFake();
    fake = s.fake;
    fake.intercept = (req) => (req.method === 'POST' ? fail(400, 1001, `invalid request from Bearer ${TOKEN} (token ${TOKEN})`) : null);
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    await t.applyBans('192.0.2.7'); // refused for this key: reported, not thrown
    await fake.outage({ kind: 'status', status: 500 });
    await t.applyBans('192.0.2.8').catch((e: unknown) => {
      t.errors.push(e);
    });
    expect(t.errors.length).toBe(2);
    expect(JSON.stringify(t.errors.map((e) => (e as Error).message))).toContain('[redacted]');
    expect(everythingSaid(t)).not.toContain(TOKEN);
    await t.stop();
  });
});
