/**
 * The paged reads a daemon restores from (activeBanPages, banCountPages): page by page, they give
 * exactly what activeBans and banCounts give at once, whatever the page size (expired, lifted and
 * other jails' bans left out; a page boundary on a jail change or inside a run of one id's bans).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ban } from '@f2b/core';
import { SqliteStore } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2024, 0, 15, 12);

async function collect<T>(pages: AsyncIterable<T[]>, size: number): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) {
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThanOrEqual(size);
    out.push(...page);
  }
  return out;
}

const key = (b: { jail: string; id: string }) => `${b.jail} ${b.id}`;
const sorted = <T extends { jail: string; id: string }>(list: T[]) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

describe('SqliteStore pages', () => {
  it('give what activeBans and banCounts give, at every page size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-sqlite-pages-'));
    dirs.push(dir);
    const store = new SqliteStore({ path: join(dir, 'f2b.db') });
    await store.open();
    try {
      const bans: Ban[] = [];
      for (let i = 0; i < 23; i++) {
        const jail = i % 3 === 0 ? 'nginx' : 'sshd';
        // Some expired, some permanent, and earlier bans of a few ids (counted, no longer active).
        const end = i % 5 === 0 ? T0 - 1 : i % 7 === 0 ? null : T0 + 60_000 + i;
        if (i % 4 === 0) bans.push({ jail, id: `198.51.100.${i}`, start: T0 - 9000, end: T0 - 5000, count: 1, failures: 5, rule: 'old' });
        bans.push({ jail, id: i % 2 === 0 ? `198.51.100.${i}` : `2001:db8::${i.toString(16)}`, start: T0 - 1000, end, count: 1, failures: 5, rule: 'r' });
      }
      for (const b of bans) await store.outboxDone(await store.checkpoint({ bans: [b] }));
      await store.outboxDone(await store.checkpoint({ unbans: [{ jail: 'sshd', id: '2001:db8::b', time: T0, reason: 'manual' }] }));
      for (const size of [1, 2, 5, 7, 100]) {
        for (const jail of ['sshd', 'nginx', 'none']) {
          const paged = await collect(store.activeBanPages(T0, jail, size), size);
          expect(sorted(paged)).toEqual(sorted(await store.activeBans(T0, jail)));
        }
        const counts = await collect(store.banCountPages(T0 - 10_000, size), size);
        expect(sorted(counts)).toEqual(sorted(await store.banCounts(T0 - 10_000)));
      }
      expect((await store.activeBans(T0, 'sshd')).length).toBeGreaterThan(5);
    } finally {
      await store.close();
    }
  });
});
