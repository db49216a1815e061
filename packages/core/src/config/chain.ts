/**
 * Composing a config from several files: `extends` (files relative to the extending file, and
 * packages such as `@f2b/config-recommended`), `hosts` blocks matched against the host name, and
 * `${env:NAME}` references. The result is one plain config (what `resolveConfig` takes) plus the
 * origin of every value, so that errors and `f2b config print` can say which file set what.
 *
 * Order, lowest precedence first: the files a config extends (in list order, each composed the same
 * way), then the config's own keys, then its matching `hosts` blocks (least specific first). Objects
 * merge key by key, arrays and other values replace, and `null` removes an inherited key.
 */
import { existsSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors, isF2bError } from '../errors.js';
import { resolveTrusted, searchDirs } from '../resolve.js';
import { cloneData, isPlainObject, joinPath, mergeLayer, Origins, type PlainObject, type Segments, type ValueOrigin } from './merge.js';
import { HOST_PATTERN, matchingHostPatterns } from './hosts.js';
import { resolveEnvRefs } from './env.js';
import { ConfigReader } from './reader.js';
import { trustBoundary } from '../trust.js';
import type { F2bConfig } from '../config.js';

export { SEARCH_PLACES } from './reader.js';

/** One file of the chain, in the order it was merged. */
export interface ChainFile {
  file: string;
  /** The package the file belongs to, for `extends: "<package>"`. */
  package?: string;
  /** The file whose `extends` named it (none for the config itself). */
  extendedBy?: string;
  /** The `hosts` patterns of this file that matched, in the order they were applied. */
  hosts: string[];
}

export interface ConfigChain {
  /** The composed config: extends, hosts and env references applied and removed. */
  config: F2bConfig;
  /** The same, with `${env:NAME}` references left as written (safe to print). */
  display: F2bConfig;
  /** The config file the chain starts at. */
  file: string;
  /** The host name `hosts` patterns were matched against. */
  host: string;
  /** Every file that contributed, in merge order (the config itself last). */
  files: ChainFile[];
  /** Where every leaf value came from. */
  origins: Origins;
}

export interface ChainOptions {
  /** Host name to match `hosts` patterns against (default: this machine's). */
  host?: string;
  /** Environment for `${env:NAME}` (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Extra directories to start package look-ups for `extends` from (besides each file's own). */
  searchFrom?: string[];
  /** Use this reader (and its cache). */
  reader?: ConfigReader;
}

const MAX_DEPTH = 32;
const composed = new WeakMap<object, ConfigChain>();

/** The chain a config object was composed from, if it came from `loadConfigChain`. */
export function chainOf(config: object): ConfigChain | undefined {
  return composed.get(config);
}

const CORE_DIR = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** Load `file` and everything it extends, apply host blocks and env references. */
export async function loadConfigChain(file: string, opts: ChainOptions = {}): Promise<ConfigChain> {
  const reader = opts.reader ?? new ConfigReader();
  const host = opts.host ?? hostname();
  const abs = resolvePath(file);
  if (!existsSync(abs)) throw errors.F2B_ERR_CONFIG_NOT_FOUND(abs);
  const state: State = { reader, host, files: [], origins: new Origins(), searchFrom: opts.searchFrom ?? [] };
  const merged: PlainObject = {};
  await addLayer(state, merged, { file: abs }, []);
  const { value, display, used } = resolveEnvRefs(merged, opts.env ?? process.env, (p) => {
    const origin = state.origins.explain(joinPath(p.path)) ?? state.origins.get([...p.path, 'env']);
    const where = joinPath(p.path);
    throw errors.F2B_ERR_CONFIG_INVALID(
      where,
      p.problem === 'missing'
        ? `refers to the environment variable "${p.name}", which is not set`
        : `refers to "${p.name}", which is not a valid environment variable name`,
      p.problem === 'missing'
        ? `Set ${p.name} in f2b's environment (for systemd: Environment= or EnvironmentFile= in the unit), or change the value.`
        : 'Write ${env:NAME} with NAME made of letters, digits and "_", not starting with a digit.',
      { path: origin?.path ?? where, file: origin ? originLabel(origin) : abs },
    );
  });
  for (const u of used) {
    let origin = state.origins.get(u.path);
    const inner = state.origins.get([...u.path, 'env']);
    if (!origin && inner) {
      state.origins.delete([...u.path, 'env']);
      origin = { ...inner, path: inner.path.replace(/\.env$/, '') };
    }
    if (origin) state.origins.set(u.path, { ...origin, env: u.names });
  }
  const chain: ConfigChain = {
    config: value as F2bConfig,
    display: display as F2bConfig,
    file: abs,
    host,
    files: state.files,
    origins: state.origins,
  };
  composed.set(chain.config, chain);
  return chain;
}

/** How an origin is named in messages: the package name for package files, else the file's path. */
export function originLabel(o: { file: string; package?: string }): string {
  return o.package ? `${o.package} (${o.file})` : o.file;
}

interface State {
  reader: ConfigReader;
  host: string;
  files: ChainFile[];
  origins: Origins;
  searchFrom: string[];
}

interface Ref {
  file: string;
  package?: string;
  extendedBy?: string;
}

async function addLayer(state: State, merged: PlainObject, ref: Ref, stack: string[]): Promise<void> {
  const real = safeRealpath(ref.file);
  const where = { file: originLabel(ref) };
  if (stack.includes(real)) {
    const names = [...stack, real].map((f) => f);
    throw errors.F2B_ERR_CONFIG_INVALID(
      'extends',
      `makes the configs extend each other in a cycle: ${names.join(' → ')}`,
      'Remove one of the "extends" entries so that no config extends itself.',
      where.file,
    );
  }
  if (stack.length >= MAX_DEPTH) {
    throw errors.F2B_ERR_CONFIG_INVALID('extends', `makes a chain of "extends" deeper than ${MAX_DEPTH} files`, 'Flatten the chain of configs.', where.file);
  }
  const raw = await loadFile(state.reader, ref);
  const own: PlainObject = { ...raw };
  const ext = own.extends;
  const hosts = own.hosts;
  delete own.extends;
  delete own.hosts;

  // 1. What this file extends, in list order.
  const list = ext === undefined ? [] : typeof ext === 'string' ? [ext] : ext;
  if (!Array.isArray(list) || list.some((e) => typeof e !== 'string' || e === '')) {
    throw errors.F2B_ERR_CONFIG_INVALID(
      'extends',
      'must be a config file or package name, or a list of them',
      'Write e.g. extends: ["@f2b/config-recommended", "./base.yaml"].',
      originLabel(ref),
    );
  }
  for (const [i, spec] of (list as string[]).entries()) {
    const child = resolveExtends(spec, ref, `extends${typeof ext === 'string' ? '' : `.${i}`}`, state.searchFrom);
    await addLayer(state, merged, child, [...stack, real]);
  }

  // 2. The file's own keys.
  const entry: ChainFile = {
    file: ref.file,
    ...(ref.package ? { package: ref.package } : {}),
    ...(ref.extendedBy ? { extendedBy: ref.extendedBy } : {}),
    hosts: [],
  };
  mergeLayer(merged, own, state.origins, { file: ref.file, package: ref.package, base: [] });

  // 3. Its host blocks that match, least specific first.
  if (hosts !== undefined) {
    if (!isPlainObject(hosts)) {
      throw errors.F2B_ERR_CONFIG_INVALID('hosts', 'must be an object of host patterns', 'Write e.g. hosts: { "web-*": { jails: { … } } }.', originLabel(ref));
    }
    for (const [pattern, block] of Object.entries(hosts)) {
      const path = `hosts.${pattern}`;
      if (!HOST_PATTERN.test(pattern)) {
        throw errors.F2B_ERR_CONFIG_INVALID(
          path,
          'is not a host pattern',
          'Use host-name characters with * (any characters) and ? (one character), e.g. "web-*".',
          originLabel(ref),
        );
      }
      if (!isPlainObject(block))
        throw errors.F2B_ERR_CONFIG_INVALID(
          path,
          'must be an object (the keys to override on matching hosts)',
          'Write e.g. { jails: { sshd: { maxretry: 3 } } }.',
          originLabel(ref),
        );
      for (const k of ['extends', 'hosts']) {
        if (k in block)
          throw errors.F2B_ERR_CONFIG_INVALID(
            `${path}.${k}`,
            'is not allowed inside a host block',
            `Put "${k}" at the top level of the file.`,
            originLabel(ref),
          );
      }
    }
    for (const pattern of matchingHostPatterns(Object.keys(hosts), state.host)) {
      mergeLayer(merged, hosts[pattern] as PlainObject, state.origins, { file: ref.file, package: ref.package, base: ['hosts', pattern] });
      entry.hosts.push(pattern);
    }
  }
  state.files.push(entry);
}

async function loadFile(reader: ConfigReader, ref: Ref): Promise<PlainObject> {
  // A file named in "extends" that another user could change: the error points at the "extends".
  const problem = ref.extendedBy ? trustBoundary().problem(ref.file) : null;
  if (problem !== null) throw errors.F2B_ERR_CONFIG_UNTRUSTED(ref.file, problem, { file: ref.extendedBy!, path: 'extends' });
  let found;
  try {
    found = await reader.load(ref.file);
  } catch (err) {
    if (isF2bError(err)) throw err;
    throw errors.F2B_ERR_CONFIG_PARSE(originLabel(ref), err);
  }
  if (!found || found.isEmpty) throw errors.F2B_ERR_CONFIG_INVALID('(root)', 'is empty', 'Write at least a "jails" object.', originLabel(ref));
  const c = found.config;
  const config = c && typeof c === 'object' && 'default' in c ? (c as { default: unknown }).default : c;
  if (!isPlainObject(config))
    throw errors.F2B_ERR_CONFIG_INVALID('(root)', 'is not an object', 'A config is an object with keys such as "jails" and "defaults".', originLabel(ref));
  return cloneData(config);
}

/** A file (relative to the extending file) or a package (resolved like `import`, from the extending file's directory). */
function resolveExtends(spec: string, from: Ref, path: string, searchFrom: string[]): Ref {
  const dir = dirname(from.file);
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const file = resolvePath(dir, spec);
    if (!existsSync(file)) {
      throw errors.F2B_ERR_CONFIG_NOT_FOUND(file, { spec, by: originLabel(from), path });
    }
    return { file, ...(from.package ? { package: from.package } : {}), extendedBy: from.file };
  }
  const pkg = packageName(spec);
  const file = resolvePackage(spec, [dir, ...searchFrom, CORE_DIR], from, path);
  if (!file) {
    throw errors.F2B_ERR_CONFIG_NOT_FOUND(spec, { spec, by: originLabel(from), path, package: pkg });
  }
  return { file, package: pkg, extendedBy: from.file };
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function resolvePackage(spec: string, starts: string[], from: Ref, path: string): string | null {
  return resolveTrusted(spec, searchDirs(starts), (file, problem) => errors.F2B_ERR_CONFIG_UNTRUSTED(file, problem, { file: originLabel(from), path }));
}

function safeRealpath(f: string): string {
  try {
    return realpathSync(f);
  } catch {
    return f;
  }
}

export type { ValueOrigin, Segments };
