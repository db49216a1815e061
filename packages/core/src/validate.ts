/**
 * JSON Schema validation of plugin options and config, reporting the config path of the first bad
 * key (`jails.sshd.maxretry`) in a full sentence.
 */
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject } from 'ajv';
import { errors } from './errors.js';

export type JSONSchema = Record<string, unknown>;

// Loaded at the first schema checked, not at import: commands that check none (`f2b --version`,
// the client commands) start without it.
let ajv: Ajv | undefined;
function validator(): Ajv {
  if (ajv === undefined) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    ajv = new AjvClass({ allErrors: false, strict: false, useDefaults: true, coerceTypes: false });
  }
  return ajv;
}
const cache = new WeakMap<object, ReturnType<Ajv['compile']>>();

export interface SchemaProblem {
  path: string;
  problem: string;
}

/** Validate `value` (mutated in place with schema defaults); returns the first problem or null. */
export function checkSchema(schema: JSONSchema, value: unknown, basePath: string): SchemaProblem | null {
  if (emptyAndValid(schema, value)) return null;
  let validate = cache.get(schema);
  if (!validate) {
    validate = validator().compile(schema);
    cache.set(schema, validate);
  }
  if (validate(value)) return null;
  const err = (validate.errors ?? [])[0];
  return err ? describeAjvError(err, basePath) : { path: basePath, problem: 'is invalid' };
}

/** Keys of an object schema that an empty object satisfies whatever they say (no defaults to fill in). */
const HARMLESS = new Set(['type', 'additionalProperties', 'properties', 'description', 'title', '$comment', 'patternProperties']);

/**
 * `{}` against an object schema that requires nothing and fills in no default: valid, and known
 * without compiling the schema — plugins given no options (`f2b test-filter sshd`) start without ajv.
 */
function emptyAndValid(schema: JSONSchema, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length > 0) return false;
  if (schema.type !== 'object' || !Object.keys(schema).every((k) => HARMLESS.has(k))) return false;
  const props = schema.properties;
  if (props === undefined) return true;
  if (typeof props !== 'object' || props === null) return false;
  return Object.values(props).every((p) => typeof p === 'object' && p !== null && !('default' in p));
}

/**
 * Validate the options of a plugin or of what it provides (a source's, an action's, a filter's, a
 * tracker's) — the one place they are checked; throws F2B_ERR_PLUGIN_OPTIONS naming the key path.
 */
export function checkOptions(schema: JSONSchema, value: unknown, path: string, plugin: string): void {
  const problem = checkSchema(schema, value, path);
  if (problem) throw errors.F2B_ERR_PLUGIN_OPTIONS(plugin, problem.path, problem.problem);
}

function describeAjvError(err: ErrorObject, basePath: string): SchemaProblem {
  const segments = err.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = [basePath, ...segments].filter(Boolean).join('.');
  let problem: string;
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = (err.params as { additionalProperty: string }).additionalProperty;
      path = path ? `${path}.${key}` : key;
      problem = 'is not a known option';
      break;
    }
    case 'required': {
      const key = (err.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${key}` : key;
      problem = 'is required but missing';
      break;
    }
    case 'enum':
      problem = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'type':
      problem = `must be of type ${(err.params as { type: string }).type}`;
      break;
    default:
      problem = err.message ?? 'is invalid';
  }
  return { path, problem };
}
