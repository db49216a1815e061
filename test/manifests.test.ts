/**
 * Every package's manifest follows the same contract (Babel-constraints style): ESM, exports with
 * types first, files, engines, MIT, a README and LICENSE, and — for plugins — an optional peer
 * dependency on @f2b/core of the workspace's core version (never a dependency: one core per
 * install), the f2b keywords, and an `f2b` block declaring what it provides.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const dirs = readdirSync(join(ROOT, 'packages')).filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')));
const read = (d: string) => JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8'));
const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('package manifests', () => {
  it('the root declares engines, workspaces and the native build allowance', () => {
    expect(root.engines.node).toBe('>=20.19');
    expect(root.workspaces).toEqual(['packages/*']);
    expect(root.allowScripts).toMatchObject({ re2: true, 'better-sqlite3': true });
  });

  for (const dir of dirs) {
    describe(dir, () => {
      const pkg = read(dir);
      it('is an ESM package with the uniform fields', () => {
        expect(pkg.name).toBe(`@f2b/${dir}`);
        expect(pkg.type).toBe('module');
        expect(pkg.license).toBe('MIT');
        expect(pkg.engines).toEqual({ node: '>=20.19' });
        expect(pkg.files).toContain('dist');
        expect(pkg.repository.directory).toBe(`packages/${dir}`);
        expect(pkg.keywords).toContain('f2b');
        expect(Object.keys(pkg.exports['.'])[0]).toBe('types');
        expect(existsSync(join(ROOT, 'packages', dir, 'README.md'))).toBe(true);
        expect(existsSync(join(ROOT, 'packages', dir, 'LICENSE'))).toBe(true);
      });

      const kind = dir.match(/^(filter|action|source|tracker|store)-/)?.[1];
      if (kind) {
        it(`is a ${kind} plugin: optional peer @f2b/core, keywords, f2b block`, () => {
          expect(pkg.peerDependencies['@f2b/core']).toBe(`^${read('core').version}`);
          expect(pkg.peerDependenciesMeta?.['@f2b/core']).toEqual({ optional: true });
          expect(pkg.dependencies?.['@f2b/core']).toBeUndefined();
          expect(pkg.keywords).toEqual(expect.arrayContaining(['f2b-plugin', `f2b-${kind}`]));
          expect(pkg.f2b.kind).toBe(kind);
          expect(pkg.f2b[`${kind}s`].length).toBeGreaterThan(0);
        });

        it('states no meta in code: name, version, kind and core range are the manifest\'s', () => {
          const index = readFileSync(join(ROOT, 'packages', dir, 'src/index.ts'), 'utf8');
          expect(index).not.toMatch(/\bmeta:|definePlugin|createRequire/);
        });
      }
    });
  }
});
