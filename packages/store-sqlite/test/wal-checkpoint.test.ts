import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ban, Failure } from '@f2b/core';
import { pluginErrors } from '@f2b/core';
import { SqliteStore } from '../src/index.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(): Promise<SqliteStore> {
  const d = mkdtempSync(join(tmpdir(), 'f2b-wal-'));
  dirs.push(d);
  const store = new SqliteStore({ path: join(d, 'f2b.db'), errors: pluginErrors });
  stores.push(store);
  return store.open().then(() => store);
}

const T0 = Date.UTC(2024, 0, 15, 12);
const ban = (id: string): Ban => ({ jail: 'sshd', id, start: T0, end: T0 + 600_000, count: 1, failures: 1, rule: 'r', lines: [`line for ${id}`] });
const failure = (id: string, i: number): Failure => ({
  id,
  time: T0 + i,
  attempts: 1,
  rule: 'r',
  captures: {},
  lines: [`Failed password for root from ${id} port ${40000 + i} ssh2 ${'x'.repeat(200)}`],
  filter: 'sshd',
});

/** A batch as a jail writes it: failures, a ban, its outbox row, a position. */
async function writeBatches(store: SqliteStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `198.51.100.${(i % 250) + 1}`;
    const seqs = await store.checkpoint({
      failures: Array.from({ length: 10 }, (_, k) => ({ jail: 'sshd', failure: failure(id, i * 10 + k) })),
      bans: [ban(id)],
      positions: { 'file:/var/log/auth.log': { offset: i } },
    });
    await store.outboxDone(seqs);
  }
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('WAL checkpoints when the daemon is quiet, not in the commits bans wait for', () => {
  it("the store's commits do not checkpoint: the WAL grows past SQLite's 1,000-page mark until the quiet-time checkpoint copies it all", async () => {
    const store = await openStore();
    await writeBatches(store, 400);
    const r = await store.walCheckpoint();
    // With SQLite's automatic checkpoints in the commits, the WAL would have restarted below 1,000 frames.
    expect(r).toBeDefined();
    expect(r!.log).toBeGreaterThan(1000);
    expect(r!.checkpointed).toBe(r!.log);
    expect(r!.busy).toBe(0);
    expect((await store.activeBans(T0)).length).toBe(250);
  });

  it('a second without writes brings a checkpoint by itself, and closing leaves no WAL behind', async () => {
    const store = await openStore();
    await writeBatches(store, 5);
    await until(() => store.walCheckpoints > 0, 'a checkpoint after writes');
    await store.close();
    expect(existsSync(`${store.location}-wal`)).toBe(false);
    const again = new SqliteStore({ path: store.location, errors: pluginErrors });
    stores.push(again);
    await again.open();
    expect((await again.activeBans(T0)).map((b) => b.id)).toHaveLength(5);
  });

  it('a checkpoint after the store closed does nothing', async () => {
    const store = await openStore();
    await writeBatches(store, 2);
    await store.close();
    expect(await store.walCheckpoint()).toBeUndefined();
  });
});
