/**
 * What `npm publish` (and `lerna publish`) would upload, per package: `npm pack --dry-run --json`
 * must list the built JavaScript and its types for every export and bin, the README and LICENSE, and
 * no sources, tests, tsconfig or build info; dependency ranges between our packages must admit the
 * versions in the workspace (so that what lerna publishes together installs together).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { ROOT } from './helpers.js';

interface Packed {
  name: string;
  version: string;
  files: { path: string; mode: number }[];
}

const dirs = readdirSync(join(ROOT, 'packages'))
  .filter((d) => existsSync(join(ROOT, 'packages', d, 'package.json')))
  .sort();
const manifests = new Map(dirs.map((d) => [d, JSON.parse(readFileSync(join(ROOT, 'packages', d, 'package.json'), 'utf8'))]));
const versions = new Map([...manifests.values()].map((m) => [m.name as string, m.version as string]));

const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--workspaces', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
const packed = new Map<string, Packed>();
if (r.status === 0) for (const p of JSON.parse(r.stdout) as Packed[]) packed.set(p.name, p);
else console.warn(`registry-pack: npm pack failed (${r.status}): ${r.stderr}`);

/** Every file an `exports` / `main` / `types` / `bin` entry points to. */
function entryFiles(pkg: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  walk(pkg.main);
  walk(pkg.types);
  walk(pkg.bin);
  return [...out].filter((f) => f !== './package.json').map((f) => f.replace(/^\.\//, ''));
}

describe('npm pack', () => {
  it('packs every workspace package', () => {
    expect(r.status).toBe(0);
    expect([...packed.keys()].sort()).toEqual([...manifests.values()].map((m) => m.name).sort());
  });

  for (const dir of dirs) {
    const pkg = manifests.get(dir)!;
    describe(pkg.name, () => {
      it('ships built code and types for every entry point, README and LICENSE', () => {
        const files = packed.get(pkg.name)!.files.map((f) => f.path);
        expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
        for (const entry of entryFiles(pkg)) expect(files, `${entry} (an entry point) is in the tarball`).toContain(entry);
        for (const f of files.filter((x) => x.startsWith('dist/') && x.endsWith('.js'))) {
          expect(files, `${f} has its declaration`).toContain(f.replace(/\.js$/, '.d.ts'));
        }
        for (const bin of Object.values((pkg.bin ?? {}) as Record<string, string>)) {
          const mode = packed.get(pkg.name)!.files.find((f) => f.path === bin.replace(/^\.\//, ''))!.mode;
          expect(mode & 0o111, `${bin} is executable`).not.toBe(0);
          expect(readFileSync(join(ROOT, 'packages', dir, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
        }
      });

      it('ships no sources, tests, fixtures or build files', () => {
        const files = packed.get(pkg.name)!.files.map((f) => f.path);
        const stray = files.filter(
          (f) =>
            /^(src|test|tests|bench|fixtures|node_modules)\//.test(f) ||
            /(^|\/)tsconfig[^/]*\.json$|\.tsbuildinfo$|\.test\.(js|ts|d\.ts)$|(^|\/)\.[^/]+$/.test(f) ||
            (f.endsWith('.ts') && !f.endsWith('.d.ts')),
        );
        expect(stray).toEqual([]);
      });

      it('depends on our packages with ranges the workspace versions satisfy', () => {
        for (const field of ['dependencies', 'peerDependencies', 'devDependencies', 'optionalDependencies']) {
          for (const [name, range] of Object.entries((pkg[field] ?? {}) as Record<string, string>)) {
            if (!name.startsWith('@f2b/')) continue;
            expect(versions.has(name), `${field}.${name} is a workspace package`).toBe(true);
            expect(semver.validRange(range) && !/^(file|link|workspace):|^\*$/.test(range), `${field}.${name} "${range}" is a publishable range`).toBeTruthy();
            expect(semver.satisfies(versions.get(name)!, range), `${field}.${name} "${range}" admits ${versions.get(name)}`).toBe(true);
          }
        }
        // A plugin's peer range on the core is what `f2b plugins` checks: it must admit the workspace core.
        if (pkg.peerDependencies?.['@f2b/core']) expect(semver.satisfies(versions.get('@f2b/core')!, pkg.peerDependencies['@f2b/core'])).toBe(true);
      });
    });
  }
});
