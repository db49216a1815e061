/**
 * Filters written in the config (`filters: { myapp: { failregex: [...], ignoreregex: [...] } }`):
 * fail2ban's filter.d files as data, made into filter definitions a jail uses with `filter: myapp`
 * exactly like a packaged one. Every pattern is checked here, at `config check`, with the key path
 * of the bad one: it must compile on RE2 (so matching stays linear whatever a log line says), and a
 * failregex must hold exactly one address placeholder — the only place a ban's address comes from.
 * `<HOST>` takes addresses only in a config filter: a host name in a log line would let the log's
 * writer choose, through DNS, whom we ban.
 */
import { errors, F2bError, isF2bError, relocateError } from '../errors.js';
import { validatePattern } from '../filter/compile.js';
import type { FilterDefinition, FilterRule } from '../filter/types.js';
import type { JSONSchema } from '../validate.js';

export interface UserFilterInput {
  description?: string;
  /** Patterns of failures, each with one `<HOST>` (`<ADDR>`, `<IP4>`, `<IP6>`), matched on the message. */
  failregex: string | string[];
  /** Lines whose message matches one of these are never failures (fail2ban's ignoreregex). */
  ignoreregex?: string | string[];
  /** Only entries of these programs (syslog tag; `postfix*` by prefix) are matched. */
  programs?: string[];
}

/** The `filters:` key of the config schema. */
export const USER_FILTERS_SCHEMA: JSONSchema = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['failregex'],
    properties: {
      description: { type: 'string', maxLength: 500 },
      failregex: {
        type: ['string', 'array'],
        items: { type: 'string', minLength: 1, maxLength: 4096 },
        minLength: 1,
        maxLength: 4096,
        minItems: 1,
        maxItems: 256,
      },
      ignoreregex: { type: ['string', 'array'], items: { type: 'string', minLength: 1, maxLength: 4096 }, minLength: 1, maxLength: 4096, maxItems: 256 },
      programs: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, minItems: 1 },
    },
  },
};

/** Which package a config filter stands in for, as `Provided.plugin` says it. */
export const CONFIG_FILTER_PLUGIN = 'config';

const FILTER_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const PLACEHOLDER = /<(?:HOST|ADDR|IP4|IP6)>/g;
/** A `host` group written by hand: the address must come from a placeholder, whose shapes we control. */
const HAND_WRITTEN_HOST = /\(\?P?<host>/;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/**
 * The config's filters as definitions: ignore rules first (`ignoreregex-N`, kind `info`: a line one
 * of them matches is found as that rule and counts no failure), then `failregex-N`, N being the index
 * in the config's list. Throws F2B_ERR_CONFIG_INVALID / F2B_ERR_PATTERN_* with the key path.
 */
export function resolveUserFilters(input: Record<string, UserFilterInput> | undefined, file?: string): FilterDefinition[] {
  const out: FilterDefinition[] = [];
  for (const [id, filter] of Object.entries(input ?? {})) {
    const base = `filters.${id}`;
    if (!FILTER_ID.test(id))
      throw errors.F2B_ERR_CONFIG_INVALID(base, 'is not a valid filter id', 'Use letters, digits, "-", "_" and "." (at most 64 characters).', file);
    const rules: FilterRule[] = [];
    list(filter.ignoreregex).forEach((pattern, i) => {
      const path = list(filter.ignoreregex).length === 1 && typeof filter.ignoreregex === 'string' ? `${base}.ignoreregex` : `${base}.ignoreregex.${i}`;
      checkPattern(pattern, path, file);
      rules.push({ id: `ignoreregex-${i}`, pattern: addressesOnly(pattern), kind: 'info' });
    });
    const fails = list(filter.failregex);
    fails.forEach((pattern, i) => {
      const path = typeof filter.failregex === 'string' ? `${base}.failregex` : `${base}.failregex.${i}`;
      // Before RE2: two placeholders are two `host` groups, which RE2 would call a duplicate name.
      const placeholders = pattern.match(PLACEHOLDER) ?? [];
      if (placeholders.length !== 1 || HAND_WRITTEN_HOST.test(pattern)) throw withFile(errors.F2B_ERR_FILTER_NO_HOST(path, placeholders.length), file);
      checkPattern(pattern, path, file);
      rules.push({ id: `failregex-${i}`, pattern: addressesOnly(pattern) });
    });
    out.push({
      id,
      description: filter.description ?? `the config's filter ${id}`,
      ...(filter.programs ? { programs: filter.programs } : {}),
      rules,
    });
  }
  return out;
}

/** `<HOST>` as `<ADDR>`: the engine then takes only an address from the capture, never a name to resolve. */
function addressesOnly(pattern: string): string {
  return pattern.replace(/<HOST>/g, '<ADDR>');
}

function checkPattern(pattern: string, path: string, file: string | undefined): void {
  try {
    validatePattern(pattern, `The pattern at "${path}"`);
  } catch (err) {
    if (!isF2bError(err)) throw err;
    // The constructs table speaks of test-filter's --ignore-pattern; a config filter has ignoreregex.
    const fix = err.fix?.replace(/--ignore-pattern(?: \(a filter: a second rule or an `info` rule\))?/g, 'an ignoreregex');
    throw withFile(new F2bError(err.code, err.message, { fix, path, file: err.file, cause: err.cause, exit: err.exit }), file);
  }
}

function withFile(err: F2bError, file?: string): F2bError {
  return file && !err.file ? relocateError(err, { file }) : err;
}
