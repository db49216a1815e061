/**
 * Reading config files: the places cosmiconfig knows for module `f2b` (`f2b.config.{js,ts,mjs,cjs}`,
 * `.f2brc*`, `package.json#f2b`, …, plus `f2b.config.{json,yaml,yml}`), searched from a directory
 * upward, with cosmiconfig's loaders for JavaScript and TypeScript and our own for data files.
 *
 * Why not cosmiconfig's explorer: it reads a "meta config" (`package.json#cosmiconfig`,
 * `.config/config.js`, …) from the current directory — code and search places chosen by whoever owns
 * that directory — and its YAML loader expands aliases without limit. Here every file is checked
 * against the trust boundary (trust.ts) before it is read; a data file is at most 1 MiB, YAML aliases
 * are limited (the `yaml` library's `maxAliasCount`), and nesting is bounded, so that no config can
 * hang or exhaust the daemon ("billion laughs").
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve as resolvePath } from 'node:path';
import { errors, isF2bError } from '../errors.js';
import { trustBoundary } from '../trust.js';

/**
 * cosmiconfig's places (`.f2brc*`, `f2b.config.{js,ts,mjs,cjs}`, …: its getDefaultSearchPlaces('f2b'),
 * written out so that cosmiconfig loads only for a JavaScript config; a test checks they agree)
 * plus the JSON/YAML config files it leaves out.
 */
export const COSMICONFIG_PLACES: readonly string[] = [
  'package.json',
  ...['.f2brc', '.config/f2brc'].flatMap((b) => ['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map((e) => b + e)),
  'f2b.config.js',
  'f2b.config.ts',
  'f2b.config.cjs',
  'f2b.config.mjs',
];
export const SEARCH_PLACES = [...COSMICONFIG_PLACES, 'f2b.config.json', 'f2b.config.yaml', 'f2b.config.yml'];
/** yaml and cosmiconfig, loaded for the first file that needs them (start-up without them). */
const lazyRequire = createRequire(import.meta.url);
/** Places in the per-user config directory (`~/.config/f2b/`), as cosmiconfig's global search. */
const GLOBAL_PLACES = ['config', 'config.json', 'config.yaml', 'config.yml', 'config.js', 'config.ts', 'config.cjs', 'config.mjs'];

/** Largest config file read (data files are parsed whole). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** YAML alias expansions allowed per document (the `yaml` library's default). */
export const MAX_YAML_ALIASES = 100;
/** Deepest nesting of objects and arrays, and most values, in one config file. */
export const MAX_CONFIG_DEPTH = 64;
export const MAX_CONFIG_VALUES = 200_000;

export interface ReadConfig {
  /** The file's config (the `f2b` key of a package.json); undefined when the file is empty. */
  config: unknown;
  isEmpty: boolean;
}

/** Config files that are programs (run when loaded), by extension. */
const CODE_CONFIG = /\.(?:js|ts|cjs|mjs)$/;

export interface ConfigReaderOptions {
  /**
   * Read data files only (JSON, YAML): a search passes over a config that is a program, and loading
   * one (named, or extended by a data file) throws F2B_ERR_CONFIG_CODE_REFUSED. For readers that run
   * on a keystroke (shell completion), where running the user's code would be a surprise.
   */
  dataOnly?: boolean;
}

export class ConfigReader {
  private readonly cache = new Map<string, Promise<ReadConfig | null>>();

  constructor(private readonly opts: ConfigReaderOptions = {}) {}

  /**
   * Read one file: null for a package.json without an `f2b` key. Throws F2B_ERR_CONFIG_UNTRUSTED
   * outside the trust boundary, F2B_ERR_CONFIG_LIMIT past a limit, F2B_ERR_CONFIG_PARSE otherwise.
   */
  load(file: string): Promise<ReadConfig | null> {
    const abs = resolvePath(file);
    let p = this.cache.get(abs);
    if (!p) {
      p = this.read(abs);
      this.cache.set(abs, p);
    }
    return p;
  }

  /**
   * The first config file from `from` upward (to the home directory when `from` is inside it, else to
   * `/`), then in `~/.config/f2b/`; files outside the trust boundary are reported and passed over.
   */
  async search(from: string, opts: { global?: boolean } = {}): Promise<string | null> {
    for (const { dir, places } of searchDirs(resolvePath(from), opts.global ?? true)) {
      for (const place of places) {
        const file = join(dir, place);
        if (!isFile(file)) continue;
        if (this.opts.dataOnly === true && CODE_CONFIG.test(file)) continue;
        const problem = trustBoundary().problem(file);
        if (problem !== null) {
          trustBoundary().refused(file, problem);
          continue;
        }
        const found = await this.load(file);
        if (found && !found.isEmpty) return file;
      }
    }
    return null;
  }

  private async read(file: string): Promise<ReadConfig | null> {
    if (!existsSync(file)) throw errors.F2B_ERR_CONFIG_NOT_FOUND(file);
    const problem = trustBoundary().problem(file);
    if (problem !== null) throw errors.F2B_ERR_CONFIG_UNTRUSTED(file, problem);
    if (this.opts.dataOnly === true && CODE_CONFIG.test(file)) throw errors.F2B_ERR_CONFIG_CODE_REFUSED(file);
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) throw errors.F2B_ERR_CONFIG_LIMIT(file, `it is ${size} bytes long, more than the ${MAX_CONFIG_BYTES} a config may have`);
    const content = readFileSync(file, 'utf8');
    let config: unknown;
    try {
      config = await parse(file, content);
    } catch (err) {
      if (isF2bError(err)) throw err;
      if (err instanceof Error && /alias count|resource exhaustion/i.test(err.message)) {
        throw errors.F2B_ERR_CONFIG_LIMIT(file, `its YAML aliases expand to more than ${MAX_YAML_ALIASES} copies (a "billion laughs" document)`);
      }
      if (err instanceof RangeError) throw errors.F2B_ERR_CONFIG_LIMIT(file, 'it is nested too deeply to be read');
      throw errors.F2B_ERR_CONFIG_PARSE(file, err);
    }
    if (basename(file) === 'package.json') {
      const prop = config && typeof config === 'object' ? (config as Record<string, unknown>).f2b : undefined;
      if (prop === undefined) return null;
      config = prop;
    }
    const shape = shapeProblem(config);
    if (shape) throw errors.F2B_ERR_CONFIG_LIMIT(file, shape);
    return { config, isEmpty: config === undefined || config === null };
  }
}

function parse(file: string, content: string): unknown {
  const ext = extname(file);
  if (basename(file) === 'package.json' || ext === '.json') return content.trim() === '' ? undefined : JSON.parse(content);
  if (ext === '.yaml' || ext === '.yml' || ext === '') {
    const { parse: parseYaml } = lazyRequire('yaml') as typeof import('yaml');
    const value = parseYaml(content, { maxAliasCount: MAX_YAML_ALIASES, prettyErrors: true, logLevel: 'error' });
    return value === null ? undefined : value;
  }
  const { defaultLoaders } = lazyRequire('cosmiconfig') as typeof import('cosmiconfig');
  const loader = defaultLoaders[ext as keyof typeof defaultLoaders];
  if (!loader) throw new Error(`files ending in "${ext}" are not a config format f2b reads`);
  return loader(file, content);
}

/**
 * Too deep, or too many values (a JavaScript config may also build a cycle): the later steps — merge,
 * clone, validation — walk the whole tree, so it must be bounded.
 */
function shapeProblem(root: unknown): string | null {
  const stack: [unknown, number][] = [[root, 0]];
  let values = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++values > MAX_CONFIG_VALUES) return `it has more than ${MAX_CONFIG_VALUES} values`;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_CONFIG_DEPTH) return `it nests objects or arrays more than ${MAX_CONFIG_DEPTH} deep`;
    for (const v of Array.isArray(value) ? value : Object.values(value)) stack.push([v, depth + 1]);
  }
  return null;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function* searchDirs(start: string, global: boolean): Generator<{ dir: string; places: string[] }> {
  const stop = homedir();
  let dir = start;
  for (;;) {
    yield { dir, places: SEARCH_PLACES };
    const parent = dirname(dir);
    if (dir === stop || parent === dir) break;
    dir = parent;
  }
  if (global) yield { dir: join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'f2b'), places: GLOBAL_PLACES };
}
