/**
 * A checkpoint does not write the failures of an address banned in the same batch (the same
 * checkpoint clears that window, so they would be inserted and deleted again), and nothing else
 * changes: the ban's record keeps those lines, the other addresses' failures are written and their
 * windows survive a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { MemoryStore, type Checkpoint } from '../src/store.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban } from '../src/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

class RecordingStore extends MemoryStore {
  readonly checkpoints: Checkpoint[] = [];
  override async checkpoint(c: Checkpoint): Promise<number[]> {
    this.checkpoints.push(c);
    return super.checkpoint(c);
  }
}

async function run(store: RecordingStore, clock: FakeClock, batches: string[][]): Promise<Ban[]> {
  let source: SourceContext | undefined;
  const bans: Ban[] = [];
  const plugin = definePlugin({
    meta: { name: 'f2b-test-checkpoint-failures', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST> n=\\d+$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            source = ctx;
          },
          stop: async () => undefined,
        }),
      });
      core.registerAction({
        type: 'record',
        create: () => ({
          ban: async (b) => {
            bans.push(...b);
          },
          unban: async () => undefined,
        }),
      });
    },
  });
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-checkpoint-failures-'));
  dirs.push(searchFrom);
  const daemon = new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'silent', plugins: [plugin], store });
  await daemon.start(
    resolveConfig({
      jails: { a: { source: { type: 'memory' }, filter: 'demo', actions: ['record'], maxretry: 3, findtime: 600, bantime: 600, ignoreself: false } },
      state: { type: 'memory' },
      socket: false,
    }),
  );
  for (const lines of batches) {
    await source!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
    await daemon.jail('a')!.flush();
  }
  await daemon.stop();
  return bans;
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
