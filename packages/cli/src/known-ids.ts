/**
 * The ids f2b knows of: those of installed plugin packages (with the modes of installed filters)
 * and those of the packages the project publishes (the catalogue), for "did you mean" and for fixes
 * that name a package to install.
 */
import { CATALOGUE, Core, discoverPlugins, loadPlugin, searchDirs, type CataloguePackage } from '@f2b/core';
import { pluginSearchStarts } from './plugins.js';

export interface KnownId {
  id: string;
  kind: CataloguePackage['kind'];
  /** The package providing it (installed, or published when not installed). */
  package: string;
  installed: boolean;
  /** Filter modes, when the filter is installed and loadable. */
  modes?: readonly string[];
}

export class KnownIds {
  private constructor(private readonly all: readonly KnownId[]) {}

  /** Installed ids (filters loaded for their modes) and the catalogue's. */
  static async discover(starts = pluginSearchStarts()): Promise<KnownIds> {
    const dirs = searchDirs(starts);
    const core = new Core({ logLevel: 'error' });
    const rows: KnownId[] = [];
    for (const pkg of discoverPlugins(dirs)) {
      const kind = pkg.kind;
      if (kind !== 'filter' && kind !== 'action' && kind !== 'source' && kind !== 'store') continue;
      let loaded = false;
      if (kind === 'filter') {
        try {
          core.use(await loadPlugin(pkg.name, dirs));
          loaded = true;
        } catch {
          // Not loadable here (another core's plugin): known by its manifest only.
        }
      }
      for (const id of pkg.provides) {
        const modes = loaded ? (core.getFilter(id)?.def.modes ?? ['normal']) : undefined;
        rows.push({ id, kind, package: pkg.name, installed: true, ...(modes ? { modes } : {}) });
      }
    }
    for (const p of CATALOGUE) {
      for (const id of p.ids) {
        if (!rows.some((r) => r.kind === p.kind && r.id === id)) rows.push({ id, kind: p.kind, package: p.name, installed: false });
      }
    }
    return new KnownIds(rows);
  }

  /** For tests and callers that know the ids already. */
  static of(rows: readonly KnownId[]): KnownIds {
    return new KnownIds(rows);
  }

  get(id: string, kind: KnownId['kind']): KnownId | undefined {
    return this.all.find((r) => r.kind === kind && r.id === id);
  }

  ids(kind: KnownId['kind']): string[] {
    return this.all.filter((r) => r.kind === kind).map((r) => r.id);
  }
}
