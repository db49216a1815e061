/**
 * Access-rules mode against the fake Cloudflare: round trips (IPv4, IPv6, ranges; zone and account
 * level), idempotence, rules f2b did not make, reconciliation over several pages, and two jails
 * sharing one rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Core, memoryLogger } from '@f2b/core';
import cloudflareAction, { CF_CODES, type CloudflareAction } from '../src/index.js';
import type { FakeCloudflare } from '../src/testing/index.js';
import { ACCOUNT, baseOptions, ourRules, startFake, tester, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});

describe('access rules', () => {
  it("bans and unbans IPv4, IPv6 and ranges with one rule each, noted as f2b's", async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { zoneId: ZONE, ruleMode: 'managed_challenge' });
    await t.start();
    await t.applyBans('192.0.2.10', '2001:db8::beef', '198.51.100.0/24', '2001:db8:42::/48');
    const rules = fake.accessRules.rules(SCOPE);
    expect(rules.map((r) => [r.configuration.target, r.configuration.value, r.mode])).toEqual([
      ['ip', '192.0.2.10', 'managed_challenge'],
      ['ip6', '2001:db8::beef', 'managed_challenge'],
      ['ip_range', '198.51.100.0/24', 'managed_challenge'],
      ['ip_range', '2001:db8:42::/48', 'managed_challenge'],
    ]);
    // Each noted as f2b's, with the jail and when the ban ends.
    for (const r of rules) expect(r.notes).toMatch(/^f2b: web until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Banning again costs nothing: the action knows Cloudflare has it.
    const posts = fake.count('POST');
    await t.applyBans('192.0.2.10', '2001:db8::beef');
    expect(fake.count('POST')).toBe(posts);
    await t.applyUnbans('192.0.2.10', '2001:db8::beef', '198.51.100.0/24', '2001:db8:42::/48');
    expect(fake.accessRules.rules(SCOPE)).toEqual([]);
    // An unban of what is not there is done at once.
    await t.applyUnbans('203.0.113.1');
    expect(t.errors).toEqual([]);
    await t.stop();
  });

  it('works at account level too, and reports a ban Cloudflare cannot hold without failing the batch', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { accountId: ACCOUNT });
    await t.applyBans('192.0.2.20', '192.0.2.0/20');
    expect(ourRules(fake, `accounts/${ACCOUNT}`)).toEqual(['192.0.2.20']);
    expect(t.errors).toEqual([expect.objectContaining({ code: CF_CODES.target })]);
    await t.stop();
  });

  it('adopts its own rule from an earlier run instead of duplicating it', async () => {
    const s = await startFake();
    fake = s.fake;
    fake.accessRules.add(SCOPE, { target: 'ip', value: '192.0.2.30', notes: 'f2b: web' });
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.applyBans('192.0.2.30');
    expect(fake.count('POST')).toBe(0);
    await t.applyUnbans('192.0.2.30');
    expect(fake.accessRules.rules(SCOPE)).toEqual([]);
    await t.stop();
  });

  it('never touches a rule it did not make: not on ban, unban, or reconcile', async () => {
    const s = await startFake();
    fake = s.fake;
    const foreign = fake.accessRules.add(SCOPE, { mode: 'whitelist', target: 'ip', value: '192.0.2.40', notes: 'office, added by hand' });
    const lookalike = fake.accessRules.add(SCOPE, { target: 'ip', value: '192.0.2.41', notes: 'not f2b: but mentions it' });
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    await t.applyBans('192.0.2.40'); // Cloudflare says duplicate: the rule found is not ours
    await t.applyUnbans('192.0.2.40', '192.0.2.41');
    expect(await t.action.reconcile()).toEqual({ created: 0, deleted: 0 });
    expect(fake.accessRules.rules(SCOPE)).toEqual([foreign, lookalike]);
    expect(fake.count('DELETE')).toBe(0);
    expect(t.logger.records.some((r) => r.level === 'warn' && r.msg.includes('192.0.2.40') && r.msg.includes('did not make'))).toBe(true);
    await t.stop();
  });

  it('reconciles after start: deletes its rules for addresses no longer banned, over several pages, and keeps the restored ones', async () => {
    const s = await startFake();
    fake = s.fake;
    for (let i = 0; i < 250; i++) fake.accessRules.add(SCOPE, { target: 'ip', value: `10.0.${i >> 8}.${i & 255}`, notes: 'f2b: web' });
    fake.accessRules.add(SCOPE, { target: 'ip', value: '192.0.2.50', notes: 'by hand' });
    const t = tester(s.apiBase, { zoneId: ZONE, reconcileDelay: 0.2 });
    await t.start();
    // The daemon restores the bans in force right after start: 10 of the 250 are still banned.
    await t.applyBans(...Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`), '192.0.2.51');
    expect(fake.count('POST')).toBe(1);
    const deadline = Date.now() + 10_000;
    // Until the reconcile has finished (its last DELETE answered and the result logged), not just until the fake holds 11.
    const reconciled = () => t.logger.records.some((r) => /deleted 240 stale/.test(r.msg));
    while (!reconciled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ourRules(fake, SCOPE)).toEqual([...Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`), '192.0.2.51'].sort());
    expect(fake.accessRules.rules(SCOPE).some((r) => r.configuration.value === '192.0.2.50')).toBe(true);
    expect(t.logger.records.some((r) => /deleted 240 stale/.test(r.msg))).toBe(true);
    await t.stop();
  });

  it('lets two jails share a rule: it stays until the last of them unbans', async () => {
    const s = await startFake();
    fake = s.fake;
    const core = new Core({ logLevel: 'silent' });
    core.use(cloudflareAction());
    const def = core.getAction('cloudflare')!.def;
    const make = (jail: string) =>
      def.create(baseOptions(s.apiBase, { zoneId: ZONE }) as Record<string, unknown>, {
        jail,
        logger: memoryLogger(jail),
        error: (e) => {
          throw e;
        },
      }) as CloudflareAction;
    const a = make('sshd');
    const b = make('nginx');
    await a.start();
    await b.start();
    const ban = (jail: string, start: number) => ({ jail, id: '192.0.2.60', start, end: start + 60_000, count: 1, failures: 3 });
    await a.ban([ban('sshd', 1000)]);
    await b.ban([ban('nginx', 2000)]);
    expect(fake.count('POST')).toBe(1);
    await a.unban([{ jail: 'sshd', id: '192.0.2.60', time: 3000, reason: 'expired' }]);
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.60']);
    // An unban older than the ban in force (an outbox replay out of order) is ignored.
    await b.unban([{ jail: 'nginx', id: '192.0.2.60', time: 1500, reason: 'expired' }]);
    expect(ourRules(fake, SCOPE)).toEqual(['192.0.2.60']);
    await b.unban([{ jail: 'nginx', id: '192.0.2.60', time: 4000, reason: 'expired' }]);
    expect(ourRules(fake, SCOPE)).toEqual([]);
    await a.stop();
    await b.stop();
  });
});
