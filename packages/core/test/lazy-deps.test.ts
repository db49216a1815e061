/**
 * Start-up loads only what a command needs (issue 17): importing @f2b/core loads none of the
 * libraries that only some commands use — ajv (the first schema checked), yaml and cosmiconfig
 * (the first config file read), semver (the first plugin's core range). `f2b --version` and the
 * client commands are that much quicker; the client commands import `@f2b/core/client`, which
 * leaves out the engine too. A Core makes its hooks (tapable) only when something uses them.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { COSMICONFIG_PLACES } from '../src/config/reader.js';

describe('lazy dependencies', () => {
  it('importing @f2b/core loads no ajv, yaml, cosmiconfig or semver', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import('@f2b/core');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const heavy = ['ajv', 'yaml', 'cosmiconfig', 'semver'].filter((m) => loaded.some((p) => p.includes('/node_modules/' + m + '/')));
      process.stdout.write(JSON.stringify(heavy));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([]);
  });

  it('the client entry (@f2b/core/client) loads neither RE2 nor tapable nor the engine', () => {
    const script = `
      import { createRequire } from 'node:module';
      await import('@f2b/core/client');
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      process.stdout.write(JSON.stringify(['re2', 'tapable', 'ajv', 'yaml', 'cosmiconfig', 'semver'].filter((m) => loaded.some((p) => p.includes('/node_modules/' + m + '/')))));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([]);
  });

  it('a Core loads tapable at the first use of its hooks (test-filter never makes them)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { Core } = await import('@f2b/core/engine');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('/node_modules/tapable/'));
      const core = new Core({ logLevel: 'warn' });
      core.use({ meta: { name: 'p', core: '*' }, apply(api) { api.registerFilter({ id: 'x', rules: [] }); } });
      const before = loaded();
      const hooks = core.hooks;
      process.stdout.write(JSON.stringify([before, loaded(), hooks === core.hooks, Object.isFrozen(hooks)]));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: import.meta.dirname, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([false, true, true, true]);
  });

  it("the config places written out are cosmiconfig's own", () => {
    const { getDefaultSearchPlaces } = createRequire(import.meta.url)('cosmiconfig') as typeof import('cosmiconfig');
    expect([...COSMICONFIG_PLACES]).toEqual(getDefaultSearchPlaces('f2b'));
  });
});
