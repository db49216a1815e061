/**
 * A ban's record gets its window's lines from the store (the rows of earlier checkpoints) and from
 * the failures of its own batch — from a store that looks up the whole batch at once
 * (`failureLinesOf`) and from one that is asked ban by ban (`failureLines` only) alike. A ban whose
 * counted attempts this daemon wrote lately or are in its own batch is not looked up at all.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import type { Ban } from '../src/types.js';
import { startDemoDaemon } from './demo-daemon.js';

async function bansWithLines(batched: boolean): Promise<Ban[]> {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new MemoryStore();
  if (!batched) (store as { failureLinesOf?: unknown }).failureLinesOf = undefined;
  const { daemon, bans, push, cleanup } = await startDemoDaemon(store, clock);
  const jail = daemon.jail('a')!;
  // Two failures of each address saved by a first checkpoint; the third of each in one batch with the others' lines.
  await push('auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.2 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.2 n=2');
  await jail.flush();
  await push('auth failure from 192.0.2.2 n=3', 'auth failure from 192.0.2.3 n=1', 'auth failure from 192.0.2.1 n=3');
  await jail.flush();
  await cleanup();
  return bans;
}

/** Which addresses the outbox asked the store for window lines of. */
class AskedStore extends MemoryStore {
  readonly asked: string[] = [];
  override async failureLinesOf(jail: string, wanted: readonly { id: string; since: number }[], limit: number): Promise<string[][]> {
    this.asked.push(...wanted.map((w) => w.id));
    return super.failureLinesOf(jail, wanted, limit);
  }
}

describe("a ban's window lines", () => {
  it('are not looked up in the store for a ban whose attempts were all written by this daemon lately or came in its batch', async () => {
    const clock = new FakeClock('2024-01-15T12:00:00Z');
    const store = new AskedStore();
    const { daemon, bans, push, cleanup } = await startDemoDaemon(store, clock);
    const jail = daemon.jail('a')!;
    // 192.0.2.1: one failure saved first, two more with the ban. 192.0.2.2: all three in one batch.
    await push('auth failure from 192.0.2.1 n=1');
    await jail.flush();
    await push('auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.2 n=1', 'auth failure from 192.0.2.2 n=2', 'auth failure from 192.0.2.2 n=3');
    await push('auth failure from 192.0.2.1 n=3');
    await jail.flush();
    await cleanup();
    expect(store.asked).toEqual([]);
    expect(bans.map((b) => [b.id, b.lines])).toEqual([
      ['192.0.2.2', ['auth failure from 192.0.2.2 n=1', 'auth failure from 192.0.2.2 n=2', 'auth failure from 192.0.2.2 n=3']],
      ['192.0.2.1', ['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3']],
    ]);
  });

  it('are looked up in the store for a ban counted partly from failures of before a restart', async () => {
    const clock = new FakeClock('2024-01-15T12:00:00Z');
    const store = new AskedStore();
    const first = await startDemoDaemon(store, clock);
    await first.push('auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.3 n=1');
    await first.daemon.jail('a')!.flush();
    await first.cleanup();
    const second = await startDemoDaemon(store, clock);
    await second.push('auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3');
    await second.daemon.jail('a')!.flush();
    await second.cleanup();
    expect(store.asked).toEqual(['192.0.2.1']);
    expect(second.bans.map((b) => [b.id, b.lines])).toEqual([
      ['192.0.2.1', ['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3']],
    ]);
  });

  for (const batched of [true, false]) {
    it(`come from earlier checkpoints and the ban's own batch (${batched ? 'one lookup per batch' : 'one lookup per ban'})`, async () => {
      const bans = await bansWithLines(batched);
      expect(bans.map((b) => [b.id, b.lines])).toEqual([
        ['192.0.2.2', ['auth failure from 192.0.2.2 n=1', 'auth failure from 192.0.2.2 n=2', 'auth failure from 192.0.2.2 n=3']],
        ['192.0.2.1', ['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3']],
      ]);
    });
  }
});
