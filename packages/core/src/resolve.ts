/**
 * Finding plugins: short names expand by convention (`sshd` → `@f2b/filter-sshd`, `nftables` →
 * `@f2b/action-nftables`), filter ids are looked up in the manifests of installed plugin packages
 * (`"f2b": { "filters": ["nginx-http-auth", …] }`), and packages are searched from the config's
 * directory upward, then next to f2b itself, then in the global prefix. Only packages inside the
 * trust boundary (trust.ts: owned by root or f2b's user along the whole path, writable by no one
 * else) are listed or imported; the others are reported and skipped.
 */
import { createRequire } from 'node:module';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errors } from './errors.js';
import { trustBoundary } from './trust.js';
import { CORE_VERSION } from './version.js';
import { coreRangeAdmits } from './core-range.js';
import { PLUGIN_KINDS, type F2bPlugin, type PluginKind, type PluginMeta } from './plugin.js';

export { coreRangeAdmits };

export interface DiscoveredPackage {
  name: string;
  version: string;
  dir: string;
  /** `f2b.kind` of the manifest (or an `f2b-<kind>` keyword); unknown: undefined. */
  kind?: PluginKind;
  /** Filter ids / source types / action types / store types the manifest declares. */
  provides: string[];
  /** The `@f2b/core` range from peerDependencies, if any. */
  coreRange?: string;
  /** `f2b.logs` of the manifest, unchecked: where the services of its filters log (config/log-paths.ts). */
  logs?: unknown;
}

const PLUGIN_NAME =
  /^(?:@f2b\/(?:filter|source|action|tracker|store|fleet|plugin)-[a-z0-9._-]+|f2b-(?:plugin|filter|source|action|tracker|store)-[a-z0-9._-]+|@[a-z0-9._-]+\/f2b-(?:plugin|filter|source|action|tracker|store)-[a-z0-9._-]+)$/;

/**
 * node_modules directories to search, nearest first: from each start dir upward, then the global
 * ones — npm's global prefix (`$npm_config_prefix`/`$NPM_CONFIG_PREFIX`, else the one next to the
 * running node), and `$NODE_PATH`.
 */
export function searchDirs(starts: string[]): string[] {
  const out: string[] = [];
  const add = (d: string) => {
    if (!out.includes(d) && existsSync(d)) out.push(d);
  };
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      add(join(dir, 'node_modules'));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  for (const prefix of [process.env.npm_config_prefix, process.env.NPM_CONFIG_PREFIX]) {
    if (prefix) add(join(resolve(prefix), 'lib', 'node_modules'));
  }
  add(join(dirname(dirname(process.execPath)), 'lib', 'node_modules'));
  for (const p of (process.env.NODE_PATH ?? '').split(':')) if (p) add(resolve(p));
  return out;
}

/**
 * Installed plugin packages (nearest wins when a name appears twice): packages named
 * `@f2b/{filter,source,action,…}-*`, `f2b-{plugin,filter,source,action}-*` or
 * `@scope/f2b-{plugin,…}-*` that have the keyword `f2b-plugin` or an `f2b` block in their manifest, and
 * any other package with the keyword `f2b-plugin`.
 */
export function discoverPlugins(dirs: string[]): DiscoveredPackage[] {
  const found = new Map<string, DiscoveredPackage>();
  for (const nm of dirs) {
    for (const name of listPackages(nm)) {
      if (found.has(name)) continue;
      const pkg = describePackage(nm, name);
      if (pkg) found.set(name, pkg);
    }
  }
  return [...found.values()];
}

/**
 * The package a reference names by convention (`sshd` → `@f2b/filter-sshd`, `nginx-http-auth` →
 * `@f2b/filter-nginx`), found without listing every installed package — when its nearest copy is a
 * trusted plugin of that kind whose manifest declares the reference. It is the package
 * `findProvider` picks from a whole discovery (the conventional name comes first there), so
 * `f2b test-filter sshd` need not read the manifests of a whole node_modules (hundreds, in a
 * development tree) to find it. null: not so, discover (the reference's errors come from there).
 */
export function findNamedProvider(ref: string, kind: ProviderKind, dirs: string[]): DiscoveredPackage | null {
  for (const name of candidatePackages(ref, kind)) {
    if (!PLUGIN_NAME.test(name)) return null;
    const nm = dirs.find((d) => existsSync(join(d, name)));
    if (nm === undefined) continue; // not installed: the next conventional name
    const pkg = describePackage(nm, name);
    // Anything else (no plugin, untrusted, not declaring the reference) is for discovery to sort
    // out: it may find another copy further away, or another package.
    return pkg?.kind === kind && pkg.provides.includes(ref) ? pkg : null;
  }
  return null;
}

/** What discovery records of the package `name` in node_modules `nm`; null when it is no (trusted) plugin. */
function describePackage(nm: string, name: string): DiscoveredPackage | null {
  const pkg = readManifest(join(nm, name), true);
  if (!pkg) return null;
  const keywords: string[] = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  if (!PLUGIN_NAME.test(name) && !keywords.includes('f2b-plugin')) return null;
  if (!keywords.includes('f2b-plugin') && !pkg.f2b) return null;
  const f2b = (pkg.f2b ?? {}) as {
    kind?: PluginKind;
    filters?: string[];
    sources?: string[];
    actions?: string[];
    trackers?: string[];
    stores?: string[];
    fleets?: string[];
  };
  const dir = join(nm, name);
  if (trustBoundary().admit(dir) === null) return null; // reported: another user could change it
  const kind = kindOf(f2b.kind) ?? PLUGIN_KINDS.find((k) => keywords.includes(`f2b-${k}`));
  return {
    name,
    version: String(pkg.version ?? '0.0.0'),
    dir,
    kind,
    provides: [
      ...(f2b.filters ?? []),
      ...(f2b.sources ?? []),
      ...(f2b.actions ?? []),
      ...(f2b.trackers ?? []),
      ...(f2b.stores ?? []),
      ...(f2b.fleets ?? []),
    ].filter((x) => typeof x === 'string'),
    coreRange: pkg.peerDependencies?.['@f2b/core'],
    ...(pkg.f2b?.logs !== undefined ? { logs: pkg.f2b.logs } : {}),
  };
}

function kindOf(value: unknown): PluginKind | undefined {
  return PLUGIN_KINDS.find((k) => k === value);
}

function listPackages(nm: string): string[] {
  let names: string[];
  try {
    names = readdirSync(nm);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith('.')) continue;
    if (n.startsWith('@')) {
      try {
        for (const s of readdirSync(join(nm, n))) out.push(`${n}/${s}`);
      } catch {
        /* unreadable scope */
      }
    } else {
      out.push(n); // any name: a package may be a plugin by its keyword alone
    }
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readManifest(dir: string, pluginsOnly = false): any | null {
  try {
    const file = join(dir, 'package.json');
    // A plugin's manifest says `f2b` (its name, its keyword or its f2b block): the hundreds of other
    // packages of a node_modules are neither decoded nor parsed (start-up of `f2b test-filter`,
    // `f2b filters`): their bytes are searched where they were read.
    if (pluginsOnly && !manifestMentionsF2b(file)) return null;
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

const F2B = Buffer.from('f2b');
/** One buffer for reading manifests (discovery is synchronous); grown for a larger one. */
let manifestBuffer = Buffer.allocUnsafe(64 * 1024);

/** Whether the file's bytes contain `f2b` (read whole into the shared buffer, never decoded). */
function manifestMentionsF2b(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    let n = 0;
    for (;;) {
      if (n === manifestBuffer.length) {
        const bigger = Buffer.allocUnsafe(manifestBuffer.length * 2);
        manifestBuffer.copy(bigger, 0, 0, n);
        manifestBuffer = bigger;
      }
      const got = readSync(fd, manifestBuffer, n, manifestBuffer.length - n, null);
      if (got <= 0) break;
      n += got;
    }
    return manifestBuffer.subarray(0, n).indexOf(F2B) !== -1;
  } finally {
    closeSync(fd);
  }
}

/** The kinds a reference in a config names a package of. */
export type ProviderKind = 'filter' | 'source' | 'action' | 'tracker' | 'fleet';

/** Candidate package names for a reference of a kind, most specific first. */
export function candidatePackages(ref: string, kind: ProviderKind): string[] {
  if (ref.startsWith('@') || ref.startsWith('f2b-') || ref.startsWith('.') || ref.startsWith('/')) return [ref];
  const out = [`@f2b/${kind}-${ref}`];
  const dash = ref.indexOf('-');
  if (kind === 'filter' && dash > 0) out.push(`@f2b/filter-${ref.slice(0, dash)}`);
  out.push(`f2b-${kind}-${ref}`);
  return out;
}

/**
 * The installed package providing a filter id / source type / action type, or null: the first
 * conventionally named package (candidatePackages) that declares it, else any that declares it,
 * else a conventionally named one.
 */
export function findProvider(ref: string, kind: ProviderKind, installed: DiscoveredPackage[]): string | null {
  for (const name of candidatePackages(ref, kind)) {
    const pkg = installed.find((p) => p.name === name);
    if (pkg) {
      if (pkg.kind === kind && pkg.provides.includes(ref)) return pkg.name;
      break; // as findNamedProvider: the first conventional name installed decides, or discovery does
    }
  }
  const byManifest = installed.find((p) => p.kind === kind && p.provides.includes(ref)) ?? installed.find((p) => p.provides.includes(ref));
  if (byManifest) return byManifest.name;
  const names = new Set(installed.map((p) => p.name));
  return candidatePackages(ref, kind).find((c) => names.has(c)) ?? null;
}

/**
 * Import a plugin package (resolved from `dirs`) and return its plugin, with the meta its manifest
 * states (`name`, `version`, `f2b.kind`, `peerDependencies['@f2b/core']`) over whatever the object
 * says of itself. Its options are not given here: the core checks them and hands them to `apply`.
 */
export async function loadPlugin(name: string, dirs: string[], path?: string): Promise<F2bPlugin> {
  const file = resolveTrusted(name, dirs, (f, problem) => errors.F2B_ERR_PLUGIN_UNTRUSTED(name, f, problem, path));
  if (!file) throw errors.F2B_ERR_PLUGIN_NOT_FOUND(name, name, path);
  const manifest = manifestMeta(file, name);
  // The range is checked before the code is imported: a plugin built for another core may not even load.
  if (manifest.core && coreRangeAdmits(manifest.core, CORE_VERSION) === false) {
    throw errors.F2B_ERR_PLUGIN_VERSION_MISMATCH(manifest.name ?? name, manifest.core, CORE_VERSION, path);
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const exported = mod.default;
  const plugin = typeof exported === 'function' ? (exported as () => F2bPlugin)() : (exported as F2bPlugin);
  if (!plugin || typeof plugin !== 'object')
    throw errors.F2B_ERR_PLUGIN_INVALID(name, 'its default export is neither a plugin nor a function returning one', path);
  const meta = { ...plugin.meta, ...manifest };
  if (!meta.core) throw errors.F2B_ERR_PLUGIN_INVALID(name, 'its package.json names no @f2b/core range (peerDependencies["@f2b/core"])', path);
  return { ...plugin, apply: plugin.apply, meta };
}

/** What the manifest of the package holding `file` says of the plugin (the fields it has). */
function manifestMeta(file: string, name: string): Partial<PluginMeta> {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = readManifest(dir);
    if (pkg && (pkg.name === name || name.startsWith('.') || name.startsWith('/'))) {
      const meta: Partial<PluginMeta> = {};
      if (typeof pkg.name === 'string') meta.name = pkg.name;
      if (typeof pkg.version === 'string') meta.version = pkg.version;
      const kind = kindOf(pkg.f2b?.kind);
      if (kind) meta.kind = kind;
      const core = pkg.peerDependencies?.['@f2b/core'];
      if (typeof core === 'string') meta.core = core;
      return meta;
    }
    if (dirname(dir) === dir) return {};
  }
}

/**
 * Resolve `spec` like an import from each of `dirs` in turn, and return the real path of the first
 * file inside the trust boundary (null if there is none). Files outside it are reported and skipped;
 * when nothing else is found, `untrusted` makes the error to throw for the first of them.
 */
export function resolveTrusted(spec: string, dirs: string[], untrusted: (file: string, problem: string) => Error): string | null {
  const trust = trustBoundary();
  let refused: { file: string; problem: string } | null = null;
  const candidates =
    spec.startsWith('.') || spec.startsWith('/')
      ? [existsSync(spec) ? resolve(spec) : null]
      : dirs.map((nm) => {
          try {
            return createRequire(join(dirname(nm), 'noop.js')).resolve(spec);
          } catch {
            return null;
          }
        });
  for (const file of candidates) {
    if (!file) continue;
    const problem = trust.problem(file);
    if (problem === null) return realpathSync(file);
    trust.refused(file, problem);
    refused ??= { file, problem };
  }
  if (refused) throw untrusted(refused.file, refused.problem);
  return null;
}
