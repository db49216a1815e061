/**
 * fail2ban's layered jail configuration, read in the order jail.conf(5) gives: `jail.conf`,
 * `jail.d/*.conf` (alphabetical), `jail.local`, `jail.d/*.local`; each file preceded by the files its
 * `[INCLUDES] before =` names and followed by those of `after =` (relative to its directory; missing
 * ones, like the optional `paths-overrides.local`, are skipped). A later file's value replaces an
 * earlier one of the same section and name; the replaced value stays reachable as `%(known/name)s`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { errors, isF2bError, trustBoundary } from '@f2b/core';
import { parseIni, type IniProblem, type IniValue } from './ini.js';

export const DEFAULT_SECTION = 'DEFAULT';
const INCLUDES = 'INCLUDES';
/** A chain of includes deeper than this is a loop or a mistake. */
const MAX_INCLUDE_DEPTH = 10;
/** Bigger files are not fail2ban configuration. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** One definition of a name in a section; `known` is the one it replaced (an earlier file's). */
export interface Definition extends IniValue {
  /** The section it was written in (a jail inherits [DEFAULT]'s). */
  section?: string;
  known?: Definition;
}

export interface Layers {
  dir: string;
  /** Files read, in order (absolute paths). */
  files: string[];
  /** Section name → name → the winning definition. Sections keep the order they first appeared in. */
  sections: Map<string, Map<string, Definition>>;
  /** Lines that could not be read as configuration. */
  problems: IniProblem[];
}

/** The files of a `name` (e.g. "jail") in `dir`, in fail2ban's order; only those that exist. */
export function layerFiles(dir: string, name: string): string[] {
  const inD = (ext: string) => {
    const d = join(dir, `${name}.d`);
    let names: string[] = [];
    try {
      names = readdirSync(d)
        .filter((f) => f.endsWith(ext))
        .sort();
    } catch {
      // no name.d directory: nothing to add
    }
    return names.map((f) => join(d, f)).filter(isFile);
  };
  return [join(dir, `${name}.conf`)].filter(isFile).concat(inD('.conf'), [join(dir, `${name}.local`)].filter(isFile), inD('.local'));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Read and merge the layered files of `name` under `dir` (throws F2B_ERR_* for unreadable files). */
export function readLayers(dir: string, name = 'jail'): Layers {
  const layers: Layers = { dir: resolve(dir), files: [], sections: new Map(), problems: [] };
  for (const file of layerFiles(layers.dir, name)) readWithIncludes(layers, file, 0, new Set());
  return layers;
}

function readWithIncludes(layers: Layers, file: string, depth: number, stack: Set<string>): void {
  if (stack.has(file) || depth > MAX_INCLUDE_DEPTH) {
    layers.problems.push({ file, line: 0, problem: `is included from itself (${[...stack].map((f) => basename(f)).join(' → ')})` });
    return;
  }
  const parsed = parseIni(readConfFile(file), file);
  layers.problems.push(...parsed.problems);
  const includes = (key: 'before' | 'after') =>
    parsed.sections
      .filter((s) => s.name === INCLUDES)
      .flatMap((s) => s.entries.filter((e) => e.key === key))
      .flatMap((e) => e.value.text.split(/\s+/).filter(Boolean))
      .map((f) => resolve(dirname(file), f))
      .filter(isFile);
  const inner = new Set(stack).add(file);
  for (const f of includes('before')) readWithIncludes(layers, f, depth + 1, inner);
  layers.files.push(file);
  for (const section of parsed.sections) {
    if (section.name === INCLUDES) continue;
    let options = layers.sections.get(section.name);
    if (!options) layers.sections.set(section.name, (options = new Map()));
    for (const { key, value } of section.entries) {
      const known = options.get(key);
      options.set(key, known ? { ...value, section: section.name, known } : { ...value, section: section.name });
    }
  }
  for (const f of includes('after')) readWithIncludes(layers, f, depth + 1, inner);
}

/**
 * The text of one file. As root, a file another user could write is refused: what it says would
 * become the config of a root daemon.
 */
function readConfFile(file: string): string {
  const problem = trustBoundary().problem(file);
  if (problem) throw errors.F2B_ERR_CONFIG_UNTRUSTED(file, problem);
  try {
    const size = statSync(file).size;
    if (size > MAX_FILE_BYTES) throw errors.F2B_ERR_CONFIG_LIMIT(file, `it is ${size} bytes, more than fail2ban configuration ever is`);
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (isF2bError(err)) throw err;
    throw errors.F2B_ERR_FILE(file, (err as NodeJS.ErrnoException).code, err);
  }
}

/** `file:line` relative to the imported directory, for comments and the report. */
export function whereText(dir: string, def: { file: string; line: number }): string {
  const rel = relative(dir, def.file);
  const name = rel && !rel.startsWith('..') ? rel : def.file;
  return def.line > 0 ? `${name}:${def.line}` : name;
}
