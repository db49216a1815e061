/**
 * Environment variable references for secrets: `"${env:NAME}"` inside any string value (also as part
 * of a longer string, `"Bearer ${env:TOKEN}"`), or an object whose only key is `env`
 * (`{ env: "NAME" }`). They are resolved when the config is loaded; a missing variable is an error that
 * names the key path and the variable, never a value. `$${env:NAME}` stands for the literal text.
 */
import { isPlainObject, type PlainObject, type Segments } from './merge.js';

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REF = /\$?\$\{env:([^}]*)\}/g;

export interface EnvProblem {
  path: Segments;
  name: string;
  problem: 'missing' | 'invalid';
}

export interface EnvResult {
  /** The value with every reference replaced. */
  value: unknown;
  /** The same value with every reference written as `${env:NAME}` (what `config print` shows). */
  display: unknown;
  /** Leaves (key paths) that used variables, and which. */
  used: { path: Segments; names: string[] }[];
}

/** Is this the object form `{ env: "NAME" }`? */
export function isEnvObject(v: unknown): v is { env: string } {
  return isPlainObject(v) && typeof v.env === 'string' && Object.keys(v).length === 1;
}

/**
 * Replace the references in `root`. `leafOf(path)` maps a key path to the leaf its origin is
 * recorded at (values inside arrays belong to the array). Throws via `fail` on the first problem.
 */
export function resolveEnvRefs(root: PlainObject, env: NodeJS.ProcessEnv, fail: (p: EnvProblem) => never): EnvResult {
  const used = new Map<string, { path: Segments; names: Set<string> }>();
  const note = (leaf: Segments, name: string) => {
    const k = JSON.stringify(leaf);
    const e = used.get(k) ?? { path: leaf, names: new Set<string>() };
    e.names.add(name);
    used.set(k, e);
  };
  const lookup = (name: string, path: Segments): string => {
    if (!ENV_NAME.test(name)) fail({ path, name, problem: 'invalid' });
    const v = env[name];
    if (v === undefined) fail({ path, name, problem: 'missing' });
    return v!;
  };
  // `leaf` is where provenance is kept: the path itself, or the array that contains it.
  const walk = (v: unknown, path: Segments, leaf: Segments | null): [unknown, unknown] => {
    const at = leaf ?? path;
    if (typeof v === 'string') {
      if (!v.includes('${env:')) return [v, v];
      let display = '';
      let last = 0;
      let out = '';
      for (const m of v.matchAll(REF)) {
        const text = m[0];
        out += v.slice(last, m.index);
        display += v.slice(last, m.index);
        last = m.index! + text.length;
        if (text.startsWith('$$')) {
          out += text.slice(1);
          display += text;
          continue;
        }
        out += lookup(m[1]!, path);
        display += text;
        note(at, m[1]!);
      }
      return [out + v.slice(last), display + v.slice(last)];
    }
    if (isEnvObject(v)) {
      const value = lookup(v.env, path);
      note(at, v.env);
      return [value, `\${env:${v.env}}`];
    }
    if (Array.isArray(v)) {
      const pairs = v.map((x, i) => walk(x, [...path, String(i)], at));
      return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
    }
    if (isPlainObject(v)) {
      const value: PlainObject = {};
      const display: PlainObject = {};
      for (const [k, x] of Object.entries(v)) {
        [value[k], display[k]] = walk(x, [...path, k], leaf);
      }
      return [value, display];
    }
    return [v, v];
  };
  const [value, display] = walk(root, [], null);
  return { value, display, used: [...used.values()].map((e) => ({ path: e.path, names: [...e.names] })) };
}
