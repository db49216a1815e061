/**
 * The tracker is a plugin kind: a jail names one with `tracker: { type, ...options }`, the built-in
 * `default` when it names none. Here a plugin's tracker replaces it, with options checked against the
 * type's schema at their key path.
 */
import { describe, expect, it } from 'vitest';
import { createTestCore } from '../src/testing/test-core.js';
import { resolveConfig } from '../src/config.js';
import { Tracker } from '../src/tracker.js';
import { F2bError } from '../src/errors.js';
import type { F2bPlugin, TrackerContext } from '../src/plugin.js';
import type { FilterDefinition } from '../src/filter/types.js';

const filter: FilterDefinition = { id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] };

/** A tracker that bans at `threshold` failures whatever the jail's maxretry: the default one, re-limited. */
function firstStrike() {
  const created: { options: Record<string, unknown>; ctx: TrackerContext }[] = [];
  const plugin: F2bPlugin = {
    meta: { name: 'f2b-tracker-first-strike', kind: 'tracker' },
    apply(api) {
      api.registerFilter(filter);
      api.registerTracker({
        type: 'first-strike',
        schema: { type: 'object', additionalProperties: false, required: ['threshold'], properties: { threshold: { type: 'integer', minimum: 1 } } },
        create(options, ctx) {
          created.push({ options, ctx });
          return new Tracker({ ...ctx, maxretry: options.threshold as number });
        },
      });
    },
  };
  return { plugin, created };
}

describe('a tracker plugin', () => {
  it('replaces the default tracker of the jail that names it, with its options', async () => {
    const { plugin, created } = firstStrike();
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 5, tracker: { type: 'first-strike', threshold: 1 } } });
    expect(created).toHaveLength(1);
    expect(created[0]!.options).toEqual({ threshold: 1 });
    expect(created[0]!.ctx).toMatchObject({ jail: 'test', maxretry: 5, findtime: 600 });
    expect(created[0]!.ctx.clock).toBe(t.core.clock);
    t.push('fail from 192.0.2.7');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['192.0.2.7']);
  });

  it('a jail that names no tracker keeps the built-in one (maxretry counts)', async () => {
    const { plugin, created } = firstStrike();
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', maxretry: 2 } });
    expect(created).toHaveLength(0);
    expect(t.jail.config.tracker).toEqual({ type: 'default', options: {} });
    t.push('fail from 192.0.2.7');
    await t.flush();
    expect(t.bans).toEqual([]);
    t.push('fail from 192.0.2.7');
    await t.flush();
    expect(t.bans.map((b) => b.id)).toEqual(['192.0.2.7']);
  });

  it('bad options → F2B_ERR_PLUGIN_OPTIONS at jails.<name>.tracker.<key>', async () => {
    const { plugin } = firstStrike();
    const err = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', tracker: { type: 'first-strike', threshold: 0 } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(F2bError);
    expect(err).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.threshold', plugin: 'f2b-tracker-first-strike' });
    const missing = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', tracker: 'first-strike' } }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.test.tracker.threshold' });
  });

  it('an unknown tracker type → F2B_ERR_PLUGIN_NOT_FOUND at jails.<name>.tracker.type', async () => {
    const { plugin } = firstStrike();
    const err = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', tracker: { type: 'nonesuch' } } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'F2B_ERR_PLUGIN_NOT_FOUND', path: 'jails.test.tracker.type' });
    expect((err as F2bError).message).toContain('@f2b/tracker-nonesuch');
  });

  it("a filter's success rule reaches the tracker's succeeded (never as a failure), except for ignored addresses", async () => {
    const successes: string[] = [];
    const plugin: F2bPlugin = {
      meta: { name: 'f2b-tracker-forgiving', kind: 'tracker' },
      apply(api) {
        api.registerFilter({ id: 'login', rules: [...filter.rules, { id: 'ok', pattern: '^ok from <HOST>$', kind: 'info', success: true }] });
        api.registerTracker({
          type: 'forgiving',
          create(_options, ctx) {
            const inner = new Tracker(ctx);
            return Object.assign(inner, {
              succeeded: (s: { id: string; rule: string; ip: { text: string } }) => {
                successes.push(`${s.rule} ${s.ip.text}`);
              },
            });
          },
        });
      },
    };
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'login', maxretry: 2, ignoreip: '198.51.100.0/24', tracker: 'forgiving' } });
    t.push('ok from 192.0.2.7', 'ok from 198.51.100.9', 'ok from 127.0.0.1', 'fail from 192.0.2.7');
    await t.flush();
    expect(successes).toEqual(['ok 192.0.2.7']);
    expect(t.jail.stats.failures).toBe(1);
    expect(t.bans).toEqual([]);
  });

  it('the config checks the shape of tracker with its key path', () => {
    expect(() => resolveConfig({ jails: { a: { source: '/x', tracker: 5 as unknown as string } } })).toThrow(/jails\.a\.tracker/);
    expect(() => resolveConfig({ jails: { a: { source: '/x', tracker: { kind: 'x' } as unknown as { type: string } } } })).toThrow(/"jails\.a\.tracker"/);
    expect(resolveConfig({ defaults: { tracker: 'first-strike' }, jails: { a: { source: '/x' } } }).jails[0]!.tracker).toEqual({
      type: 'first-strike',
      options: {},
    });
  });
});
