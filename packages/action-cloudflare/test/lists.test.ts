/**
 * List mode against the fake Cloudflare: the list found or created, items added and removed through
 * asynchronous bulk operations (one pending per account), IPv6 banned as its /64, items f2b did not
 * add left alone, failed operations retried by the outbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Core, memoryLogger } from '@f2b/core';
import cloudflareAction, { CF_CODES, type CloudflareAction } from '../src/index.js';
import type { FakeCloudflare } from '../src/testing/index.js';
import { ACCOUNT, baseOptions, listIps, startFake, tester } from './helpers.js';

let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});

describe('lists', () => {
  it('creates the list, then adds and removes items, IPv6 as its /64', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT });
    await t.start();
    const list = fake.lists.list(ACCOUNT, 'f2b_banned')!;
    expect(list).toMatchObject({ kind: 'ip' });
    await t.applyBans('192.0.2.1', '2001:db8:1:2::a', '2001:db8:1:2::b', '198.51.100.0/24');
    expect(listIps(fake, ACCOUNT)).toEqual(['192.0.2.1', '198.51.100.0/24', '2001:db8:1:2::/64']);
    expect([...list.items.values()].every((i) => /^f2b: web until \S+Z$/.test(i.comment ?? ''))).toBe(true);
    expect(fake.lists.stats).toEqual({ operations: 1, conflicts: 0 }); // one batch, one bulk operation
    // The /64 stays while one of its addresses is still banned.
    await t.applyUnbans('2001:db8:1:2::a');
    expect(listIps(fake, ACCOUNT)).toContain('2001:db8:1:2::/64');
    await t.applyUnbans('2001:db8:1:2::b', '192.0.2.1', '198.51.100.0/24');
    expect(listIps(fake, ACCOUNT)).toEqual([]);
    await t.stop();
  });

  it('uses an existing list by name or id, and refuses a list of another kind', async () => {
    const s = await startFake();
    fake = s.fake;
    const mine = fake.lists.addList(ACCOUNT, 'edge_bans');
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, listName: 'edge_bans' });
    await t.applyBans('192.0.2.2');
    expect(listIps(fake, ACCOUNT, 'edge_bans')).toEqual(['192.0.2.2']);
    expect(fake.count('POST', '/rules/lists')).toBe(0);
    const byId = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, listId: mine.id }, 'other');
    await byId.applyBans('192.0.2.3');
    expect(listIps(fake, ACCOUNT, 'edge_bans')).toEqual(['192.0.2.2', '192.0.2.3']);
    const hosts = fake.lists.addList(ACCOUNT, 'hosts', 'hostname');
    const wrong = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, listId: hosts.id }, 'wrong');
    await expect(wrong.applyBans('192.0.2.4')).rejects.toThrow(/holds hostname items/);
    for (const x of [t, byId, wrong]) await x.stop();
  });

  it('leaves items it did not add alone, on unban and on reconcile, and deletes its stale ones', async () => {
    const s = await startFake();
    fake = s.fake;
    const list = fake.lists.addList(ACCOUNT, 'f2b_banned');
    fake.lists.addItem(list, '203.0.113.7', 'partner scanner, by hand');
    fake.lists.addItem(list, '203.0.113.8', 'f2b: web'); // left by an earlier run, no longer banned
    for (let i = 0; i < 600; i++) fake.lists.addItem(list, `10.1.${i >> 8}.${i & 255}`, 'f2b: web'); // several cursor pages
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT });
    await t.start();
    await t.applyBans('10.1.0.1', '203.0.113.7');
    await t.applyUnbans('203.0.113.7');
    expect(await t.action.reconcile()).toEqual({ created: 0, deleted: 600 });
    expect(listIps(fake, ACCOUNT)).toEqual(['10.1.0.1', '203.0.113.7']);
    expect(list.items.get('203.0.113.7')!.comment).toBe('partner scanner, by hand');
    await t.stop();
  });

  it('serialises bulk operations: two jails banning at once never hit the one-pending-operation limit', async () => {
    const s = await startFake({ bulkDelayMs: 40 });
    fake = s.fake;
    const core = new Core({ logLevel: 'silent' });
    core.use(cloudflareAction());
    const def = core.getAction('cloudflare')!.def;
    const make = (jail: string) =>
      def.create(baseOptions(s.apiBase, { mode: 'list', accountId: ACCOUNT }) as Record<string, unknown>, {
        jail,
        logger: memoryLogger(jail),
        error: () => undefined,
      }) as CloudflareAction;
    const a = make('sshd');
    const b = make('nginx');
    await Promise.all([a.start(), b.start()]);
    const ban = (jail: string, id: string) => ({ jail, id, start: 1, end: null, count: 1, failures: 3 });
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.ban([ban('sshd', `192.0.2.${i}`)])),
      ...Array.from({ length: 20 }, (_, i) => b.ban([ban('nginx', `198.51.100.${i}`)])),
    ]);
    expect(listIps(fake, ACCOUNT)).toHaveLength(40);
    expect(fake.lists.stats.conflicts).toBe(0);
    expect(fake.lists.stats.operations).toBeLessThan(10); // calls arriving during an operation are batched
    await a.stop();
    await b.stop();
  });

  it('waits out an operation someone else left pending, and throws on a failed operation so the outbox retries', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT, backoffMs: 20, maxAttempts: 5 });
    await t.start();
    const acc = fake.lists.account(ACCOUNT);
    acc.pending = 'someone-else';
    setTimeout(() => {
      acc.pending = null;
    }, 60);
    await t.applyBans('192.0.2.9');
    expect(fake.lists.stats.conflicts).toBeGreaterThan(0);
    expect(listIps(fake, ACCOUNT)).toEqual(['192.0.2.9']);
    fake.lists.failOperations = 1;
    await expect(t.applyBans('192.0.2.10')).rejects.toMatchObject({ code: CF_CODES.bulkFailed });
    expect(listIps(fake, ACCOUNT)).toEqual(['192.0.2.9']);
    await t.applyBans('192.0.2.10'); // the outbox's retry
    expect(listIps(fake, ACCOUNT)).toEqual(['192.0.2.10', '192.0.2.9']);
    await t.stop();
  });
});
