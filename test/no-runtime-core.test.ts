/**
 * No plugin loads `@f2b/core` at run time (issue #14): the core is an optional peer of every plugin,
 * and the daemon hands a plugin what it needs (`api.errors`, the clock, the contexts), so a plugin
 * that imported the core would get a second copy of it — or none — wherever it is installed apart
 * from the core. Type-only imports vanish in the build, so the built JavaScript is what is read,
 * with TypeScript's own import scanner (it skips comments and strings, and sees `import()` and
 * `require()`). Plugins are the packages with an `f2b.kind`, plus any that makes the core an
 * optional peer (the recommended config); core, cli, kit and the other helpers are not plugins.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

interface Manifest {
  f2b?: { kind?: string };
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const packages = join(ROOT, 'packages');
const plugins = readdirSync(packages).filter((dir) => {
  const file = join(packages, dir, 'package.json');
  if (!existsSync(file)) return false;
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  return pkg.f2b?.kind !== undefined || pkg.peerDependenciesMeta?.['@f2b/core']?.optional === true;
});

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.[cm]?js$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** `file:line → specifier` for every import, re-export, `import()` or `require()` of the core or a subpath of it. */
function coreImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((f) => f.fileName === '@f2b/core' || f.fileName.startsWith('@f2b/core/'))
    .map((f) => `${relative(ROOT, file)}:${text.slice(0, f.pos).split('\n').length} → ${f.fileName}`);
}

describe('no plugin imports @f2b/core at run time', () => {
  it('finds the plugins (the scan is not empty)', () => {
    expect(plugins).toEqual(expect.arrayContaining(['source-journald', 'store-sqlite', 'source-file', 'action-nftables']));
  });

  for (const dir of plugins) {
    it(dir, () => {
      const dist = join(packages, dir, 'dist');
      // Built by `npm test` (tsc -b) first; a missing dist would pass vacuously.
      expect(existsSync(dist), `${dir} is not built (run npx tsc -b)`).toBe(true);
      const files = jsFiles(dist);
      expect(files.length).toBeGreaterThan(0);
      expect(files.flatMap(coreImports), `${dir} loads the core at run time: take it from the api the core hands the plugin, or from @f2b/kit`).toEqual([]);
    });
  }
});
