/**
 * The keys a config may have, read off the config schema itself (the one validation uses), for
 * f2b.config(5) and its test: every object key, with `<name>` for keys the user names (jails),
 * following `oneOf` alternatives that are objects. `defaults` repeats the jail keys and is listed
 * as one key, as are plugin options (their schemas belong to each plugin).
 */
import type { JSONSchema } from '../validate.js';

export interface SchemaKey {
  /** Dotted path, e.g. `jails.<name>.filter.mode`. */
  path: string;
  /** The JSON types the value may take (`string`, `duration` is `number|string`, …). */
  types: string[];
  /** The values allowed when the schema lists them. */
  values?: unknown[];
}

/** Keys not descended into: their content is described elsewhere. */
const OPAQUE = new Set(['defaults', 'jails.<name>.filter.options']);

export function schemaKeys(schema: JSONSchema, prefix = ''): SchemaKey[] {
  const out: SchemaKey[] = [];
  const alternatives = (s: JSONSchema): JSONSchema[] => (Array.isArray(s.oneOf) ? (s.oneOf as JSONSchema[]).flatMap(alternatives) : [s]);
  const visit = (s: JSONSchema, path: string) => {
    const alts = alternatives(s);
    if (path !== '') {
      const types = new Set<string>();
      const values: unknown[] = [];
      for (const a of alts) {
        if (Array.isArray(a.enum)) values.push(...(a.enum as unknown[]));
        if ('const' in a) values.push(a.const);
        const t = a.type;
        if (typeof t === 'string') types.add(t);
        else if (Array.isArray(t)) for (const x of t as string[]) types.add(x);
        else if (Array.isArray(a.enum) || 'const' in a) types.add(typeof (a.enum as unknown[] | undefined)?.[0] === 'string' ? 'string' : typeof a.const);
      }
      out.push({ path, types: [...types], ...(values.length > 0 ? { values } : {}) });
    }
    if (OPAQUE.has(path) && path !== '') return;
    // Named after the object whose keys they are; the root's start with no dot.
    const join = (k: string) => (path === '' ? k : `${path}.${k}`);
    const seen = new Set<string>();
    for (const a of alts) {
      const props = a.properties as Record<string, JSONSchema> | undefined;
      for (const [k, sub] of Object.entries(props ?? {})) {
        if (k === '$schema' || seen.has(k)) continue;
        seen.add(k);
        visit(sub, join(k));
      }
      const extra = a.additionalProperties;
      if (extra && typeof extra === 'object') visit(extra as JSONSchema, join('<name>'));
    }
  };
  visit(schema, prefix);
  return out;
}
