/**
 * `f2b filters`: the filter ids installed packages provide (id, package, version, modes), and with
 * `-c CONFIG` the config's own `filters:` too — marked as the config's, and noted where one takes the
 * place of an installed filter of the same id (as the daemon does).
 */
import { Core, discoverPlugins, escapeControls, jsonText, loadPlugin, searchDirs } from '@f2b/core';
import { pluginSearchStarts } from '../plugins.js';
import { EXIT_OK } from '../errors.js';

type Row = { id: string; package: string; version: string; modes: string[]; compatible: boolean; error?: string; overrides?: string };

export async function filters(opts: { json?: boolean; config?: string }): Promise<number> {
  const dirs = searchDirs(pluginSearchStarts());
  const core = new Core({ logLevel: 'error' });
  const rows: Row[] = [];
  for (const pkg of discoverPlugins(dirs).filter((p) => p.kind === 'filter')) {
    try {
      const plugin = await loadPlugin(pkg.name, dirs);
      core.use(plugin);
      for (const id of pkg.provides) {
        const def = core.getFilter(id)?.def;
        rows.push({ id, package: pkg.name, version: pkg.version, modes: [...(def?.modes ?? ['normal'])], compatible: true });
      }
    } catch (err) {
      for (const id of pkg.provides) rows.push({ id, package: pkg.name, version: pkg.version, modes: [], compatible: false, error: (err as Error).message });
    }
  }
  if (opts.config !== undefined) addConfigFilters(rows, await configFilters(opts.config));
  rows.sort((a, b) => a.id.localeCompare(b.id) || Number(a.overrides !== undefined) - Number(b.overrides !== undefined));
  if (opts.json) {
    process.stdout.write(jsonText(rows) + '\n');
    return EXIT_OK;
  }
  const w1 = Math.max(2, ...rows.map((r) => r.id.length));
  const w2 = Math.max(7, ...rows.map((r) => r.package.length));
  process.stdout.write(`${'ID'.padEnd(w1)}  ${'PACKAGE'.padEnd(w2)}  VERSION  MODES\n`);
  for (const r of rows) {
    // Ids, names and errors come from installed packages' manifests and code: escaped.
    process.stdout.write(
      `${escapeControls(`${r.id.padEnd(w1)}  ${r.package.padEnd(w2)}  ${r.version.padEnd(7)}  ${r.compatible ? r.modes.join(', ') : `(not loadable: ${r.error})`}${r.overrides ? `  (in place of ${r.overrides}'s)` : ''}`)}\n`,
    );
  }
  return EXIT_OK;
}

/** The config's `filters:`, checked as `f2b config check` checks them (key-path errors). */
async function configFilters(file: string): Promise<{ file: string; defs: { id: string; modes?: readonly string[] }[] }> {
  // The config machinery (cosmiconfig, YAML, ajv) is loaded only for -c.
  const { loadConfig, checkSchema, errors, resolveUserFilters, USER_FILTERS_SCHEMA } = await import('@f2b/core');
  const found = await loadConfig(file);
  if (!found) throw errors.F2B_ERR_CONFIG_NOT_FOUND(file);
  const filters = found.config.filters;
  if (filters === undefined) return { file: found.file, defs: [] };
  const problem = checkSchema(USER_FILTERS_SCHEMA, filters, 'filters');
  if (problem) throw errors.F2B_ERR_CONFIG_INVALID(problem.path, problem.problem, 'See "Filters in the config" in the README.', found.file);
  return { file: found.file, defs: resolveUserFilters(filters, found.file) };
}

function addConfigFilters(rows: Row[], found: { file: string; defs: { id: string; modes?: readonly string[] }[] }): void {
  for (const def of found.defs) {
    const installed = rows.find((r) => r.id === def.id && r.overrides === undefined);
    rows.push({
      id: def.id,
      package: `(config ${found.file})`,
      version: '-',
      modes: [...(def.modes ?? ['normal'])],
      compatible: true,
      ...(installed ? { overrides: installed.package } : {}),
    });
  }
}
