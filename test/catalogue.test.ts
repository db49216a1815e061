/**
 * The CLI's catalogue of published plugin packages (what it may suggest to `npm i`) is exactly what
 * the packages of this repository provide, by their manifests.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE } from '../packages/core/src/catalogue.js';
import { ROOT } from './helpers.js';

describe('the CLI catalogue', () => {
  it('lists every plugin package with the ids its manifest declares', () => {
    const fromManifests = readdirSync(join(ROOT, 'packages')).flatMap((dir) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as {
        name: string;
        private?: boolean;
        f2b?: Record<string, unknown>;
      };
      if (!pkg.f2b || pkg.private) return [];
      const kind = pkg.f2b.kind as string;
      return [{ name: pkg.name, kind, ids: pkg.f2b[`${kind}s`] as string[] }];
    });
    const sort = <T extends { name: string }>(x: T[]) => [...x].sort((a, b) => a.name.localeCompare(b.name));
    expect(sort(CATALOGUE.map((p) => ({ name: p.name, kind: p.kind, ids: [...p.ids] })))).toEqual(sort(fromManifests));
  });
});
