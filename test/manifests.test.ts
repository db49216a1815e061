/**
 * Every package's manifest follows the same contract (Babel-constraints style): ESM, exports with
 * types first, files, engines, MIT, a README and LICENSE, and — for plugins — an optional peer
 * dependency on @f2b/core of the workspace's core version (never a dependency: one core per
 * install), the f2b keywords, and an `f2b` block declaring what it provides.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

        it("states no meta in code: name, version, kind and core range are the manifest's", () => {
          const index = readFileSync(join(ROOT, 'packages', dir, 'src/index.ts'), 'utf8');
          expect(index).not.toMatch(/\bmeta:|definePlugin|createRequire/);
        });
      }
    });
  }
});

// The fields scripts/sync-manifests.mjs keeps in line (run it after a merge that touched manifests).
describe('package hygiene', () => {
  const sync = import(pathToFileURL(join(ROOT, 'scripts', 'sync-manifests.mjs')).href) as Promise<{
    PROJECT_URL: string;
    NO_MAPS: string;
    syncManifest(dir: string, pkg: unknown): unknown;
    syncRootManifest(pkg: unknown): unknown;
    serialize(obj: unknown, text: string): string;
  }>;

  it('every manifest is what scripts/sync-manifests.mjs writes (run it to fix)', async () => {
    const { syncManifest, syncRootManifest, serialize } = await sync;
    const differ: string[] = [];
    for (const dir of dirs) {
      const text = readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8');
      if (serialize(syncManifest(dir, JSON.parse(text)), text) !== text) differ.push(dir);
    }
    const rootText = readFileSync(join(ROOT, 'package.json'), 'utf8');
    if (serialize(syncRootManifest(JSON.parse(rootText)), rootText) !== rootText) differ.push('(root)');
    expect(differ).toEqual([]);
  });

  for (const dir of dirs) {
    describe(dir, () => {
      const pkg = read(dir);
      it('names the one project URL, builds on prepack, ships no source maps and every listed file', async () => {
        const { PROJECT_URL, NO_MAPS } = await sync;
        expect(pkg.repository).toEqual({ type: 'git', url: `git+${PROJECT_URL}.git`, directory: `packages/${dir}` });
        expect(pkg.homepage).toBe(`${PROJECT_URL}/tree/main/packages/${dir}#readme`);
        expect(pkg.bugs).toEqual({ url: `${PROJECT_URL}/issues` });
        expect(pkg.scripts?.prepack).toBe('tsc -b');
        expect(existsSync(join(ROOT, 'packages', dir, 'tsconfig.json'))).toBe(true);
        // The maps point at src/, which is not shipped.
        expect(pkg.files).toContain(NO_MAPS);
        expect(pkg.files).not.toContain('src');
        for (const f of (pkg.files as string[]).filter((x) => !x.startsWith('!') && x !== 'dist')) {
          expect(existsSync(join(ROOT, 'packages', dir, f)), `${f} (listed in files) exists`).toBe(true);
        }
      });
    });
  }

  it('@f2b/cli ships the systemd unit and its README under packaging/', () => {
    expect(read('cli').files).toContain('packaging');
    for (const f of ['f2b.service', 'README.md']) expect(existsSync(join(ROOT, 'packages', 'cli', 'packaging', f)), f).toBe(true);
  });

  /** The source files of a directory, recursively (no node_modules, dist or fixtures). */
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (e.isDirectory()) return ['node_modules', 'dist', 'fixtures'].includes(e.name) ? [] : sources(join(dir, e.name));
      return /\.(m?[jt]s)$/.test(e.name) ? [join(dir, e.name)] : [];
    });
  const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*)'([^']+)'/g)].map((m) => m[1]!);

  it('no plugin package imports another plugin package at run time', () => {
    const wrong: string[] = [];
    for (const dir of dirs.filter((d) => /^(filter|source|action|store)-/.test(d))) {
      for (const file of sources(join(ROOT, 'packages', dir)).filter((f) => !f.includes(`${join('packages', dir, 'test')}`))) {
        for (const spec of imports(file)) {
          const other = /^@f2b\/((?:filter|source|action|store)-[a-z0-9-]+)/.exec(spec)?.[1];
          if (other && other !== dir) wrong.push(`${file.slice(ROOT.length + 1)} imports ${spec}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('scripts import our packages by name, not by path into packages/', () => {
    const wrong = sources(join(ROOT, 'scripts')).flatMap((file) =>
      imports(file)
        .filter((s) => /(^|\/)packages\//.test(s))
        .map((s) => `${file.slice(ROOT.length + 1)} imports ${s}`),
    );
    expect(wrong).toEqual([]);
  });
});
