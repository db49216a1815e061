/**
 * Where the CLI looks for plugin packages: the config's directory (or the current one) upward, then
 * next to the CLI itself (its own dependencies), then the global prefix.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Core,
  discoverPlugins,
  errors,
  findNamedProvider,
  findProvider,
  candidatePackages,
  loadPlugin,
  searchDirs,
  type DiscoveredPackage,
  type FilterDefinition,
} from '@f2b/core/engine';

export const CLI_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

export function pluginSearchStarts(configFile?: string): string[] {
  return [configFile ? dirname(configFile) : process.cwd(), CLI_DIR];
}

/** Where a filter came from, so a worker thread can load the same package. */
export interface FilterSource {
  name: string;
  dirs: string[];
}

/** Find, load and return the filter definition for an id (exit 2 via F2B_ERR_FILTER_NOT_FOUND). */
export async function loadFilter(core: Core, id: string, starts = pluginSearchStarts()): Promise<{ def: FilterDefinition; source: FilterSource }> {
  const dirs = searchDirs(starts);
  // The package the id names by convention, when it declares it, is what a whole discovery would
  // pick: found without reading every manifest of every node_modules searched.
  let installed: DiscoveredPackage[] | undefined;
  const name = findNamedProvider(id, 'filter', dirs)?.name ?? findProvider(id, 'filter', (installed = discoverPlugins(dirs)));
  const notFound = () => {
    installed ??= discoverPlugins(dirs);
    const ids = installed.filter((p) => p.kind === 'filter').flatMap((p) => p.provides);
    return errors.F2B_ERR_FILTER_NOT_FOUND(id, candidatePackages(id, 'filter'), undefined, ids);
  };
  if (!name) throw notFound();
  if (!core.getFilter(id)) core.use(await loadPlugin(name, dirs));
  const def = core.getFilter(id)?.def;
  if (!def) throw notFound();
  return { def, source: { name, dirs } };
}
