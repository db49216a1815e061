/**
 * `f2b filters`: the filter ids installed packages provide (id, package, version, modes).
 */
import { Core, discoverPlugins, escapeControls, jsonText, loadPlugin, searchDirs } from '@f2b/core';
import { pluginSearchStarts } from '../plugins.js';
import { EXIT_OK } from '../errors.js';

export async function filters(opts: { json?: boolean }): Promise<number> {
  const dirs = searchDirs(pluginSearchStarts());
  const core = new Core({ logLevel: 'error' });
  const rows: { id: string; package: string; version: string; modes: string[]; compatible: boolean; error?: string }[] = [];
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
  rows.sort((a, b) => a.id.localeCompare(b.id));
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
      `${escapeControls(`${r.id.padEnd(w1)}  ${r.package.padEnd(w2)}  ${r.version.padEnd(7)}  ${r.compatible ? r.modes.join(', ') : `(not loadable: ${r.error})`}`)}\n`,
    );
  }
  return EXIT_OK;
}
