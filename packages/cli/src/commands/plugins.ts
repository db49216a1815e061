/**
 * `f2b plugins`: the plugin packages f2b finds — from the config's directory (or the current one)
 * upward, next to f2b itself, and in the global prefix — with kind, version, what each provides, the
 * @f2b/core range it was built for, and whether that range admits the installed core. A plugin whose
 * range does not is refused at load with F2B_ERR_PLUGIN_VERSION_MISMATCH (f2b start, test-filter).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import {
  CORE_VERSION,
  coreRangeAdmits,
  discoverPlugins,
  errors,
  escapeLines,
  jsonText,
  loadPlugin,
  messageOf,
  searchDirs,
  type DiscoveredPackage,
} from '@f2b/core';
import { pluginSearchStarts } from '../plugins.js';
import { EXIT_OK } from '../errors.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

export interface PluginsOptions {
  config?: string;
  json?: boolean;
}

export interface PluginRow {
  name: string;
  version: string;
  kind: string;
  provides: string[];
  dir: string;
  /** The @f2b/core range: peerDependencies of the manifest, and `meta.core` of the plugin object. */
  core: { peer: string | null; meta: string | null };
  compatible: boolean;
  /** Why it cannot be used: a version mismatch (with the fix) or a load error. */
  problem?: { code: string; message: string; fix?: string };
}

export function registerPluginsCommand(program: Command, run: Run): void {
  program
    .command('plugins')
    .description('List installed plugin packages: kind, version, provided ids, compatibility with @f2b/core.')
    .option('-c, --config <file>', "search from this config's directory (default: the current directory)")
    .option('--json', 'machine-readable output')
    .action(run((o: PluginsOptions) => plugins(o)));
}

/** Check one discovered package against the running core: its manifest range, then its `meta.core`. */
export async function inspectPlugin(pkg: DiscoveredPackage, dirs: string[], coreVersion = CORE_VERSION): Promise<PluginRow> {
  const row: PluginRow = {
    name: pkg.name,
    version: pkg.version,
    kind: pkg.kind ?? '-',
    provides: pkg.provides,
    dir: pkg.dir,
    core: { peer: pkg.coreRange ?? null, meta: null },
    compatible: true,
  };
  const mismatch = (range: string) => {
    const e = errors.F2B_ERR_PLUGIN_VERSION_MISMATCH(pkg.name, range, coreVersion);
    row.compatible = false;
    row.problem = { code: e.code, message: e.message, fix: e.fix };
  };
  if (row.core.peer && coreRangeAdmits(row.core.peer, coreVersion) !== true) {
    mismatch(row.core.peer);
    return row;
  }
  try {
    const plugin = await loadPlugin(pkg.name, dirs);
    row.core.meta = typeof plugin.meta?.core === 'string' ? plugin.meta.core : null;
    if (!row.core.meta) throw errors.F2B_ERR_PLUGIN_INVALID(pkg.name, 'meta.core (the @f2b/core range) is missing');
    const admits = coreRangeAdmits(row.core.meta, coreVersion);
    if (admits === null) throw errors.F2B_ERR_PLUGIN_INVALID(pkg.name, `meta.core "${row.core.meta}" is not a semver range`);
    if (!admits) mismatch(row.core.meta);
  } catch (err) {
    row.compatible = false;
    const e = err as { code?: string; fix?: string };
    row.problem = { code: typeof e.code === 'string' ? e.code : 'F2B_ERR_PLUGIN_INVALID', message: messageOf(err), ...(e.fix ? { fix: e.fix } : {}) };
  }
  return row;
}

export async function plugins(opts: PluginsOptions): Promise<number> {
  let file: string | undefined;
  if (opts.config) {
    // Only its directory matters here (no need to compose it, or to have its ${env:…} variables).
    file = resolvePath(opts.config);
    if (!existsSync(file)) throw errors.F2B_ERR_CONFIG_NOT_FOUND(file);
  }
  const dirs = searchDirs(pluginSearchStarts(file));
  const rows: PluginRow[] = [];
  for (const pkg of discoverPlugins(dirs)) rows.push(await inspectPlugin(pkg, dirs));
  rows.sort((a, b) => a.name.localeCompare(b.name));
  if (opts.json) {
    process.stdout.write(jsonText({ core: { version: CORE_VERSION, dir: dirname(dirname(coreEntry())) }, searched: dirs, plugins: rows }) + '\n');
    return EXIT_OK;
  }
  // Names, versions and problems come from installed packages: escaped (a fix may span lines).
  const w = (s: string) => process.stdout.write(escapeLines(s) + '\n');
  w(`@f2b/core ${CORE_VERSION}`);
  if (rows.length === 0) {
    w('No plugin packages found (searched: ' + dirs.join(', ') + ').');
    return EXIT_OK;
  }
  const table = rows.map((r) => [
    r.name,
    r.version,
    r.kind,
    ellipsis(r.provides.join(', ') || '-', 48),
    r.core.meta ?? r.core.peer ?? '?',
    r.compatible ? 'ok' : r.problem?.code === 'F2B_ERR_PLUGIN_VERSION_MISMATCH' ? 'INCOMPATIBLE' : 'BROKEN',
  ]);
  const head = ['PACKAGE', 'VERSION', 'KIND', 'PROVIDES', 'CORE', 'STATUS'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  w(line(head));
  for (const t of table) w(line(t));
  const bad = rows.filter((r) => !r.compatible);
  if (bad.length > 0) w('');
  for (const r of bad) w(`${r.name}: ${r.problem!.code}: ${r.problem!.message}${r.problem!.fix ? `\n  Fix: ${r.problem!.fix}` : ''}`);
  return EXIT_OK;
}

function ellipsis(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function coreEntry(): string {
  return new URL(import.meta.resolve('@f2b/core')).pathname;
}
