/**
 * `@f2b/create-plugin`: scaffolds an f2b plugin package. `npm init @f2b/plugin` runs its bin
 * (`create-plugin`); `scaffold()` is the same from code.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { render, type Kind } from './templates.js';

export { CORE_RANGE, TOOL_VERSIONS, render, type Kind, type TemplateInput } from './templates.js';

export const KINDS: readonly Kind[] = ['filter', 'action', 'source'];

export interface ScaffoldOptions {
  kind: Kind;
  /** npm package name; by convention `f2b-<kind>-<id>` or `@scope/f2b-<kind>-<id>`. */
  name: string;
  /** Filter id / action type / source type (default: the name without scope and `f2b-<kind>-`). */
  id?: string;
  /** Target directory (default: the unscoped name, in the current directory). */
  dir?: string;
  description?: string;
  author?: string;
  /** @f2b/core spec for devDependencies (default: the core range; `file:…` while developing f2b). */
  coreSpec?: string;
  /** Write into a directory that is not empty. */
  force?: boolean;
}

export interface ScaffoldResult {
  dir: string;
  id: string;
  files: string[];
}

/** npm's rules for new package names: lower case, URL-safe, at most 214 characters, optional scope. */
const NPM_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class ScaffoldError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/** The id a package name suggests: `@acme/f2b-filter-myapp` → `myapp`. */
export function defaultId(name: string, kind: Kind): string {
  const unscoped = name.replace(/^@[^/]+\//, '');
  return unscoped.replace(new RegExp(`^f2b-(?:${kind}|plugin)-`), '').replace(/^f2b-/, '');
}

/** Check the options; returns a problem sentence, or null. */
export function checkOptions(o: Partial<ScaffoldOptions>): ScaffoldError | null {
  if (!o.kind || !KINDS.includes(o.kind))
    return new ScaffoldError(`--kind must be one of ${KINDS.join(', ')}${o.kind ? `, not "${o.kind}"` : ''}.`, 'Write e.g. --kind filter.');
  if (!o.name) return new ScaffoldError('A package name is required.', `Write e.g. --name f2b-${o.kind}-myapp.`);
  if (!NPM_NAME.test(o.name) || o.name.length > 214) {
    return new ScaffoldError(
      `"${o.name}" is not a valid npm package name.`,
      `Use lower case letters, digits, "-", "." and "_", optionally with a scope: f2b-${o.kind}-myapp or @acme/f2b-${o.kind}-myapp.`,
    );
  }
  const id = o.id ?? defaultId(o.name, o.kind);
  if (!ID.test(id))
    return new ScaffoldError(
      `"${id}" is not a valid ${o.kind} ${o.kind === 'filter' ? 'id' : 'type'}.`,
      'Use lower case letters, digits, "-" and "_" (at most 64), e.g. --id myapp.',
    );
  return null;
}

/** Write the new package. Refuses a non-empty directory unless `force`. */
export function scaffold(o: ScaffoldOptions, cwd = process.cwd()): ScaffoldResult {
  const problem = checkOptions(o);
  if (problem) throw problem;
  const id = o.id ?? defaultId(o.name, o.kind);
  const dir = resolve(cwd, o.dir ?? o.name.replace(/^@[^/]+\//, ''));
  if (existsSync(dir) && readdirSync(dir).length > 0 && !o.force) {
    throw new ScaffoldError(`The directory ${dir} is not empty.`, 'Choose another --dir, or pass --force to write into it.');
  }
  const files = render({
    kind: o.kind,
    name: o.name,
    id,
    description: o.description ?? `f2b ${o.kind} for ${id}.`,
    author: o.author ?? '',
    year: new Date().getFullYear(),
    coreSpec: o.coreSpec,
  });
  for (const [rel, text] of Object.entries(files)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { dir, id, files: Object.keys(files) };
}

/** Is this name one f2b discovers by its name alone (besides the `f2b-plugin` keyword every scaffold has)? */
export function conventionalName(name: string, kind: Kind): boolean {
  return new RegExp(`^(?:@[a-z0-9._~-]+/)?f2b-(?:${kind}|plugin)-`).test(name);
}
