import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Ban, Failure } from '@f2b/core';
import { MemoryStore, pluginErrors, type Store } from '@f2b/core';
import { SqliteStore, MIGRATIONS } from '../src/index.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'f2b-sqlite-'));
  dirs.push(d);
  return join(d, 'sub', 'f2b.db');
}

const T0 = Date.UTC(2024, 0, 15, 12);
const ban = (id: string, over: Partial<Ban> = {}): Ban => ({
  jail: 'sshd',
  id,
  start: T0,
  end: T0 + 600_000,
  count: 1,
  failures: 5,
  rule: 'failed-password',
  lines: [`line for ${id}`],
  ...over,
});
const failure = (id: string, time: number, attempts = 1): Failure => ({ id, time, attempts, rule: 'r', captures: {}, lines: [], filter: 'sshd' });

// The same contract, run against both implementations: the memory store is the reference.
for (const [name, make] of [
  [
    'sqlite',
    async () => {
      const s = new SqliteStore({ errors: pluginErrors, path: dbPath() });
      await s.open();
      stores.push(s);
      return s;
    },
  ],
  [
    'memory',
    async () => {
      const s = new MemoryStore();
      await s.open();
      return s;
    },
  ],
] as const) {
  describe(`${name} store contract`, () => {
    it('keeps bans until they end, and lists expired ones', async () => {
      const s = await make();
      await s.checkpoint({ bans: [ban('192.0.2.1'), ban('192.0.2.2', { end: T0 + 1000 }), ban('2001:db8::1', { end: null })] });
      expect((await s.activeBans(T0 + 5000)).map((b) => b.id).sort()).toEqual(['192.0.2.1', '2001:db8::1']);
      expect((await s.expiredBans(T0 + 5000)).map((b) => b.id)).toEqual(['192.0.2.2']);
      const perm = (await s.activeBans(T0 + 10 ** 12)).map((b) => b.id);
      expect(perm).toEqual(['2001:db8::1']);
    });

    it('an unban ends the active ban; a re-ban replaces it (never two active rows)', async () => {
      const s = await make();
      await s.checkpoint({ bans: [ban('192.0.2.1')] });
      await s.checkpoint({ unbans: [{ jail: 'sshd', id: '192.0.2.1', time: T0 + 1, reason: 'manual' }] });
      expect(await s.activeBans(T0)).toEqual([]);
      await s.checkpoint({ bans: [ban('192.0.2.1', { start: T0 + 10, count: 2 })] });
      await s.checkpoint({ bans: [ban('192.0.2.1', { start: T0 + 20, count: 3 })] });
      const active = await s.activeBans(T0 + 30);
      expect(active).toHaveLength(1);
      expect(active[0]).toMatchObject({ id: '192.0.2.1', start: T0 + 20, count: 3 });
      expect((await s.bansOf('192.0.2.1')).map((b) => b.start)).toEqual([T0 + 20, T0 + 10, T0]);
      expect(await s.banHistory('192.0.2.1', T0 + 5)).toEqual({ count: 2, lastStart: T0 + 20 });
      expect((await s.banHistory('192.0.2.1', T0, 'other')).count).toBe(0);
      expect(await s.banCounts(T0)).toEqual([{ jail: 'sshd', id: '192.0.2.1', count: 3 }]);
    });

    it('an outbox item stays pending until marked done', async () => {
      const s = await make();
      const seqs = await s.checkpoint({ bans: [ban('192.0.2.1'), ban('192.0.2.2')], unbans: [{ jail: 'sshd', id: '192.0.2.3', time: T0, reason: 'expired' }] });
      expect(seqs).toHaveLength(3);
      const pending = await s.outboxPending();
      expect(pending.map((p) => [p.op, p.ban?.id ?? p.unban?.id])).toEqual([
        ['ban', '192.0.2.1'],
        ['ban', '192.0.2.2'],
        ['unban', '192.0.2.3'],
      ]);
      expect(pending[0]!.ban).toMatchObject({ end: T0 + 600_000, lines: ['line for 192.0.2.1'] });
      await s.outboxDone([seqs[0]!, seqs[2]!]);
      expect((await s.outboxPending()).map((p) => p.seq)).toEqual([seqs[1]]);
    });

    it("keeps each failure's lines: the lines of one window since a time, oldest first, the last `limit`", async () => {
      const s = await make();
      const f = (id: string, time: number, lines: string[]) => ({ jail: 'sshd', failure: { ...failure(id, time), lines } });
      await s.checkpoint({ failures: [f('192.0.2.1', T0, ['old']), f('192.0.2.1', T0 + 10, ['a', 'b']), f('192.0.2.2', T0 + 20, ['other'])] });
      await s.checkpoint({
        failures: [f('192.0.2.1', T0 + 30, ['c']), f('192.0.2.1', T0 + 40, []), { jail: 'web', failure: { ...failure('192.0.2.1', T0 + 50), lines: ['web'] } }],
      });
      expect(await s.failureLines!('sshd', '192.0.2.1', T0 + 5, 20)).toEqual(['a', 'b', 'c']);
      expect(await s.failureLines!('sshd', '192.0.2.1', 0, 2)).toEqual(['b', 'c']);
      expect(await s.failureLines!('sshd', '192.0.2.3', 0, 20)).toEqual([]);
      // Several at once (a batch's bans): the same answers, in the order asked.
      expect(
        await s.failureLinesOf!(
          'sshd',
          [
            { id: '192.0.2.3', since: 0 },
            { id: '192.0.2.1', since: T0 + 5 },
            { id: '192.0.2.2', since: 0 },
          ],
          20,
        ),
      ).toEqual([[], ['a', 'b', 'c'], ['other']]);
      expect(await s.failureLinesOf!('sshd', [{ id: '192.0.2.1', since: 0 }], 2)).toEqual([['b', 'c']]);
      await s.checkpoint({ clearFailures: [{ jail: 'sshd', id: '192.0.2.1' }] });
      expect(await s.failureLines!('sshd', '192.0.2.1', 0, 20)).toEqual([]);
      expect(await s.failureLines!('web', '192.0.2.1', 0, 20)).toEqual(['web']);
    });

    it("keeps each failure's rule and captures for explain: the rows of one id, oldest first, the last `limit`", async () => {
      const s = await make();
      const f = (time: number, rule: string, captures: Record<string, string>) => ({
        jail: 'sshd',
        failure: { ...failure('192.0.2.1', time), rule, captures, lines: [`at ${time}`] },
      });
      await s.checkpoint({ failures: [f(T0 + 20, 'invalid-user', { user: 'eve' }), f(T0, 'failed', {}), f(T0 + 10, 'failed', { user: 'root' })] });
      const rows = await s.failuresOf!('sshd', '192.0.2.1', 2);
      expect(rows).toEqual([
        { jail: 'sshd', id: '192.0.2.1', time: T0 + 10, attempts: 1, rule: 'failed', captures: { user: 'root' }, lines: [`at ${T0 + 10}`] },
        { jail: 'sshd', id: '192.0.2.1', time: T0 + 20, attempts: 1, rule: 'invalid-user', captures: { user: 'eve' }, lines: [`at ${T0 + 20}`] },
      ]);
      expect((await s.failuresOf!('sshd', '192.0.2.1', 10))[0]).not.toHaveProperty('captures'); // none captured: none stored
      expect(await s.failuresOf!('web', '192.0.2.1', 10)).toEqual([]);
    });

    it('stores failures, clears a window on ban, and reads positions back', async () => {
      const s = await make();
      await s.checkpoint({
        failures: [
          { jail: 'sshd', failure: failure('192.0.2.1', T0) },
          { jail: 'sshd', failure: failure('192.0.2.1', T0 + 1000, 2) },
          { jail: 'sshd', failure: failure('192.0.2.9', T0 + 2000, 0) }, // 0 attempts: nothing to keep
          { jail: 'web', failure: failure('192.0.2.1', T0) },
        ],
        positions: { 'sshd/0': [{ path: '/var/log/auth.log', offset: 42 }] },
      });
      expect((await s.failuresSince('sshd', T0 + 500)).map((f) => [f.id, f.attempts])).toEqual([['192.0.2.1', 2]]);
      expect(await s.failuresSince('sshd', 0)).toHaveLength(2);
      await s.checkpoint({ clearFailures: [{ jail: 'sshd', id: '192.0.2.1' }] });
      expect(await s.failuresSince('sshd', 0)).toEqual([]);
      expect(await s.failuresSince('web', 0)).toHaveLength(1);
      expect(await s.position('sshd/0')).toEqual([{ path: '/var/log/auth.log', offset: 42 }]);
      expect(await s.position('nope')).toBeUndefined();
    });

    it('purges old failures and ended bans, never active ones', async () => {
      const s = await make();
      await s.checkpoint({
        bans: [ban('192.0.2.1', { end: T0 + 1000 }), ban('192.0.2.2', { end: null })],
        failures: [{ jail: 'sshd', failure: failure('192.0.2.5', T0) }],
      });
      await s.checkpoint({ unbans: [{ jail: 'sshd', id: '192.0.2.1', time: T0 + 1000, reason: 'expired' }] });
      await s.purge(T0 + 10_000);
      expect(await s.failuresSince('sshd', 0)).toEqual([]);
      expect(await s.bansOf('192.0.2.1')).toEqual([]);
      expect((await s.activeBans(T0 + 10_000)).map((b) => b.id)).toEqual(['192.0.2.2']);
    });

    it('a checkpoint of many bans (a burst): each ban and its outbox entry, in order; the windows cleared, earlier bans ended', async () => {
      const s = await make();
      const ids = Array.from({ length: 70 }, (_, i) => `198.51.100.${i + 1}`);
      // An earlier ban of the first address (ended in the store by hand: a ban again) and windows.
      await s.checkpoint({ bans: [ban(ids[0]!, { start: T0 - 1000, end: T0 + 1000 })] });
      await s.checkpoint({ failures: [ids[0]!, ids[69]!, '192.0.2.99'].map((id) => ({ jail: 'sshd', failure: failure(id, T0) })) });
      const before = (await s.outboxPending()).map((o) => o.seq);
      const seqs = await s.checkpoint({
        bans: ids.map((id, i) => ban(id, { count: i + 1 })),
        clearFailures: ids.map((id) => ({ jail: 'sshd', id })),
      });
      expect(seqs).toHaveLength(70);
      const pending = (await s.outboxPending()).filter((o) => !before.includes(o.seq));
      expect(pending.map((o) => o.seq)).toEqual(seqs);
      expect(pending.map((o) => (o.op === 'ban' ? [o.ban.id, o.ban.count] : null))).toEqual(ids.map((id, i) => [id, i + 1]));
      const active = await s.activeBans(T0);
      expect(active.map((b) => b.id).sort()).toEqual([...ids].sort());
      expect(active.find((b) => b.id === ids[0])!.start).toBe(T0);
      expect((await s.failuresSince('sshd', 0)).map((f) => f.id)).toEqual(['192.0.2.99']);
      await s.outboxDone(seqs);
      expect((await s.outboxPending()).map((o) => o.seq)).toEqual(before);
    });

    it('an address banned twice in one checkpoint keeps the later ban only', async () => {
      const s = await make();
      const seqs = await s.checkpoint({ bans: [ban('192.0.2.1', { count: 1 }), ban('192.0.2.2'), ban('192.0.2.1', { count: 2, start: T0 + 5 })] });
      const pending = await s.outboxPending();
      expect(pending.map((o) => o.seq)).toEqual(seqs);
      expect(pending.map((o) => (o.op === 'ban' ? [o.ban.id, o.ban.count] : null))).toEqual([
        ['192.0.2.1', 1],
        ['192.0.2.2', 1],
        ['192.0.2.1', 2],
      ]);
      const active = await s.activeBans(T0);
      expect(active.map((b) => [b.id, b.count]).sort()).toEqual([
        ['192.0.2.1', 2],
        ['192.0.2.2', 1],
      ]);
    });
  });
}

describe('SqliteStore specifics', () => {
  it('creates the directory, uses WAL, and survives close/reopen', async () => {
    const path = dbPath();
    const a = new SqliteStore({ errors: pluginErrors, path });
    await a.open();
    await a.checkpoint({ bans: [ban('192.0.2.1')], positions: { 'sshd/0': { offset: 7 } } });
    expect(a.schemaVersion()).toBe(MIGRATIONS.length);
    await a.close();
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const b = new SqliteStore({ errors: pluginErrors, path });
    await b.open();
    stores.push(b);
    expect((await b.activeBans(T0)).map((x) => x.id)).toEqual(['192.0.2.1']);
    expect(await b.position('sshd/0')).toEqual({ offset: 7 });
  });

  it('refuses a database from a newer f2b, naming both versions', async () => {
    const path = dbPath();
    const a = new SqliteStore({ errors: pluginErrors, path });
    await a.open();
    await a.close();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    await expect(new SqliteStore({ errors: pluginErrors, path }).open()).rejects.toThrow(/schema version \d+, newer than this f2b knows/);
  });

  it('checkpoints are atomic: a failing checkpoint leaves nothing behind', async () => {
    const s = new SqliteStore({ errors: pluginErrors, path: dbPath() });
    await s.open();
    stores.push(s);
    const bad = { ...ban('192.0.2.7'), start: Symbol('not a number') as unknown as number };
    await expect(s.checkpoint({ bans: [ban('192.0.2.6'), bad], positions: { k: 1 } })).rejects.toThrow();
    expect(await s.activeBans(T0)).toEqual([]);
    expect(await s.outboxPending()).toEqual([]);
    expect(await s.position('k')).toBeUndefined();
  });
});
