/**
 * Plugin discovery and version refusal, on fake third-party packages in temp node_modules: found by
 * name (`f2b-filter-*`, `@scope/f2b-plugin-*`) or by the keyword `f2b-plugin`, from the config's
 * directory upward and from the global prefix; `f2b plugins` shows kind, version, ids and
 * compatibility; a plugin built for another core — one written for the 0.1 contract (`^0.1.0`, its
 * meta in code), one for a future core — is refused with F2B_ERR_PLUGIN_VERSION_MISMATCH and exit 2
 * by `f2b test-filter`, `f2b start` and `f2b config check`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-plugins-');
afterAll(() => tmp.cleanup());

/**
 * A plugin package providing one filter that matches `<id> failure from <HOST>`, written to the
 * current contract (meta in package.json, `apply(api)`) — or, with `meta`, stating a core range in
 * code too (how a plugin states it when the manifest does not).
 */
function fakeFilter(
  nm: string,
  name: string,
  id: string,
  opts: { core?: string; peer?: string | null; meta?: string; keywords?: string[]; block?: boolean } = {},
) {
  const dir = join(nm, name);
  mkdirSync(dir, { recursive: true });
  const core = opts.core ?? '^0.2.0';
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version: '1.2.3',
      type: 'module',
      main: 'index.js',
      keywords: opts.keywords ?? ['f2b', 'f2b-plugin', 'f2b-filter'],
      ...(opts.peer === null ? {} : { peerDependencies: { '@f2b/core': opts.peer ?? core } }),
      ...(opts.block === false ? {} : { f2b: { kind: 'filter', filters: [id] } }),
    }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `export default () => ({${
      opts.meta
        ? `
  meta: { core: ${JSON.stringify(opts.meta)} },`
        : ''
    }
  apply(api) { api.registerFilter({ id: ${JSON.stringify(id)}, rules: [{ id: 'fail', pattern: '^${id} failure from <HOST>$' }] }); },
});\n`,
  );
}

/** A plugin as the 0.1 contract wrote them: a factory of options, meta in code, `apply(core)`. */
function contract01Filter(nm: string, name: string, id: string) {
  const dir = join(nm, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version: '0.9.0',
      type: 'module',
      main: 'index.js',
      keywords: ['f2b', 'f2b-plugin', 'f2b-filter'],
      peerDependencies: { '@f2b/core': '^0.1.0' },
      f2b: { kind: 'filter', filters: [id] },
    }),
  );
  writeFileSync(
    join(dir, 'index.js'),
    `export default (options = {}) => ({
  meta: { name: ${JSON.stringify(name)}, version: '0.9.0', core: '^0.1.0', kind: 'filter' },
  options,
  apply(core) { core.registerFilter({ id: ${JSON.stringify(id)}, rules: [{ id: 'fail', pattern: '^${id} failure from <HOST>$' }] }); },
});\n`,
  );
}

const project = join(tmp.dir, 'project');
const nm = join(project, 'node_modules');
fakeFilter(nm, 'f2b-filter-fakeapp', 'fakeapp', { core: '^99.0.0' });
fakeFilter(nm, '@acme/f2b-plugin-good', 'goodapp');
fakeFilter(nm, 'odd-name-filter', 'oddapp', { keywords: ['f2b-plugin', 'f2b-filter'], block: false });
fakeFilter(nm, 'f2b-filter-metaonly', 'metaonly', { meta: '>=5', peer: null });
contract01Filter(nm, 'f2b-filter-oldapp', 'oldapp');
fakeFilter(nm, 'unrelated', 'nothing', { keywords: ['logging'] });
const prefix = join(tmp.dir, 'prefix');
fakeFilter(join(prefix, 'lib/node_modules'), 'f2b-filter-global', 'globalapp');
const sub = join(project, 'etc', 'f2b');
mkdirSync(sub, { recursive: true });
const env = { npm_config_prefix: prefix };

describe('f2b plugins', () => {
  it('lists ours and third-party packages with kind, version, ids and compatibility', () => {
    const r = f2b(['plugins', '--json'], { cwd: sub, env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.core.version).toBe('0.2.0');
    const byName = Object.fromEntries(out.plugins.map((p: { name: string }) => [p.name, p]));
    expect(byName['@f2b/filter-sshd']).toMatchObject({ kind: 'filter', provides: ['sshd'], compatible: true });
    expect(byName['@acme/f2b-plugin-good']).toMatchObject({
      version: '1.2.3',
      kind: 'filter',
      provides: ['goodapp'],
      compatible: true,
      core: { peer: '^0.2.0', meta: '^0.2.0' },
    });
    expect(byName['odd-name-filter']).toMatchObject({ kind: 'filter', compatible: true }); // by keyword alone
    expect(byName['f2b-filter-global']).toMatchObject({ provides: ['globalapp'], compatible: true }); // global prefix
    expect(byName.unrelated).toBeUndefined();
    expect(byName['f2b-filter-fakeapp']).toMatchObject({
      compatible: false,
      core: { peer: '^99.0.0' },
      problem: { code: 'F2B_ERR_PLUGIN_VERSION_MISMATCH', message: expect.stringContaining('"^99.0.0"') },
    });
    expect(byName['f2b-filter-fakeapp'].problem.message).toContain('"0.2.0"');
    expect(byName['f2b-filter-oldapp']).toMatchObject({
      version: '0.9.0',
      compatible: false,
      core: { peer: '^0.1.0' },
      problem: { code: 'F2B_ERR_PLUGIN_VERSION_MISMATCH', message: 'The plugin "f2b-filter-oldapp" requires @f2b/core "^0.1.0", but "0.2.0" is installed.' },
    });
    expect(byName['f2b-filter-metaonly']).toMatchObject({
      compatible: false,
      core: { peer: null, meta: '>=5' },
      problem: { code: 'F2B_ERR_PLUGIN_VERSION_MISMATCH' },
    });
  });

  it('prints a table and, for each incompatible plugin, the error and its fix', () => {
    const r = f2b(['plugins'], { cwd: sub, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^@f2b\/core 0\.2\.0$/m);
    expect(r.stdout).toMatch(/^PACKAGE +VERSION +KIND +PROVIDES +CORE +STATUS$/m);
    expect(r.stdout).toMatch(/^f2b-filter-fakeapp +1\.2\.3 +filter +fakeapp +\^99\.0\.0 +INCOMPATIBLE$/m);
    expect(r.stdout).toMatch(/^@acme\/f2b-plugin-good +1\.2\.3 +filter +goodapp +\^0\.2\.0 +ok$/m);
    expect(r.stdout).toMatch(/^f2b-filter-oldapp +0\.9\.0 +filter +oldapp +\^0\.1\.0 +INCOMPATIBLE$/m);
    expect(r.stdout).toContain(
      'f2b-filter-fakeapp: F2B_ERR_PLUGIN_VERSION_MISMATCH: The plugin "f2b-filter-fakeapp" requires @f2b/core "^99.0.0", but "0.2.0" is installed.',
    );
    expect(r.stdout).toContain('Fix: Install a version of f2b-filter-fakeapp built for @f2b/core 0.2.0');
  });
});

describe('refusing a plugin built for another core', () => {
  it('f2b test-filter: exit 2, naming both versions and the fix', () => {
    const r = f2b(['test-filter', 'fakeapp', '-'], { cwd: sub, env, input: 'fakeapp failure from 192.0.2.1\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_PLUGIN_VERSION_MISMATCH');
    expect(r.stderr).toContain('"^99.0.0"');
    expect(r.stderr).toContain('"0.2.0"');
    expect(r.stderr).toContain('Fix: Install a version of f2b-filter-fakeapp');
  });

  it('a plugin built for the 0.1 contract (^0.1.0): refused with the version mismatch before its code runs', () => {
    const r = f2b(['test-filter', 'oldapp', '-'], { cwd: sub, env, input: 'oldapp failure from 192.0.2.1\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_PLUGIN_VERSION_MISMATCH: The plugin "f2b-filter-oldapp" requires @f2b/core "^0.1.0", but "0.2.0" is installed.');
    expect(r.stderr).toContain('Fix: Install a version of f2b-filter-oldapp built for @f2b/core 0.2.0');
  });

  it('a compatible third-party filter works the same way', () => {
    const r = f2b(['test-filter', 'goodapp', '-', '--json'], { cwd: sub, env, input: 'goodapp failure from 192.0.2.1\n' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ line: 1, match: true, id: '192.0.2.1' });
    const g = f2b(['test-filter', 'globalapp', '-', '--json'], { cwd: sub, env, input: 'globalapp failure from 192.0.2.2\n' });
    expect(JSON.parse(g.stdout)).toMatchObject({ match: true, id: '192.0.2.2' });
  });

  it('f2b start and f2b config check: exit 2 before anything runs', () => {
    const config = join(sub, 'f2b.config.json');
    writeFileSync(config, JSON.stringify({ state: { type: 'memory' }, socket: false, jails: { app: { source: join(sub, 'app.log'), filter: 'fakeapp' } } }));
    const start = f2b(['start', '--foreground', '--dry-run', '--config', config], { cwd: sub, env });
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('F2B_ERR_PLUGIN_VERSION_MISMATCH');
    expect(start.stderr).toContain('jails.app.filter');
    const check = f2b(['config', 'check', '--config', config], { cwd: sub, env });
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('F2B_ERR_PLUGIN_VERSION_MISMATCH');
  });
});
