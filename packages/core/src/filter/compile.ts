/**
 * Turns a filter definition into matchers. Patterns run on RE2 only — linear time whatever the log
 * says — and on Buffers, because node-re2 converts every JS string to UTF-8 on each call.
 */
import RE2 from 're2';
import { errors, messageOf } from '../errors.js';
import { normalizeIp, looksLikeHostname } from '../ip.js';
import type { FilterDefinition, FilterRule } from './types.js';
import { unsupportedConstruct } from './re2-constructs.js';
import { classEnd } from './character-class.js';

// Address shapes only, deliberately loose: whether the text really is an address is decided by our
// IP parser afterwards. Loose also means small: RE2's cost for captures grows with the number of
// automaton states, and counted repetitions like {0,251} multiply them.
const IP4 = '[0-9]+(?:\\.[0-9]+){3}';
// At least two colons: every IPv6 text has them, and `192.0.2.1:5060` (address and port) has one.
const IP6 = '\\[?[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\\]?';
const DNS = '[A-Za-z0-9][A-Za-z0-9.-]*';

const PLACEHOLDERS: Record<string, string> = {
  '<HOST>': `(?P<host>${IP6}|${DNS})`,
  '<ADDR>': `(?P<host>${IP6}|${IP4})`,
  '<IP4>': `(?P<host>${IP4})`,
  '<IP6>': `(?P<host>${IP6})`,
};

export function expandPattern(pattern: string): string {
  return pattern.replace(/<(?:HOST|ADDR|IP4|IP6)>/g, (p) => PLACEHOLDERS[p]!);
}

export interface CompiledRule {
  readonly rule: FilterRule;
  readonly re: RE2;
  /** Named groups other than `host`. */
  readonly groups: readonly string[];
  /** The name of each capture group by position (index 1 = first group); null for unnamed ones. */
  readonly names: readonly (string | null)[];
  readonly hasHost: boolean;
  readonly allowHostname: boolean;
}

export function compileRule(filterId: string, rule: FilterRule): CompiledRule {
  const expanded = expandPattern(rule.pattern);
  let re: RE2;
  let names: (string | null)[];
  try {
    new RE2(expanded); // validates the pattern as written (names included)
    const positional = positionalGroups(expanded);
    names = positional.names;
    re = new RE2(positional.source);
  } catch (err) {
    const unsupported = unsupportedConstruct(rule.pattern);
    if (unsupported) {
      throw errors.F2B_ERR_PATTERN_UNSUPPORTED(
        `The rule ${JSON.stringify(rule.id)} of the filter ${JSON.stringify(filterId)}`,
        unsupported.construct,
        unsupported.text,
        unsupported.fix,
      );
    }
    throw errors.F2B_ERR_PATTERN_INVALID({ filter: filterId, rule: rule.id }, messageOf(err));
  }
  const groups = names.filter((n): n is string => n !== null);
  return {
    rule,
    re,
    names,
    groups: [...new Set(groups.filter((g) => g !== 'host'))],
    hasHost: groups.includes('host'),
    allowHostname: rule.pattern.includes('<HOST>'),
  };
}

/**
 * Check a pattern written by a person (`f2b test-filter --pattern`): placeholders expanded, then
 * compiled by RE2. Throws F2B_ERR_PATTERN_UNSUPPORTED naming a construct RE2 leaves out
 * (lookaround, backreferences, …), or F2B_ERR_PATTERN_INVALID. `where` names it in the message.
 */
export function validatePattern(pattern: string, where: string): void {
  const expanded = expandPattern(pattern);
  try {
    new RE2(expanded);
  } catch (err) {
    const unsupported = unsupportedConstruct(pattern);
    if (unsupported) throw errors.F2B_ERR_PATTERN_UNSUPPORTED(where, unsupported.construct, unsupported.text, unsupported.fix);
    // RE2 quotes the whole (expanded) pattern after the problem; the person wrote the short one.
    const problem = messageOf(err);
    throw errors.F2B_ERR_PATTERN_INVALID(where, problem.endsWith(`: ${expanded}`) ? problem.slice(0, -expanded.length - 2) : problem);
  }
}

/**
 * The pattern with its named groups made plain (unnamed ones non-capturing), and the names by position. node-re2 builds a
 * `groups` object on every exec of a pattern with named groups, which costs a third of the call;
 * we map positions to names ourselves.
 */
export function positionalGroups(source: string): { source: string; names: (string | null)[] } {
  const names: (string | null)[] = [null];
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '[') {
      // A character class: copied as is; `]` right after `[` or `[^` is a literal.
      const j = classEnd(source, i);
      out += source.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '(') {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i, i + 70));
      if (named) {
        names.push(named[1]!);
        out += '(';
        i += named[0].length - 1;
        continue;
      }
      // An unnamed group captures nothing anyone reads: non-capturing, RE2 tracks fewer positions.
      if (source[i + 1] !== '?') {
        out += '(?:';
        continue;
      }
    }
    out += c;
  }
  return { source: out, names };
}

/** The rules active in a mode, in definition order. */
export function rulesForMode(def: FilterDefinition, mode: string): FilterRule[] {
  return def.rules.filter((r) => !r.modes || r.modes.includes(mode));
}

/** Resolve the mode a user asked for (or the default) and reject unknown ones. */
export function resolveMode(def: FilterDefinition, mode: string | undefined, path?: string): string {
  const modes = def.modes ?? ['normal'];
  const chosen = mode ?? def.defaultMode ?? modes[0]!;
  if (!modes.includes(chosen)) throw errors.F2B_ERR_MODE_UNKNOWN(def.id, chosen, modes, path);
  return chosen;
}

/**
 * Validate the text a `host` group captured: an IP address (normalised), or — for `<HOST>` — a DNS
 * name. Anything else means the pattern matched something that is not a source, and the rule fails.
 */
export function checkHost(text: string, allowHostname: boolean): string | null {
  const ip = normalizeIp(text);
  if (ip) return ip;
  if (allowHostname && looksLikeHostname(text)) return text.toLowerCase();
  return null;
}

export { RE2 };
