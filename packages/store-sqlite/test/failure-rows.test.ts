/**
 * A checkpoint's failures are written several rows to an INSERT (src/failure-rows.ts): every count
 * around the group size must store exactly the failures that count attempts, in order, with their
 * lines, rule and captures — as the memory store (the reference) keeps them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Failure } from '@f2b/core';
import { MemoryStore, type Store } from '@f2b/core';
import { SqliteStore } from '../src/index.js';
import { ROWS_PER_INSERT } from '../src/failure-rows.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sqlite(): Promise<Store> {
  const d = mkdtempSync(join(tmpdir(), 'f2b-failure-rows-'));
  dirs.push(d);
  const s = new SqliteStore({ path: join(d, 'f2b.db') });
  await s.open();
  stores.push(s);
  return s;
}

const T0 = Date.UTC(2024, 0, 15, 12);
const shared = Object.freeze({ user: 'root' });

/** `n` failures of a few addresses; every fifth counts no attempt (not stored), captures shared or not. */
function failures(n: number): { jail: string; failure: Failure }[] {
  return Array.from({ length: n }, (_, i) => ({
    jail: i % 7 === 0 ? 'web' : 'sshd',
    failure: {
      id: `192.0.2.${1 + (i % 3)}`,
      time: T0 + i,
      attempts: i % 5 === 4 ? 0 : 1 + (i % 2),
      rule: i % 2 === 0 ? 'failed' : 'invalid',
      captures: i % 3 === 0 ? shared : i % 3 === 1 ? { user: `u${i}` } : {},
      lines: i % 4 === 3 ? [] : [`line ${i}`, `line ${i} again`],
      filter: 'sshd',
    },
  }));
}

describe('failure rows, several to a statement', () => {
  for (const n of [0, 1, ROWS_PER_INSERT - 1, ROWS_PER_INSERT, ROWS_PER_INSERT + 1, 3 * ROWS_PER_INSERT + 5]) {
    it(`stores ${n} failures as the memory store does`, async () => {
      const s = await sqlite();
      const ref = new MemoryStore();
      await ref.open?.();
      const batch = failures(n);
      await s.checkpoint({ failures: batch });
      await ref.checkpoint({ failures: batch });
      for (const jail of ['sshd', 'web'])
        for (const id of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
          expect(await s.failuresOf!(jail, id, 1000)).toEqual(await ref.failuresOf!(jail, id, 1000));
          expect(await s.failureLines!(jail, id, T0, 1000)).toEqual(await ref.failureLines!(jail, id, T0, 1000));
        }
      expect((await s.failuresSince('sshd', 0)).length + (await s.failuresSince('web', 0)).length).toBe(batch.filter((f) => f.failure.attempts > 0).length);
    });
  }

  it('writes the captures of a shared, frozen object again in every later checkpoint', async () => {
    const s = await sqlite();
    await s.checkpoint({ failures: failures(3) });
    await s.checkpoint({ failures: [{ jail: 'sshd', failure: { ...failures(1)[0]!.failure, time: T0 + 100 } }] });
    const rows = await s.failuresOf!('sshd', '192.0.2.1', 10);
    expect(rows[0]).toMatchObject({ time: T0 + 100, captures: { user: 'root' } });
  });
});
