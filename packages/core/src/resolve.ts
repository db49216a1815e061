/**
 * Finding plugins: short names expand by convention (`sshd` → `@f2b/filter-sshd`, `nftables` →
 * `@f2b/action-nftables`), filter ids are looked up in the manifests of installed plugin packages
 * (`"f2b": { "filters": ["nginx-http-auth", …] }`), and packages are searched from the config's
 * directory upward, then next to f2b itself, then in the global prefix.
 */
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errors } from './errors.js';
import type { F2bPlugin, PluginKind } from './plugin.js';

export interface DiscoveredPackage {
  name: string;
  version: string;
  dir: string;
  kind: PluginKind;
  /** Filter ids / source types / action types the manifest declares. */
  provides: string[];
  /** The `@f2b/core` range from peerDependencies, if any. */
  coreRange?: string;
}

const PLUGIN_NAME = /^(?:@f2b\/(?:filter|source|action|tracker|plugin)-[a-z0-9._-]+|f2b-(?:plugin|filter|source|action)-[a-z0-9._-]+|@[a-z0-9._-]+\/f2b-(?:plugin|filter|source|action)-[a-z0-9._-]+)$/;

/** node_modules directories to search, nearest first: from each start dir upward, then global. */
export function searchDirs(starts: string[]): string[] {
  const out: string[] = [];
  const add = (d: string) => { if (!out.includes(d) && existsSync(d)) out.push(d); };
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      add(join(dir, 'node_modules'));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  add(join(dirname(dirname(process.execPath)), 'lib', 'node_modules'));
  if (process.env.NPM_CONFIG_PREFIX) add(join(process.env.NPM_CONFIG_PREFIX, 'lib', 'node_modules'));
  return out;
}

/** Installed plugin packages (nearest wins when a name appears twice). */
export function discoverPlugins(dirs: string[]): DiscoveredPackage[] {
  const found = new Map<string, DiscoveredPackage>();
  for (const nm of dirs) {
    for (const name of listPackages(nm)) {
      if (found.has(name)) continue;
      const pkg = readManifest(join(nm, name));
      if (!pkg) continue;
      const keywords: string[] = Array.isArray(pkg.keywords) ? pkg.keywords : [];
      if (!PLUGIN_NAME.test(name) && !keywords.includes('f2b-plugin')) continue;
      if (!keywords.includes('f2b-plugin') && !pkg.f2b) continue;
      const f2b = (pkg.f2b ?? {}) as { kind?: PluginKind; filters?: string[]; sources?: string[]; actions?: string[] };
      const kind: PluginKind = f2b.kind ?? (['filter', 'source', 'action', 'tracker'].find((k) => keywords.includes(`f2b-${k}`)) as PluginKind | undefined) ?? 'other';
      found.set(name, {
        name, version: String(pkg.version ?? '0.0.0'), dir: join(nm, name), kind,
        provides: [...(f2b.filters ?? []), ...(f2b.sources ?? []), ...(f2b.actions ?? [])],
        coreRange: pkg.peerDependencies?.['@f2b/core'],
      });
    }
  }
  return [...found.values()];
}

function listPackages(nm: string): string[] {
  let names: string[];
  try { names = readdirSync(nm); } catch { return []; }
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    if (n.startsWith('@')) {
      try { for (const s of readdirSync(join(nm, n))) out.push(`${n}/${s}`); } catch { /* unreadable scope */ }
    } else if (n.startsWith('f2b-')) out.push(n);
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readManifest(dir: string): any | null {
  try { return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')); } catch { return null; }
}

/** Candidate package names for a reference of a kind, most specific first. */
export function candidatePackages(ref: string, kind: 'filter' | 'source' | 'action'): string[] {
  if (ref.startsWith('@') || ref.startsWith('f2b-') || ref.startsWith('.') || ref.startsWith('/')) return [ref];
  const out = [`@f2b/${kind}-${ref}`];
  const dash = ref.indexOf('-');
  if (kind === 'filter' && dash > 0) out.push(`@f2b/filter-${ref.slice(0, dash)}`);
  out.push(`f2b-${kind}-${ref}`);
  return out;
}

/** The installed package providing a filter id / source type / action type, or null. */
export function findProvider(ref: string, kind: 'filter' | 'source' | 'action', installed: DiscoveredPackage[]): string | null {
  const byManifest = installed.find((p) => p.kind === kind && p.provides.includes(ref))
    ?? installed.find((p) => p.provides.includes(ref));
  if (byManifest) return byManifest.name;
  const names = new Set(installed.map((p) => p.name));
  return candidatePackages(ref, kind).find((c) => names.has(c)) ?? null;
}

/** Import a plugin package (resolved from `dirs`) and call its factory with `options`. */
export async function loadPlugin(name: string, dirs: string[], options: Record<string, unknown> = {}, path?: string): Promise<F2bPlugin> {
  const file = resolveFrom(name, dirs);
  if (!file) throw errors.pluginNotFound(name, name, path);
  const mod = await import(pathToFileURL(file).href) as { default?: unknown };
  const factory = mod.default;
  const plugin = typeof factory === 'function' ? (factory as (o: unknown) => F2bPlugin)(options) : factory as F2bPlugin;
  if (!plugin || typeof plugin !== 'object') throw errors.pluginInvalid(name, 'its default export is neither a plugin nor a factory', path);
  return plugin;
}

function resolveFrom(name: string, dirs: string[]): string | null {
  if (name.startsWith('.') || name.startsWith('/')) return existsSync(name) ? resolve(name) : null;
  for (const nm of dirs) {
    try {
      return createRequire(join(dirname(nm), 'noop.js')).resolve(name);
    } catch { /* try the next directory */ }
  }
  return null;
}
