/**
 * The CLI's catalogue of published plugin packages (what it may suggest to `npm i`) is exactly what
 * the packages of this repository provide, by their manifests.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATALOGUE } from '../packages/core/src/catalogue.js';
import { candidatePaths, serviceLogsOf } from '../packages/core/src/config/log-paths.js';
import { DISTRO_FAMILIES } from '../packages/core/src/config/os-release.js';
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

  it('every shipped filter id says where its service logs (paths for each distribution family, or the journal)', () => {
    for (const p of CATALOGUE.filter((c) => c.kind === 'filter')) {
      const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', p.name.replace('@f2b/', ''), 'package.json'), 'utf8')) as { f2b: { logs?: unknown } };
      expect(Object.keys(pkg.f2b.logs as object).sort(), p.name).toEqual([...p.ids].sort());
      for (const id of p.ids) {
        const logs = serviceLogsOf(pkg.f2b.logs, id)!; // throws on malformed data
        for (const family of DISTRO_FAMILIES) {
          expect(candidatePaths(logs, family).length > 0 || logs.journalmatch !== undefined, `${id} on ${family}`).toBe(true);
        }
      }
    }
  });
});
