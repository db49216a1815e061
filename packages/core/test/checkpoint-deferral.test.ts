/**
 * Lines a source delivers saying it reads on at once (`SourceContext.lines`' `more`) wait for the
 * checkpoint of the next delivery — unless they decided a ban, which is checkpointed and carried out
 * at once as ever. At most 16 deliveries in a row wait, none longer than a second, and none once
 * 5,000 failures wait with them.
 */
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../src/store.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { RecordingStore, startDemoDaemon } from './demo-daemon.js';

/** A few turns of the event loop: what the jail scheduled (setImmediate) has run. */
async function turns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

const ids = (c: Checkpoint) => (c.failures ?? []).map((f) => f.failure.id);

async function demo() {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new RecordingStore();
  const d = await startDemoDaemon(store, clock);
  await d.daemon.jail('a')!.flush();
  store.checkpoints.length = 0;
  return { ...d, clock, store };
}

describe('checkpoints of a source that reads on', () => {
  it('lines delivered with `more` go into the next delivery’s checkpoint: one for both', async () => {
    const { deliver, store, cleanup } = await demo();
    await deliver(['auth failure from 192.0.2.1 n=1', 'auth failure from 198.51.100.1 n=1'], true);
    await turns();
    expect(store.checkpoints).toEqual([]);
    await deliver(['auth failure from 192.0.2.2 n=1'], false);
    await turns();
    expect(store.checkpoints.map(ids)).toEqual([['192.0.2.1', '198.51.100.1', '192.0.2.2']]);
    await cleanup();
  });

  it('without `more`, every delivery is checkpointed on its own (as before)', async () => {
    const { deliver, push, store, cleanup } = await demo();
    await deliver(['auth failure from 192.0.2.1 n=1'], false);
    await turns();
    await push('auth failure from 192.0.2.2 n=1');
    await turns();
    expect(store.checkpoints.map(ids)).toEqual([['192.0.2.1'], ['192.0.2.2']]);
    await cleanup();
  });

  it('a ban among them is checkpointed and carried out at once, with the failures before it', async () => {
    const { deliver, store, bans, cleanup } = await demo();
    await deliver(['auth failure from 198.51.100.1 n=1'], true);
    await deliver(['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3'], true);
    await turns();
    expect(store.checkpoints.length).toBe(1);
    const [c] = store.checkpoints;
    expect((c!.bans ?? []).map((b) => b.id)).toEqual(['192.0.2.1']);
    expect(ids(c!)).toEqual(['198.51.100.1']);
    expect(bans.map((b) => [b.id, b.lines])).toEqual([
      ['192.0.2.1', ['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3']],
    ]);
    await cleanup();
  });

  it('at most 16 deliveries in a row wait: the 17th is checkpointed with them', async () => {
    const { deliver, store, cleanup } = await demo();
    for (let i = 1; i <= 16; i++) await deliver([`auth failure from 192.0.2.${i} n=1`], true);
    await turns();
    expect(store.checkpoints).toEqual([]);
    await deliver(['auth failure from 192.0.2.17 n=1'], true);
    await turns();
    expect(store.checkpoints.map((c) => ids(c).length)).toEqual([17]);
    await cleanup();
  });

  it('once 5,000 failures wait, the next delivery is checkpointed with them however much is left to read', async () => {
    const { deliver, store, cleanup } = await demo();
    const line = (i: number) => `auth failure from 2001:db8::${i.toString(16)} n=1`;
    await deliver(
      Array.from({ length: 4_999 }, (_, i) => line(i + 1)),
      true,
    );
    await turns();
    expect(store.checkpoints).toEqual([]);
    await deliver([line(5_000), line(5_001)], true);
    await turns();
    expect(store.checkpoints.map((c) => ids(c).length)).toEqual([5_001]);
    await cleanup();
  });

  it('a source that said `more` and then delivered nothing is checkpointed a second later', async () => {
    const { deliver, store, clock, cleanup } = await demo();
    await deliver(['auth failure from 192.0.2.1 n=1'], true);
    await turns();
    clock.advance(999);
    await turns();
    expect(store.checkpoints).toEqual([]);
    clock.advance(1);
    await turns();
    expect(store.checkpoints.map(ids)).toEqual([['192.0.2.1']]);
    await cleanup();
  });
});
