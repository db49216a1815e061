/**
 * A store that refuses writes (disk full, read-only, locked) must cost neither protection nor state:
 * bans go on reaching the actions, the refused checkpoints are kept in order and saved once the
 * store takes writes again, and the daemon says so (log, `status`). The real SQLite faults are in
 * packages/store-sqlite/test/faults.test.ts; here the fault is injected to test the engine's side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { MemoryStore, type Checkpoint } from '../src/store.js';
import { CheckpointQueue } from '../src/checkpoint-queue.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban, Unban } from '../src/types.js';

/** MemoryStore whose writes fail while `failing` (like SQLITE_FULL / SQLITE_BUSY). */
class FaultyStore extends MemoryStore {
  failing = false;
  attempts = 0;
  override async checkpoint(c: Checkpoint): Promise<number[]> {
    this.attempts++;
    if (this.failing) throw new Error('database or disk is full');
    return super.checkpoint(c);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world() {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new FaultyStore();
  const sources = new Map<string, SourceContext>();
  const banned: Ban[] = [];
  const plugin = definePlugin({
    meta: { name: 'f2b-test-faults', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            sources.set(ctx.jail, ctx);
          },
          stop: async () => {
            sources.delete(ctx.jail);
          },
        }),
      });
      core.registerAction({
        type: 'record',
        create: () => ({
          ban: async (bans) => {
            banned.push(...bans);
          },
          unban: async () => {},
        }),
      });
    },
  });
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-faults-'));
  dirs.push(searchFrom);
  const log = { lines: [] as string[] };
  const sink = (_level: string, _name: string, msg: string) => {
    log.lines.push(msg);
  };
  const daemon = () => new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'info', logSink: sink, plugins: [plugin], store });
  const push = async (...lines: string[]) => {
    await sources.get('a')!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  };
  const config = resolveConfig({
    jails: { a: { source: { type: 'memory' }, filter: 'demo', actions: ['record'], maxretry: 1, bantime: 3600, ignoreself: false } },
    state: { type: 'memory' },
    socket: false,
  });
  return { clock, store, daemon, push, banned, config, log };
}

/** Let the jail's retry timer fire and its flush run. */
async function retry(w: ReturnType<typeof world>, d: Daemon): Promise<void> {
  w.clock.advance(10_000);
  await new Promise((r) => setImmediate(r));
  await d.jail('a')!.flush();
}

describe('a store that refuses writes', () => {
  it('keeps banning, keeps the refused checkpoints, and saves them once it can: every ban is restored after a restart', async () => {
    const w = world();
    let d = w.daemon();
    await d.start(w.config);
    w.store.failing = true;
    for (let i = 1; i <= 20; i++) await w.push(`auth failure from 192.0.2.${i}`);
    await d.jail('a')!.flush();
    // Protection went on.
    expect(w.banned.map((b) => b.id)).toHaveLength(20);
    expect(d.storeHealth.snapshot()).toMatchObject({ available: false, error: 'database or disk is full', unsavedDecisions: 20 });
    expect(d.storeHealth.snapshot().failedWrites).toBeGreaterThan(0);
    const errorsLogged = w.log.lines.filter((l) => l.includes('F2B_ERR_STATE_UNAVAILABLE'));
    expect(errorsLogged).toHaveLength(1); // once, not once per retry
    expect(errorsLogged[0]).toContain('Bans still reach the actions');

    // Still refused: retried, nothing dropped.
    await retry(w, d);
    expect(d.storeHealth.snapshot().unsavedDecisions).toBe(20);

    w.store.failing = false;
    await retry(w, d);
    expect(d.storeHealth.snapshot()).toMatchObject({ available: true, pendingCheckpoints: 0, unsavedDecisions: 0 });
    expect(w.log.lines.some((l) => l.includes('The state store accepts writes again'))).toBe(true);
    // The actions already had them: nothing is left in the outbox to replay.
    expect(await w.store.outboxPending()).toEqual([]);
    await d.stop();

    w.banned.length = 0;
    d = w.daemon();
    await d.start(w.config);
    expect((await w.store.activeBans(w.clock.now(), 'a')).length).toBe(20);
    expect(new Set(w.banned.map((b) => b.id)).size).toBe(20); // restored to the action
    await d.stop();
  });

  it('status reports the store as unavailable while it refuses writes', async () => {
    const w = world();
    const d = w.daemon();
    await d.start(w.config);
    w.store.failing = true;
    await w.push('auth failure from 192.0.2.99');
    await d.jail('a')!.flush();
    const { ControlCommands } = await import('../src/control/handler.js');
    const commands = new ControlCommands({ daemon: d, reloadConfig: async () => w.config });
    const r = (await commands.handle('status', {}, {} as never)) as { state: Record<string, unknown> };
    expect(r.state).toMatchObject({ kind: 'memory', available: false, unsavedDecisions: 1 });
    w.store.failing = false;
    await d.stop();
  });

  it('a reload carries the refused checkpoints over to the new jail', async () => {
    const w = world();
    let d = w.daemon();
    await d.start(w.config);
    w.store.failing = true;
    await w.push('auth failure from 192.0.2.50');
    await d.jail('a')!.flush();
    await d.reload(w.config);
    w.store.failing = false;
    await retry(w, d);
    await d.stop();
    d = w.daemon();
    await d.start(w.config);
    expect((await w.store.activeBans(w.clock.now(), 'a')).map((b) => b.id)).toEqual(['192.0.2.50']);
    await d.stop();
  });
});

describe('CheckpointQueue', () => {
  const ban = (id: string, start: number): Ban => ({ jail: 'a', id, start, end: start + 600_000, count: 1, failures: 1 });
  const unban = (id: string): Unban => ({ jail: 'a', id, time: 0, reason: 'expired' });

  it('merges consecutive checkpoints but keeps "unban X, then ban X again" in order', async () => {
    const q = new CheckpointQueue();
    q.add({ bans: [ban('192.0.2.1', 1)], positions: { 'a/0': 1 } });
    q.add({ unbans: [unban('192.0.2.1')], positions: { 'a/0': 2 } });
    expect(q.length).toBe(1); // ban then unban: the store's order in one checkpoint is right
    q.add({ bans: [ban('192.0.2.1', 3)], positions: { 'a/0': 3 } });
    expect(q.length).toBe(2); // merged, the unban would end the second ban
    const store = new MemoryStore();
    const { committed, error } = await q.commit(store);
    expect(error).toBeUndefined();
    expect(committed).toHaveLength(3);
    expect((await store.activeBans(0)).map((b) => b.start)).toEqual([3]);
    expect(await store.position('a/0')).toBe(3);
  });

  it('keeps a checkpoint the store refused, and what follows it', async () => {
    const q = new CheckpointQueue();
    const store = new FaultyStore();
    store.failing = true;
    q.add({ bans: [ban('192.0.2.1', 1)] });
    expect((await q.commit(store)).error).toBeInstanceOf(Error);
    q.add({ bans: [ban('192.0.2.2', 2)] });
    expect(q.unsavedDecisions).toBe(2);
    store.failing = false;
    expect((await q.commit(store)).committed.map((c) => (c.item as Ban).id)).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(q.length).toBe(0);
  });
});
