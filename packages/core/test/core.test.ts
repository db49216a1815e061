import { describe, it, expect } from 'vitest';
import { Core } from '../src/core.js';
import { F2bError } from '../src/errors.js';
import { definePlugin, type F2bPlugin, type PluginApi } from '../src/plugin.js';
import type { FilterDefinition } from '../src/filter/types.js';
import type { JailInfo } from '../src/hooks.js';
import type { Ban, Failure } from '../src/types.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const silent = () => new Core({ logLevel: 'silent' });

const filterDef: FilterDefinition = { id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] };

function fullPlugin(name = 'f2b-plugin-demo', extra: Partial<F2bPlugin> = {}): F2bPlugin & { applied: number } {
  const p = {
    applied: 0,
    meta: { name, version: '1.0.0', core: '*' },
    apply(core: PluginApi) {
      p.applied++;
      core.registerFilter(filterDef);
      core.registerSource({ type: 'demo-source', create: () => ({ start: async () => {}, stop: async () => {} }) });
      core.registerAction({ type: 'demo-action', create: () => ({ ban: async () => {}, unban: async () => {} }) });
    },
    ...extra,
  };
  return p;
}

const info: JailInfo = { name: 'sshd', filter: 'sshd', findtime: 600, maxretry: 5, bantime: 600 };
const failure: Failure = { id: '192.0.2.1', time: 0, attempts: 1, rule: 'r', captures: {}, lines: ['x'], filter: 'sshd' };
const ban: Ban = { jail: 'sshd', id: '192.0.2.1', start: 0, end: 600_000, count: 1, failures: 5 };

function collectErrors(core: Core) {
  const seen: { error: Error; ctx: { plugin?: string; hook?: string; jail?: string } }[] = [];
  core.hooks.error.tap('test', (error, ctx) => {
    seen.push({ error, ctx });
  });
  return seen;
}

describe('Core.use: loading a valid plugin', () => {
  it('applies it and registers its filter, source and action under its name', () => {
    const core = silent();
    const plugin = fullPlugin();
    expect(core.getFilter('demo')).toBeUndefined();
    core.use(plugin);
    expect(plugin.applied).toBe(1);
    expect(core.getFilter('demo')).toEqual({ def: filterDef, plugin: 'f2b-plugin-demo' });
    expect(core.getSource('demo-source')?.plugin).toBe('f2b-plugin-demo');
    expect(core.getAction('demo-action')?.plugin).toBe('f2b-plugin-demo');
    expect(core.listPlugins().filter((p) => p.plugin === plugin)).toEqual([{ plugin, meta: plugin.meta }]);
    expect(core.listFilters().map((f) => f.def.id)).toEqual(['demo']);
  });

  it('a plugin built in code without meta is named inline#n, and what it registers is attributed to it', () => {
    const core = silent();
    core.use({
      apply(api) {
        api.registerAction({ type: 'x', create: () => ({ ban: async () => {}, unban: async () => {} }) });
      },
    });
    core.use({
      apply(api) {
        api.registerAction({ type: 'y', create: () => ({ ban: async () => {}, unban: async () => {} }) });
      },
    });
    expect(core.getAction('x')?.plugin).toBe('inline#1');
    expect(core.getAction('y')?.plugin).toBe('inline#2');
    expect(core.getAction('z')).toBeUndefined();
  });

  it('hands each plugin an api of its own: its name, a logger named after it, the clock, validate and errors', () => {
    const records: { name: string; msg: string }[] = [];
    const core = new Core({
      logLevel: 'info',
      logSink: (_l, name, msg) => {
        records.push({ name, msg });
      },
    });
    let api: PluginApi | undefined;
    core.use({
      meta: { name: 'f2b-plugin-a' },
      apply(a) {
        api = a;
        a.logger.info('hello');
      },
    });
    expect(api!.name).toBe('f2b-plugin-a');
    expect(api!.coreVersion).toBe(core.version);
    expect(api!.clock).toBe(core.clock);
    expect(api!.hooks).toBe(core.hooks);
    expect(records).toContainEqual({ name: 'f2b-plugin-a', msg: 'hello' });
    expect('use' in api!).toBe(false);
    expect(Object.isFrozen(api)).toBe(true);
    const bad = thrown(() => api!.validate({ type: 'object', properties: { n: { type: 'integer' } } }, { n: 'x' }, 'jails.a.tracker'));
    expect(bad).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.a.tracker.n', plugin: 'f2b-plugin-a' });
    const own = api!.errors.create('F2B_ERR_DEMO_BROKEN', 'The demo is broken.', { fix: 'Mend it.' });
    expect(own).toBeInstanceOf(F2bError);
    expect(own.describe()).toBe('F2B_ERR_DEMO_BROKEN: The demo is broken.\n  Fix: Mend it.');
    expect(api!.errors.F2B_ERR_PLUGIN_INVALID('x', 'y').code).toBe('F2B_ERR_PLUGIN_INVALID');
  });

  it('accepts a plugin whose core range matches the core version', () => {
    const core = new Core({ logLevel: 'silent', version: '2.3.0' });
    core.use(fullPlugin('p', { meta: { name: 'p', version: '1.0.0', core: '^2.0.0' } }));
    expect(core.getFilter('demo')?.plugin).toBe('p');
  });

  it('loading the same plugin twice is harmless: apply runs once, registrations stay', () => {
    const core = silent();
    const plugin = fullPlugin();
    core.use(plugin);
    expect(() => core.use(plugin)).not.toThrow();
    expect(plugin.applied).toBe(1);
    expect(core.listPlugins().filter((p) => p.plugin === plugin)).toHaveLength(1);
    expect(core.getFilter('demo')?.plugin).toBe('f2b-plugin-demo');
  });
});

describe('Core.use: rejecting bad plugins', () => {
  it('a plugin without apply → F2B_ERR_PLUGIN_INVALID', () => {
    const core = silent();
    const err = thrown(() => core.use({ meta: { name: 'no-apply', version: '1.0.0', core: '*' } } as unknown as F2bPlugin, 'plugins.0'));
    expect(err.code).toBe('F2B_ERR_PLUGIN_INVALID');
    expect(err.message).toContain('no-apply');
    expect(err.path).toBe('plugins.0');
    expect(core.listPlugins().map((p) => p.meta.name)).not.toContain('no-apply');
  });

  it('a meta that is not an object with a name → F2B_ERR_PLUGIN_INVALID, and apply is not called', () => {
    const core = silent();
    let called = false;
    const err = thrown(() =>
      core.use({
        meta: 'x',
        apply() {
          called = true;
        },
      } as unknown as F2bPlugin),
    );
    expect(err.code).toBe('F2B_ERR_PLUGIN_INVALID');
    expect(called).toBe(false);
  });

  it.each([
    ['meta.core not a semver range', { name: 'x', version: '1.0.0', core: 'not a range!' }],
    ['meta.name not a string', { name: 42 }],
  ])('%s → F2B_ERR_PLUGIN_INVALID', (_label, meta) => {
    const err = thrown(() => silent().use({ meta, apply() {} } as unknown as F2bPlugin));
    expect(err.code).toBe('F2B_ERR_PLUGIN_INVALID');
  });

  it.each([null, undefined, 42, 'a string'])('%s is not a plugin', (value) => {
    expect(thrown(() => silent().use(value as unknown as F2bPlugin)).code).toBe('F2B_ERR_PLUGIN_INVALID');
  });

  it('a core range that is not satisfied → F2B_ERR_PLUGIN_VERSION_MISMATCH naming both versions', () => {
    const core = new Core({ logLevel: 'silent', version: '0.1.0' });
    const plugin = fullPlugin('f2b-filter-old', { meta: { name: 'f2b-filter-old', version: '3.0.0', core: '^2.0.0' } });
    const err = thrown(() => core.use(plugin, 'plugins.1'));
    expect(err.code).toBe('F2B_ERR_PLUGIN_VERSION_MISMATCH');
    expect(err.message).toContain('^2.0.0');
    expect(err.message).toContain('0.1.0');
    expect(err.message).toContain('f2b-filter-old');
    expect(err.plugin).toBe('f2b-filter-old');
    expect(err.path).toBe('plugins.1');
    expect(plugin.applied).toBe(0);
    expect(core.getFilter('demo')).toBeUndefined();
  });

  it('invalid options against the plugin schema → F2B_ERR_PLUGIN_OPTIONS with the config path', () => {
    const core = silent();
    const plugin = fullPlugin('f2b-action-x', {
      schema: { type: 'object', additionalProperties: false, properties: { table: { type: 'string' } } },
    });
    const err = thrown(() => core.use(plugin, { path: 'plugins.0', options: { table: 'f2b', foo: 1 } }));
    expect(err.code).toBe('F2B_ERR_PLUGIN_OPTIONS');
    expect(err.path).toBe('plugins.0.options.foo');
    expect(err.plugin).toBe('f2b-action-x');
    expect(plugin.applied).toBe(0);
  });

  it('a wrongly typed option is reported at its own path; without a path the base is "options"', () => {
    const schema = { type: 'object', properties: { foo: { type: 'number' } } };
    const err = thrown(() => silent().use(fullPlugin('p', { schema }), { options: { foo: 'nope' } }));
    expect(err.code).toBe('F2B_ERR_PLUGIN_OPTIONS');
    expect(err.path).toBe('options.foo');
    expect(err.message).toContain('number');
  });

  it("valid options pass, get schema defaults filled in, and reach apply (the caller's object is not changed)", () => {
    const core = silent();
    let seen: unknown;
    const options: Record<string, unknown> = { table: 'x' };
    core.use(
      {
        meta: { name: 'p', version: '1.0.0', core: '*' },
        schema: { type: 'object', properties: { table: { type: 'string' }, family: { type: 'string', default: 'inet' } } },
        apply(_api, opts) {
          seen = opts;
        },
      },
      { options },
    );
    expect(seen).toEqual({ table: 'x', family: 'inet' });
    expect(options).toEqual({ table: 'x' });
  });

  it('a plugin whose apply throws → F2B_ERR_PLUGIN_HOOK (hook "apply"), and it is not recorded as loaded', () => {
    const core = silent();
    const boom = new Error('kaput');
    const plugin = definePlugin({
      meta: { name: 'f2b-plugin-bad', version: '1.0.0', core: '*' },
      apply() {
        throw boom;
      },
    });
    const err = thrown(() => core.use(plugin));
    expect(err.code).toBe('F2B_ERR_PLUGIN_HOOK');
    expect(err.plugin).toBe('f2b-plugin-bad');
    expect(err.hook).toBe('apply');
    expect(err.cause).toBe(boom);
    expect(err.message).toContain('kaput');
    expect(core.listPlugins().map((p) => p.meta.name)).not.toContain('f2b-plugin-bad');
  });

  it('an F2bError thrown by apply passes through unchanged', () => {
    const own = new F2bError('F2B_ERR_CONFIG_INVALID', 'nope');
    const err = thrown(() =>
      silent().use({
        meta: { name: 'p', version: '1.0.0', core: '*' },
        apply() {
          throw own;
        },
      }),
    );
    expect(err).toBe(own);
  });
});

describe('hooks: a throwing tap is reported, never thrown', () => {
  it('sync hook (failure): the error goes to hooks.error with {plugin, hook}; later taps still run', () => {
    const core = silent();
    const seen = collectErrors(core);
    const calls: string[] = [];
    core.use({
      meta: { name: 'f2b-plugin-thrower', version: '1.0.0', core: '*' },
      apply(c) {
        c.hooks.failure.tap('f2b-plugin-thrower', () => {
          throw new Error('sync boom');
        });
      },
    });
    core.hooks.failure.tap('after', (f) => {
      calls.push(f.id);
    });
    expect(() => core.hooks.failure.call(failure, info)).not.toThrow();
    expect(calls).toEqual(['192.0.2.1']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ctx).toEqual({ plugin: 'f2b-plugin-thrower', hook: 'failure' });
    const err = seen[0]!.error as F2bError;
    expect(err.code).toBe('F2B_ERR_PLUGIN_HOOK');
    expect(err.plugin).toBe('f2b-plugin-thrower');
    expect(err.hook).toBe('failure');
    expect((err.cause as Error).message).toBe('sync boom');
  });

  it('bail hook (ignore): a throwing tap answers nothing, so the next tap decides', () => {
    const core = silent();
    const seen = collectErrors(core);
    core.hooks.ignore.tap('bad', () => {
      throw new Error('x');
    });
    core.hooks.ignore.tap('good', () => 'whitelisted');
    expect(core.hooks.ignore.call(failure, info)).toBe('whitelisted');
    expect(seen.map((s) => s.ctx)).toEqual([{ plugin: 'bad', hook: 'ignore' }]);
  });

  it('waterfall hook (entry): a throwing tap leaves the entry as it was', () => {
    const core = silent();
    const seen = collectErrors(core);
    const entry = { raw: Buffer.from('x'), message: Buffer.from('x'), time: 1 };
    core.hooks.entry.tap('bad', () => {
      throw new Error('x');
    });
    expect(core.hooks.entry.call(entry, info)).toBe(entry);
    expect(seen[0]!.ctx).toEqual({ plugin: 'bad', hook: 'entry' });
  });

  it('async hook (ban, tapPromise): a rejecting tap is reported and promise() resolves; other taps run', async () => {
    const core = silent();
    const seen = collectErrors(core);
    const got: string[] = [];
    core.hooks.ban.tapPromise('f2b-action-flaky', async () => {
      throw new Error('async boom');
    });
    core.hooks.ban.tapPromise('recorder', async (b) => {
      got.push(b.id);
    });
    await expect(core.hooks.ban.promise(ban, info)).resolves.toBeUndefined();
    expect(got).toEqual(['192.0.2.1']);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ctx).toEqual({ plugin: 'f2b-action-flaky', hook: 'ban' });
    expect((seen[0]!.error as F2bError).code).toBe('F2B_ERR_PLUGIN_HOOK');
    expect(((seen[0]!.error as F2bError).cause as Error).message).toBe('async boom');
  });

  it('async hook: a tapPromise function that throws synchronously is reported too', async () => {
    const core = silent();
    const seen = collectErrors(core);
    core.hooks.unban.tapPromise('sync-thrower', (() => {
      throw new Error('not even a promise');
    }) as () => Promise<void>);
    await expect(core.hooks.unban.promise({ jail: 'sshd', id: '192.0.2.1', time: 0, reason: 'manual' }, info)).resolves.toBeUndefined();
    expect(seen.map((s) => s.ctx)).toEqual([{ plugin: 'sync-thrower', hook: 'unban' }]);
  });

  it('async hook: a tapAsync callback error and a sync tap on an async hook are reported', async () => {
    const core = silent();
    const seen = collectErrors(core);
    core.hooks.ban.tapAsync('cb-error', (_b, _j, cb) => {
      cb(new Error('cb boom'));
    });
    core.hooks.ban.tap('sync-on-async', () => {
      throw new Error('sync on async');
    });
    await expect(core.hooks.ban.promise(ban, info)).resolves.toBeUndefined();
    expect(seen.map((s) => s.ctx.plugin).sort()).toEqual(['cb-error', 'sync-on-async']);
    expect(seen.every((s) => s.ctx.hook === 'ban')).toBe(true);
  });

  it("a plugin's own F2bError from a tap is reported as it is: its code and fix, not F2B_ERR_PLUGIN_HOOK", async () => {
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const core = new Core({
      logLevel: 'debug',
      logSink: (level, _n, msg, fields) => {
        logged.push({ level, msg, fields });
      },
    });
    const seen = collectErrors(core);
    core.use({
      meta: { name: 'f2b-action-own' },
      apply(api) {
        api.hooks.ban.tapPromise('f2b-action-own', async () => {
          throw api.errors.create('F2B_ERR_OWN_UNREACHABLE', 'The own service cannot be reached.', { fix: 'Start the own service.' });
        });
      },
    });
    await core.hooks.ban.promise(ban, info);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.error).toMatchObject({ code: 'F2B_ERR_OWN_UNREACHABLE', fix: 'Start the own service.' });
    expect(seen[0]!.ctx).toEqual({ plugin: 'f2b-action-own', hook: 'ban' });
    const line = logged.find((l) => l.level === 'error')!;
    expect(line.msg).toBe('F2B_ERR_OWN_UNREACHABLE: The own service cannot be reached.');
    expect(line.fields).toMatchObject({ fix: 'Start the own service.', plugin: 'f2b-action-own' });
  });

  it('an error tap that throws itself does not escape', () => {
    const core = silent();
    core.hooks.error.tap('broken-reporter', () => {
      throw new Error('reporter broke');
    });
    core.hooks.failure.tap('bad', () => {
      throw new Error('x');
    });
    expect(() => core.hooks.failure.call(failure, info)).not.toThrow();
  });

  it('reportError also logs the error with its context', () => {
    const logged: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const core = new Core({
      logLevel: 'debug',
      logSink: (level, _n, msg, fields) => {
        logged.push({ level, msg, fields });
      },
    });
    core.hooks.failure.tap('bad', () => {
      throw new Error('x');
    });
    core.hooks.failure.call(failure, info);
    const errorsLogged = logged.filter((l) => l.level === 'error');
    expect(errorsLogged).toHaveLength(1);
    expect(errorsLogged[0]!.msg).toContain('F2B_ERR_PLUGIN_HOOK');
    expect(errorsLogged[0]!.fields).toMatchObject({ plugin: 'bad', hook: 'failure' });
    // The fix is a field, not a second line: our log stays one line per event.
    expect(errorsLogged[0]!.fields!.fix).toMatch(/bug in bad/);
    expect(errorsLogged[0]!.msg).not.toContain('\n');
  });

  it('a tap that does not throw returns its value normally', () => {
    const core = silent();
    const seen = collectErrors(core);
    core.hooks.ignore.tap('ok', () => 'reason');
    expect(core.hooks.ignore.call(failure, info)).toBe('reason');
    expect(seen).toHaveLength(0);
  });
});
