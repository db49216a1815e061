/**
 * A daemon for the core tests of the ban path: one jail `a` (maxretry 3, findtime and bantime 600 s)
 * on a memory source, the filter `demo` (`auth failure from <HOST> n=N`) and an action that records
 * the bans it gets. Its plugin's search directory is removed by `cleanup`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { MemoryStore, type Checkpoint, type Store } from '../src/store.js';
import type { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban } from '../src/types.js';

/** A memory store that keeps every checkpoint it was given, in order. */
export class RecordingStore extends MemoryStore {
  readonly checkpoints: Checkpoint[] = [];
  override async checkpoint(c: Checkpoint): Promise<number[]> {
    this.checkpoints.push(c);
    return super.checkpoint(c);
  }
}

export interface DemoDaemon {
  daemon: Daemon;
  /** The bans the action received, in order. */
  bans: Ban[];
  /** Lines from the memory source, as one batch. */
  push(...lines: string[]): Promise<void>;
  /** The same, saying whether the source reads on at once (`SourceContext.lines`' `more`). */
  deliver(lines: string[], more: boolean): Promise<void>;
  /** Stops the daemon and removes its directory. */
  cleanup(): Promise<void>;
}

export async function startDemoDaemon(store: Store, clock: FakeClock): Promise<DemoDaemon> {
  let source: SourceContext | undefined;
  const bans: Ban[] = [];
  const plugin = definePlugin({
    meta: { name: 'f2b-test-demo-daemon', version: '1.0.0', core: '*' },
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
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-demo-daemon-'));
  const daemon = new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'silent', plugins: [plugin], store });
  await daemon.start(
    resolveConfig({
      jails: { a: { source: { type: 'memory' }, filter: 'demo', actions: ['record'], maxretry: 3, findtime: 600, bantime: 600, ignoreself: false } },
      state: { type: 'memory' },
      socket: false,
    }),
  );
  return {
    daemon,
    bans,
    push: async (...lines) => {
      await source!.lines(
        lines.map((l) => Buffer.from(l)),
        'memory',
      );
    },
    deliver: async (lines, more) => {
      await source!.lines(
        lines.map((l) => Buffer.from(l)),
        'memory',
        more,
      );
    },
    cleanup: async () => {
      await daemon.stop();
      rmSync(searchFrom, { recursive: true, force: true });
    },
  };
}
