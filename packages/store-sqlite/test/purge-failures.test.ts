/**
 * Failures outside a jail's findtime are dropped in steps (a flood's rows must not wait for purgeAge,
 * and one huge DELETE must not hold the event loop): the same contract on SQLite and in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, pluginErrors, type Failure, type Store } from '@f2b/core';
import { SqliteStore } from '../src/index.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2024, 0, 15, 12);
const failure = (id: string, time: number): Failure => ({ id, time, attempts: 1, rule: 'r', captures: {}, lines: [], filter: 'sshd' }) as Failure;

for (const [name, make] of [
  [
    'sqlite',
    async () => {
      const d = mkdtempSync(join(tmpdir(), 'f2b-purge-'));
      dirs.push(d);
      const s = new SqliteStore({ errors: pluginErrors, path: join(d, 'f2b.db') });
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
  describe(`${name}: purgeFailures`, () => {
    it('drops at most `limit` old failures of one jail per call, and none of another jail', async () => {
      const store: Store = await make();
      const old = Array.from({ length: 250 }, (_, i) => ({ jail: 'sshd', failure: failure(`198.51.100.${i}`, T0) }));
      const fresh = [{ jail: 'sshd', failure: failure('203.0.113.1', T0 + 3600_000) }];
      const other = [{ jail: 'web', failure: failure('203.0.113.2', T0) }];
      await store.checkpoint({ failures: [...old, ...fresh, ...other] });
      expect(await store.purgeFailures('sshd', T0 + 1, 100)).toBe(100);
      expect(await store.purgeFailures('sshd', T0 + 1, 100)).toBe(100);
      expect(await store.purgeFailures('sshd', T0 + 1, 100)).toBe(50);
      expect(await store.purgeFailures('sshd', T0 + 1, 100)).toBe(0);
      expect((await store.failuresSince('sshd', 0)).map((f) => f.id)).toEqual(['203.0.113.1']);
      expect((await store.failuresSince('web', 0)).map((f) => f.id)).toEqual(['203.0.113.2']);
    });
  });
}
