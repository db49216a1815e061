/**
 * Defects found by checking the action against Cloudflare's documentation and SDKs, each reproduced
 * on the (strict) fake: a lost wakeup in the scope queue, paging that trusted `total_pages`, a full
 * list that starved unbans, IPv6 duplicates looked up with an undocumented search, a gone rule that
 * comes back as 400, malformed tokens answered with 400, and Cloudflare's five-minute 429 block.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CF_CODES, type CloudflareOptions } from '../src/index.js';
import type { FakeCloudflare } from '../src/testing/index.js';
import { ACCOUNT, listIps, ourRules, startFake, tester, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});

/** How each promise ended, or 'pending' if it had not within `ms`. */
async function outcome(ps: Promise<unknown>[], ms = 3000): Promise<string[]> {
  const marks = ps.map(() => 'pending');
  ps.forEach((p, i) => {
    p.then(
      () => {
        marks[i] = 'fulfilled';
      },
      () => {
        marks[i] = 'rejected';
      },
    );
  });
  const deadline = Date.now() + ms;
  while (marks.includes('pending') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return marks;
}

describe('the scope queue', () => {
  for (const options of [{ zoneId: ZONE }, { mode: 'list', accountId: ACCOUNT }] as CloudflareOptions[]) {
    it(`settles two calls made in one tick for addresses Cloudflare holds (${options.mode ?? 'access-rules'})`, async () => {
      const s = await startFake();
      fake = s.fake;
      const t = tester(s.apiBase, options);
      await t.start();
      await t.applyBans('192.0.2.40');
      // Neither call needs a request: the first drain ends at once, before the second call's job
      // was looked at. The second call must settle anyway (it used to wait for the next call).
      const a = t.instance.ban([t.ban('192.0.2.40')]);
      const b = t.instance.ban([t.ban('192.0.2.40')]);
      expect(await outcome([a, b])).toEqual(['fulfilled', 'fulfilled']);
      await t.stop();
    });
  }
});

describe('paging access rules', () => {
  it('reads every page without total_pages (the schema promises total_count, not total_pages)', async () => {
    const s = await startFake();
    fake = s.fake;
    for (let i = 0; i < 250; i++) fake.accessRules.add(SCOPE, { target: 'ip', value: `198.51.100.${i}`, notes: 'f2b: web' });
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    // None of the 250 is banned any more: the reconcile must find them on all three pages.
    expect(await t.action.reconcile()).toEqual({ created: 0, deleted: 250 });
    expect(ourRules(fake, SCOPE)).toEqual([]);
    await t.stop();
  });

  it('the fake sends only the documented result_info fields and caps per_page at 1000', async () => {
    const s = await startFake();
    fake = s.fake;
    for (let i = 0; i < 1100; i++) fake.accessRules.add(SCOPE, { target: 'ip', value: `10.9.${i >> 8}.${i & 255}` });
    const res = await fetch(`${s.apiBase}/${SCOPE}/firewall/access_rules/rules?per_page=5000`, {
      headers: { authorization: `Bearer ${process.env.F2B_CF_TEST_TOKEN}` },
    });
    const body = (await res.json()) as { result: unknown[]; result_info: Record<string, number> };
    expect(body.result).toHaveLength(1000);
    expect(body.result_info).toEqual({ page: 1, per_page: 1000, count: 1000, total_count: 1100 });
  });
});

describe('a full list', () => {
  it('removes before it adds: a refused add is set aside once, with the cap, and the unbans go on', async () => {
    const s = await startFake({ maxItems: 10 });
    fake = s.fake;
    const list = fake.lists.addList(ACCOUNT, 'f2b_banned');
    // Ten items an earlier run left behind (their unbans were lost): the account is at its cap.
    for (let i = 0; i < 10; i++) fake.lists.addItem(list, `203.0.113.${i}`, 'f2b: web');
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, maxItems: 10 });
    await t.start();
    // No room: the bans are set aside (reported once, with the cap) instead of failing the batch.
    await t.applyBans('192.0.2.50', '192.0.2.51', '192.0.2.52');
    await t.applyBans('192.0.2.53');
    const full = t.errors.filter((e) => (e as { code?: string }).code === CF_CODES.listFull);
    expect(full).toHaveLength(1);
    expect((full[0] as Error).message).toMatch(/at most 10 list items/);
    // One reconcile: the stale items go first, which makes room for every ban in force.
    expect(await t.action.reconcile()).toEqual({ created: 4, deleted: 10 });
    expect(listIps(fake, ACCOUNT)).toEqual(['192.0.2.50', '192.0.2.51', '192.0.2.52', '192.0.2.53']);
    await t.stop();
  });
});

describe('answers Cloudflare does not document the way the action used to expect', () => {
  it('an IPv6 duplicate is found without the value search (documented for IPv4 only)', async () => {
    const s = await startFake();
    fake = s.fake;
    fake.accessRules.add(SCOPE, { target: 'ip6', value: '2001:db8::77', mode: 'whitelist', notes: 'office' });
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    await t.applyBans('2001:db8::77'); // 10009: someone else's rule; it counts as the ban
    expect(t.errors).toEqual([]);
    expect(t.logger.records.filter((r) => r.msg.includes('that f2b did not make'))).toHaveLength(1);
    // Our own IPv6 rule whose create answer was lost is adopted, not made twice.
    await fake.outage({ kind: 'lose', requests: 1 });
    await t.applyBans('2001:db8::78');
    expect(ourRules(fake, SCOPE)).toEqual(['2001:db8::78']);
    await t.applyUnbans('2001:db8::77', '2001:db8::78');
    expect(fake.accessRules.rules(SCOPE).map((r) => r.configuration.value)).toEqual(['2001:db8::77']);
    await t.stop();
  });

  it('a rule that is gone may be answered with 400: the unban checks and is done', async () => {
    const s = await startFake({ missingRuleStatus: 400 });
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    await t.applyBans('192.0.2.60');
    const rule = fake.accessRules.rules(SCOPE)[0]!;
    expect(fake.accessRules.delete(SCOPE, rule.id)).toBe(true); // deleted by hand in the dashboard
    await t.applyUnbans('192.0.2.60');
    expect(t.errors).toEqual([]);
    await t.stop();
  });

  it('a malformed token (HTTP 400, 6003/6111) is reported as a refused token', async () => {
    const s = await startFake();
    fake = s.fake;
    process.env.F2B_CF_MALFORMED = 'not.a"token';
    const t = tester(s.apiBase, { zoneId: ZONE, tokenEnv: 'F2B_CF_MALFORMED' });
    await t.start();
    const err = await t.applyBans('192.0.2.61').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CF_CODES.auth, status: 400, message: expect.stringContaining('6111 "Invalid format for Authorization header"') });
    await t.stop();
  });

  it("during Cloudflare's five-minute block after a 429 nothing is sent, and the calls fail at once", async () => {
    const s = await startFake({ rateLimit: { requests: 3, perSeconds: 60 }, blockSeconds: 300 });
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, maxAttempts: 4 });
    await t.start(); // 1 request
    const err = await t.applyBans('192.0.2.70', '192.0.2.71', '192.0.2.72', '192.0.2.73').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: CF_CODES.rateLimited, message: expect.stringContaining('retry after 300 s') });
    const sent = fake.stats.requests;
    for (let i = 0; i < 5; i++) await expect(t.applyBans('192.0.2.74')).rejects.toMatchObject({ code: CF_CODES.rateLimited });
    expect(fake.stats.requests).toBe(sent);
    await t.stop();
  });
});
