/**
 * A ban's record gets its window's lines from the store (the rows of earlier checkpoints) and from
 * the failures of its own batch — from a store that looks up the whole batch at once
 * (`failureLinesOf`) and from one that is asked ban by ban (`failureLines` only) alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { MemoryStore } from '../src/store.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban } from '../src/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function bansWithLines(batched: boolean): Promise<Ban[]> {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new MemoryStore();
  if (!batched) (store as { failureLinesOf?: unknown }).failureLinesOf = undefined;
  let source: SourceContext | undefined;
  const bans: Ban[] = [];
  const plugin = definePlugin({
    meta: { name: 'f2b-test-window-lines', version: '1.0.0', core: '*' },
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
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-window-lines-'));
  dirs.push(searchFrom);
  const daemon = new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'silent', plugins: [plugin], store });
  await daemon.start(
    resolveConfig({
      jails: { a: { source: { type: 'memory' }, filter: 'demo', actions: ['record'], maxretry: 3, findtime: 600, bantime: 600, ignoreself: false } },
      state: { type: 'memory' },
      socket: false,
    }),
  );
  const push = (...lines: string[]) =>
    source!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  const jail = daemon.jail('a')!;
  // Two failures of each address saved by a first checkpoint; the third of each in one batch with the others' lines.
  await push('auth failure from 192.0.2.1 n=1', 'auth failure from 192.0.2.2 n=1', 'auth failure from 192.0.2.1 n=2', 'auth failure from 192.0.2.2 n=2');
  await jail.flush();
  await push('auth failure from 192.0.2.2 n=3', 'auth failure from 192.0.2.3 n=1', 'auth failure from 192.0.2.1 n=3');
  await jail.flush();
  await daemon.stop();
  return bans;
}

describe("a ban's window lines", () => {
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
