/**
 * A checkpoint does not write the failures of an address banned in the same batch (the same
 * checkpoint clears that window, so they would be inserted and deleted again), and nothing else
 * changes: the ban's record keeps those lines, the other addresses' failures are written and their
 * windows survive a restart.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/testing/fake-clock.js';
import type { Ban } from '../src/types.js';
import { RecordingStore, startDemoDaemon } from './demo-daemon.js';

async function run(store: RecordingStore, clock: FakeClock, batches: string[][]): Promise<Ban[]> {
  const demo = await startDemoDaemon(store, clock);
  for (const lines of batches) {
    await demo.push(...lines);
    await demo.daemon.jail('a')!.flush();
  }
  await demo.cleanup();
  return demo.bans;
}

describe('the failures a checkpoint writes', () => {
  it('leave out an address banned in the same batch; its record keeps the lines, the others survive a restart', async () => {
    const clock = new FakeClock('2024-01-15T12:00:00Z');
    const store = new RecordingStore();
    const first = await run(store, clock, [
      ['auth failure from 192.0.2.1 n=1', 'auth failure from 198.51.100.1 n=1'],
      ['auth failure from 192.0.2.1 n=2', 'auth failure from 198.51.100.1 n=2', 'auth failure from 192.0.2.1 n=3', 'auth failure from 192.0.2.1 n=4'],
    ]);
    expect(first.map((b) => [b.id, b.lines])).toEqual([
      ['192.0.2.1', ['auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.1 n=3']],
    ]);
    const banning = store.checkpoints.find((c) => (c.bans ?? []).length > 0)!;
    expect(banning.clearFailures).toEqual([{ jail: 'a', id: '192.0.2.1' }]);
    expect((banning.failures ?? []).map((f) => f.failure.id)).toEqual(['198.51.100.1']);
    // 198.51.100.1's two failures are in the store: one more after a restart bans it (192.0.2.1's ban is restored).
    const second = await run(store, clock, [['auth failure from 198.51.100.1 n=3']]);
    expect(second.map((b) => b.id).sort()).toEqual(['192.0.2.1', '198.51.100.1']);
    expect(second.find((b) => b.id === '198.51.100.1')!.failures).toBe(3);
  });
});
