/**
 * Every filter of every filter package in packages/ (by its manifest's `f2b.kind`), as a core that
 * loads the package lists it, with the sample log of its package's tests when there is one
 * (`test/fixtures/<id>.log`): what the generic filter tests go over.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Core, type F2bPlugin, type FilterDefinition } from '@f2b/core';
import { ROOT } from './helpers.js';

export interface ShippedFilter {
  def: FilterDefinition;
  /** The package's name (`@f2b/filter-sshd`). */
  pkg: string;
  /** Its sample log, or undefined. */
  fixture: string | undefined;
}

export async function shippedFilters(): Promise<ShippedFilter[]> {
  const out: ShippedFilter[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const manifest = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; f2b?: { kind?: string } };
    if (pkg.f2b?.kind !== 'filter') continue;
    const mod = (await import(pkg.name)) as { default: () => F2bPlugin };
    const core = new Core({ logLevel: 'silent' });
    core.use(mod.default());
    for (const { def } of core.listFilters()) {
      const fixture = join(ROOT, 'packages', dir, 'test', 'fixtures', `${def.id}.log`);
      out.push({ def, pkg: pkg.name, fixture: existsSync(fixture) ? fixture : undefined });
    }
  }
  return out;
}
