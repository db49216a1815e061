/**
 * A jail's checkpoints carry its filter's state (a reducer's sessions): a small one with every
 * checkpoint (the positions and the state of the same instant); a large one (a flood of open
 * connections) at most once a second, at the interval's end when lines came meanwhile, and always at
 * stop: a burst's state is not written with every checkpoint, and the last line's is never left unsaved.
 * Nor with a checkpoint bans wait for: it follows in the next one, at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import { FILTER_STATE_INTERVAL_MS, LARGE_FILTER_STATE_ENTRIES } from '../src/filter-state-saving.js';
import { RecordingStore } from './demo-daemon.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * `large`: the state's list is long (a flood). `growing`: instead it turns long after the third
 * match, and the reducer says how long (`stateSize`) and fails every match (so the jail bans).
 */
function world(large: boolean, growing = false) {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new RecordingStore();
  let source: SourceContext | undefined;
  let exports = 0;
  let seen = 0;
  const plugin = definePlugin({
    meta: { name: 'f2b-test-filter-state', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({
        id: 'counting',
        rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }],
        // A reducer whose state is the number of matches it has seen.
        createReducer: () => {
          const length = () => (large || (growing && seen > 3) ? LARGE_FILTER_STATE_ENTRIES + 1 : 10);
          return {
            reduce: (m) => {
              seen++;
              return growing && m.host ? { id: m.host, attempts: 1, rule: m.rule.id } : null;
            },
            exportState: () => {
              exports++;
              return { seen, open: Array.from({ length: length() }, (_, i) => i) };
            },
            ...(growing ? { stateSize: length } : {}),
            importState: () => undefined,
          };
        },
      });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            source = ctx;
          },
          stop: async () => {
            source = undefined;
          },
        }),
      });
    },
  });
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-filter-state-'));
  dirs.push(searchFrom);
  const daemon = new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'silent', plugins: [plugin], store });
  const config = resolveConfig({
    jails: { a: { source: { type: 'memory' }, filter: 'counting', actions: [], ignoreself: false } },
    state: { type: 'memory' },
    socket: false,
  });
  const push = (n: number) =>
    source!.lines(
      Array.from({ length: n }, () => Buffer.from('auth failure from 192.0.2.9')),
      'memory',
    );
  const saved = async () => ((await store.position('a/filter')) as { state: { seen: number } } | undefined)?.state.seen;
  return { clock, daemon, config, push, saved, store, exports: () => exports };
}

describe('the filter state in checkpoints', () => {
  it('is saved with every checkpoint while it is small', async () => {
    const w = world(false);
    await w.daemon.start(w.config);
    const jail = w.daemon.jail('a')!;
    for (let i = 1; i <= 3; i++) {
      await w.push(2);
      await jail.flush();
      expect(await w.saved()).toBe(2 * i);
    }
    await w.daemon.stop();
  });

  it('is saved once per interval while it is large, at the interval end, and at stop', async () => {
    const w = world(true);
    await w.daemon.start(w.config);
    const jail = w.daemon.jail('a')!;
    expect(await w.saved()).toBe(0); // the start's checkpoint carries it
    const exported = w.exports();
    for (let i = 0; i < 5; i++) {
      await w.push(2);
      await jail.flush();
    }
    expect(w.exports()).toBe(exported); // five checkpoints within the interval: not exported again
    expect(await w.saved()).toBe(0);
    w.clock.advance(FILTER_STATE_INTERVAL_MS); // the interval ends: the skipped state is saved
    await jail.flush();
    expect(await w.saved()).toBe(10);
    await w.push(1);
    await jail.flush();
    expect(await w.saved()).toBe(10);
    await w.daemon.stop(); // at stop, the state of the last line read
    expect(await w.saved()).toBe(11);
  });

  it('is saved by the next checkpoint when the log was quiet for the interval (large)', async () => {
    const w = world(true);
    await w.daemon.start(w.config);
    const jail = w.daemon.jail('a')!;
    w.clock.advance(FILTER_STATE_INTERVAL_MS);
    await w.push(1);
    await jail.flush();
    expect(await w.saved()).toBe(1);
    w.clock.advance(FILTER_STATE_INTERVAL_MS * 5);
    await w.push(1);
    await jail.flush();
    expect(await w.saved()).toBe(2);
    await w.daemon.stop();
  });

  it('is not written with a checkpoint that bans wait for, though due, nor by the next ones within the interval', async () => {
    const w = world(false, true);
    await w.daemon.start(w.config);
    const jail = w.daemon.jail('a')!;
    w.clock.advance(FILTER_STATE_INTERVAL_MS); // a state is due with the next checkpoint
    w.store.checkpoints.length = 0;
    // Five failures of one address: the state is large by now (stateSize), and the batch bans.
    await w.push(5);
    await new Promise((r) => setImmediate(r));
    const banning = w.store.checkpoints.find((c) => (c.bans ?? []).length > 0)!;
    expect(banning.bans!.map((b) => b.id)).toEqual(['192.0.2.9']);
    expect(banning.positions).not.toHaveProperty('a/filter');
    // The lines read after the bans: their checkpoint does not carry it either (the actions are
    // busy with the bans); the interval's end does.
    await w.push(1);
    await jail.flush();
    const seen = () =>
      w.store.checkpoints
        .slice(w.store.checkpoints.indexOf(banning) + 1)
        .map((c) => (c.positions?.['a/filter'] as { state: { seen: number } } | undefined)?.state.seen);
    expect(seen().filter((x) => x !== undefined)).toEqual([]);
    w.clock.advance(FILTER_STATE_INTERVAL_MS);
    await jail.flush();
    expect(seen().filter((x) => x !== undefined)).toEqual([6]);
    await w.daemon.stop();
  });

  it('owed an interval after a checkpoint with bans left it out, it goes with the next checkpoint, bans or not', async () => {
    const w = world(false, true);
    await w.daemon.start(w.config);
    const jail = w.daemon.jail('a')!;
    w.clock.advance(FILTER_STATE_INTERVAL_MS);
    w.store.checkpoints.length = 0;
    await w.push(5); // banned: the state is left out
    await jail.flush();
    expect(w.store.checkpoints.every((c) => !('a/filter' in (c.positions ?? {})))).toBe(true);
    w.clock.advance(FILTER_STATE_INTERVAL_MS); // owed now: a checkpoint of its own
    await jail.flush();
    const last = w.store.checkpoints.at(-1)!;
    expect((last.positions?.['a/filter'] as { state: { seen: number } }).state.seen).toBe(5);
    await w.daemon.stop();
  });
});
