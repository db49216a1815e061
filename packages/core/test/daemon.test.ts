import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig, type F2bConfig } from '../src/config.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Ban, Unban } from '../src/types.js';
import { rejected } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Inline plugins: a filter, a memory source the test drives, and two recording actions. */
function fixture() {
  const sources = new Map<string, SourceContext>();
  const sourceEvents: string[] = [];
  const actionCalls: { type: string; jail: string; op: 'ban' | 'unban' | 'start' | 'stop'; items: (Ban | Unban)[] }[] = [];

  const filterPlugin = definePlugin({
    meta: { name: 'f2b-filter-demo', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
    },
  });
  const sourcePlugin = definePlugin({
    meta: { name: 'f2b-source-memory', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerSource({
        type: 'memory',
        create(_options, ctx) {
          return {
            start: async () => {
              sources.set(ctx.jail, ctx);
              sourceEvents.push(`start:${ctx.jail}`);
            },
            stop: async () => {
              if (sources.get(ctx.jail) === ctx) sources.delete(ctx.jail);
              sourceEvents.push(`stop:${ctx.jail}`);
            },
          };
        },
      });
    },
  });
  const recorder = (type: string) => ({
    type,
    schema: { type: 'object', additionalProperties: false, properties: { table: { type: 'string' } } },
    create(_options: Record<string, unknown>, ctx: { jail: string }) {
      return {
        start: async () => {
          actionCalls.push({ type, jail: ctx.jail, op: 'start', items: [] });
        },
        stop: async () => {
          actionCalls.push({ type, jail: ctx.jail, op: 'stop', items: [] });
        },
        ban: async (bans: readonly Ban[]) => {
          actionCalls.push({ type, jail: ctx.jail, op: 'ban', items: [...bans] });
        },
        unban: async (unbans: readonly Unban[]) => {
          actionCalls.push({ type, jail: ctx.jail, op: 'unban', items: [...unbans] });
        },
      };
    },
  });
  const actionPlugin = definePlugin({
    meta: { name: 'f2b-action-record', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerAction(recorder('record'));
    },
  });
  const logPlugin = definePlugin({
    meta: { name: 'f2b-action-log-inline', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerAction(recorder('log'));
    },
  });

  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-'));
  dirs.push(searchFrom);
  const daemon = (opts: { dryRun?: boolean } = {}) =>
    new Daemon({
      searchFrom: [searchFrom],
      clock,
      logLevel: 'silent',
      dryRun: opts.dryRun,
      plugins: [filterPlugin, sourcePlugin, actionPlugin, logPlugin],
    });
  /** Push lines through the jail's source context, as the source would. */
  const push = async (jail: string, ...lines: string[]) => {
    const ctx = sources.get(jail);
    if (!ctx) throw new Error(`no running source for ${jail}`);
    await ctx.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  };
  const bans = (type = 'record') => actionCalls.filter((c) => c.type === type && c.op === 'ban');
  const unbans = (type = 'record') => actionCalls.filter((c) => c.type === type && c.op === 'unban');
  return { daemon, push, clock, sources, sourceEvents, actionCalls, bans, unbans };
}

const jail = (extra: Record<string, unknown> = {}) => ({
  source: { type: 'memory' },
  filter: 'demo',
  actions: ['record'],
  maxretry: 2,
  findtime: 600,
  bantime: 600,
  ...extra,
});
const config = (jails: F2bConfig['jails']) => resolveConfig({ jails, state: { type: 'memory' }, socket: false });

describe('Daemon.start', () => {
  it('creates and starts the enabled jails only', async () => {
    const f = fixture();
    const d = f.daemon();
    let started = 0;
    d.core.hooks.start.tapPromise('test', async () => {
      started++;
    });
    await d.start(config({ a: jail(), off: jail({ enabled: false }), c: jail() }));
    expect(d.jails.map((j) => j.name)).toEqual(['a', 'c']);
    expect(d.jail('off')).toBeUndefined();
    expect(started).toBe(1);
    expect(f.sourceEvents).toEqual(['start:a', 'start:c']);
    expect(f.actionCalls.filter((c) => c.op === 'start').map((c) => c.jail)).toEqual(['a', 'c']);
    await d.stop();
    expect(f.sourceEvents).toEqual(['start:a', 'start:c', 'stop:a', 'stop:c']);
  });

  it('lines → bans reach the action in one batch, in the right jail only', async () => {
    const f = fixture();
    const d = f.daemon();
    await d.start(config({ a: jail(), b: jail() }));
    await f.push(
      'a',
      'auth failure from 192.0.2.1',
      'auth failure from 198.51.100.2',
      'nothing to see',
      'auth failure from 192.0.2.1',
      'auth failure from 198.51.100.2',
    );
    await d.jail('a')!.flush();
    await d.jail('b')!.flush();
    const batches = f.bans();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.jail).toBe('a');
    expect(batches[0]!.items.map((b) => b.id)).toEqual(['192.0.2.1', '198.51.100.2']);
    expect(batches[0]!.items[0]).toMatchObject({ jail: 'a', start: f.clock.now(), end: f.clock.now() + 600_000, failures: 2 });
    expect(d.jail('a')!.status()).toMatchObject({ currentlyBanned: 2, lines: 5 });
    expect(d.jail('b')!.status()).toMatchObject({ currentlyBanned: 0, lines: 0 });
    await d.stop();
  });

  it('bans expire on the clock and the unban reaches the action', async () => {
    const f = fixture();
    const d = f.daemon();
    await d.start(config({ a: jail({ bantime: 60 }) }));
    await f.push('a', 'auth failure from 192.0.2.1', 'auth failure from 192.0.2.1');
    await d.jail('a')!.flush();
    f.clock.advance(60_000);
    await d.jail('a')!.flush();
    expect(f.unbans().flatMap((c) => c.items.map((u) => [u.id, (u as Unban).reason]))).toEqual([['192.0.2.1', 'expired']]);
    await d.stop();
  });

  it('dryRun replaces every action with log', async () => {
    const f = fixture();
    const d = f.daemon({ dryRun: true });
    // `nftables` is provided by nothing: in a dry run it is never needed
    await d.start(config({ a: jail({ actions: ['record', { type: 'nftables', table: 'x' }] }) }));
    expect(d.jail('a')!.config.actions).toEqual([{ type: 'log', options: {} }]);
    await f.push('a', 'auth failure from 192.0.2.1', 'auth failure from 192.0.2.1');
    await d.jail('a')!.flush();
    expect(f.bans('record')).toEqual([]);
    expect(f.bans('log').flatMap((c) => c.items.map((b) => b.id))).toEqual(['192.0.2.1']);
    await d.stop();
  });

  it('action options are validated against the action schema, at the config path', async () => {
    const f = fixture();
    const err = await rejected(f.daemon().start(config({ a: jail({ actions: [{ type: 'record', tabel: 'x' }] }) })));
    expect(err.code).toBe('F2B_ERR_PLUGIN_OPTIONS');
    expect(err.path).toBe('jails.a.actions.0.tabel');
  });
});

describe('Daemon: missing providers', () => {
  it('a filter id no plugin provides → F2B_ERR_FILTER_NOT_FOUND with the path', async () => {
    const f = fixture();
    const err = await rejected(f.daemon().start(config({ web: jail({ filter: 'nginx-nonexistent-xyz' }) })));
    expect(err.code).toBe('F2B_ERR_FILTER_NOT_FOUND');
    expect(err.path).toBe('jails.web.filter');
    expect(err.message).toContain('nginx-nonexistent-xyz');
    // No package of that name is published: the fix names none to install (typosquatting), it says how to search.
    expect(err.fix).not.toContain('npm i ');
    expect(err.fix).toContain('npm search keywords:f2b-filter');
  });

  it('the filter defaults to the jail name, so an unknown jail name is a missing filter', async () => {
    const f = fixture();
    const err = await rejected(f.daemon().start(config({ 'no-such-filter-xyz': { source: { type: 'memory' }, actions: ['record'] } })));
    expect(err.code).toBe('F2B_ERR_FILTER_NOT_FOUND');
    expect(err.path).toBe('jails.no-such-filter-xyz.filter');
  });

  it('an action type no plugin provides → F2B_ERR_PLUGIN_NOT_FOUND with the path', async () => {
    const f = fixture();
    const err = await rejected(f.daemon().start(config({ a: jail({ actions: ['record', 'nonexistent-xyz'] }) })));
    expect(err.code).toBe('F2B_ERR_PLUGIN_NOT_FOUND');
    expect(err.path).toBe('jails.a.actions.1');
    expect(err.message).toContain('@f2b/action-nonexistent-xyz');
  });

  it('a source type no plugin provides → F2B_ERR_PLUGIN_NOT_FOUND with the path', async () => {
    const f = fixture();
    const err = await rejected(f.daemon().start(config({ a: jail({ source: { type: 'kafka-xyz' } }) })));
    expect(err.code).toBe('F2B_ERR_PLUGIN_NOT_FOUND');
    expect(err.path).toBe('jails.a.sources.0');
  });

  it('a config plugin package that is not installed → F2B_ERR_PLUGIN_NOT_FOUND at plugins.N', async () => {
    const f = fixture();
    const err = await rejected(
      f.daemon().start(resolveConfig({ plugins: ['f2b-plugin-nonexistent-xyz'], jails: { a: jail() }, state: { type: 'memory' }, socket: false })),
    );
    expect(err.code).toBe('F2B_ERR_PLUGIN_NOT_FOUND');
    expect(err.path).toBe('plugins.0');
  });
});

describe('Daemon.reload', () => {
  it('keeps the bans of a kept jail (and their expiry), drops removed jails, adds new ones', async () => {
    const f = fixture();
    const d = f.daemon();
    let reloaded = 0;
    d.core.hooks.reload.tapPromise('test', async () => {
      reloaded++;
    });
    await d.start(config({ a: jail(), b: jail() }));
    await f.push('a', 'auth failure from 192.0.2.1', 'auth failure from 192.0.2.1');
    await f.push('b', 'auth failure from 198.51.100.7', 'auth failure from 198.51.100.7');
    await d.jail('a')!.flush();
    await d.jail('b')!.flush();
    const oldA = d.jail('a')!;
    const banEnd = [...oldA.bans()][0]!.end!;
    f.clock.advance(100_000);

    await d.reload(config({ a: jail({ maxretry: 5 }), c: jail() }));
    expect(reloaded).toBe(1);
    expect(d.jails.map((j) => j.name)).toEqual(['a', 'c']);
    const newA = d.jail('a')!;
    expect(newA).not.toBe(oldA);
    expect(newA.config.maxretry).toBe(5);
    expect([...newA.bans()].map((b) => [b.id, b.end])).toEqual([['192.0.2.1', banEnd]]);
    expect(d.jail('b')).toBeUndefined();
    expect(f.sourceEvents).toEqual(['start:a', 'start:b', 'stop:a', 'stop:b', 'start:a', 'start:c']);
    // the kept ban is not banned a second time: the jail's actions are configured the same, so the
    // new jail took over the running action instances (no stop/start of the firewall state)
    expect(f.bans().filter((c) => c.jail === 'a')).toHaveLength(1);
    expect(f.actionCalls.filter((c) => c.jail === 'a' && (c.op === 'stop' || c.op === 'start')).map((c) => c.op)).toEqual(['start']);

    // the new jail runs with the new settings
    await f.push('a', 'auth failure from 203.0.113.1', 'auth failure from 203.0.113.1');
    await newA.flush();
    expect(newA.banOf('203.0.113.1')).toBeUndefined();

    // the kept ban still expires at its original end, exactly once, through the new jail's action
    f.clock.advance(banEnd - f.clock.now());
    await newA.flush();
    await oldA.flush();
    const expired = f.unbans().flatMap((c) => c.items.map((u) => `${c.jail}:${u.id}:${(u as Unban).reason}`));
    expect(expired).toEqual(['a:192.0.2.1:expired']);
    expect(newA.banOf('192.0.2.1')).toBeUndefined();
    await d.stop();
  });

  it("a reload that changes a jail's actions starts new instances and gives them the bans in force", async () => {
    const f = fixture();
    const d = f.daemon();
    await d.start(config({ a: jail() }));
    await f.push('a', 'auth failure from 192.0.2.1', 'auth failure from 192.0.2.1');
    await d.jail('a')!.flush();
    const first = f.bans()[0]!.items[0] as Ban;
    await d.reload(config({ a: jail({ actions: [{ type: 'record', table: 'other' }] }) }));
    const ops = f.actionCalls.filter((c) => c.jail === 'a').map((c) => c.op);
    expect(ops).toEqual(['start', 'ban', 'stop', 'start', 'ban']);
    // the same ban (same start and end), restored, not decided again
    expect(f.bans()[1]!.items).toEqual([first]);
    expect(d.jail('a')!.stats.bans).toBe(1);
    await d.stop();
  });

  it("a reload that changes only a jail's port starts new action instances (they read the ports when created)", async () => {
    const f = fixture();
    const d = f.daemon();
    await d.start(config({ a: jail({ port: 22 }) }));
    await d.reload(config({ a: jail({ port: 22 }) }));
    expect(f.actionCalls.filter((c) => c.jail === 'a').map((c) => c.op)).toEqual(['start']);
    await d.reload(config({ a: jail({ port: '22,2222' }) }));
    expect(f.actionCalls.filter((c) => c.jail === 'a').map((c) => c.op)).toEqual(['start', 'stop', 'start']);
    await d.stop();
  });

  it('a reload with a bad config fails and leaves the running jails alone', async () => {
    const f = fixture();
    const d = f.daemon();
    await d.start(config({ a: jail() }));
    const before = d.jail('a')!;
    const err = await rejected(d.reload(config({ a: jail({ filter: 'missing-filter-xyz' }) })));
    expect(err.code).toBe('F2B_ERR_FILTER_NOT_FOUND');
    expect(d.jail('a')).toBe(before);
    expect(f.sourceEvents).toEqual(['start:a']);
    await f.push('a', 'auth failure from 192.0.2.1', 'auth failure from 192.0.2.1');
    await before.flush();
    expect(f.bans()).toHaveLength(1);
    await d.stop();
  });
});
