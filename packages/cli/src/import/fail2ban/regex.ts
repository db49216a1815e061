/**
 * One fail2ban pattern (Python `re`, with fail2ban's tags) as an f2b config filter pattern (RE2,
 * with our placeholders), or the reason it cannot be one. Only rewrites that mean the same are made
 * (`\Z` → `\z`, `{,n}` → `{0,n}`, `<F-USER>…</F-USER>` → `(?P<user>…)`, comments dropped); what
 * needs backtracking (lookaround, backreferences, atomic groups, conditionals) or fail2ban's
 * multi-line machinery is refused with the construct named, for the import report.
 */
import { classEnd, unsupportedConstruct, validatePattern } from '@f2b/core';

export type Translated = { ok: true; pattern: string; notes: string[] } | { ok: false; construct: string; fix: string };

/** fail2ban tags whose matches steer its multi-line sessions; a single-line filter has no equivalent. */
const MULTI_LINE_TAGS: Record<string, string> = {
  'F-NOFAIL': '<F-NOFAIL> (a match that is no failure, only context for later lines)',
  'F-MLFFORGET': '<F-MLFFORGET> (ends a multi-line session)',
  'F-MLFGAINED': '<F-MLFGAINED> (a multi-line session that succeeded)',
  SKIPLINES: '<SKIPLINES> (a pattern spanning several lines)',
};
/** Address tags of fail2ban that have no f2b placeholder (a name or a range would be banned). */
const NO_PLACEHOLDER: Record<string, string> = {
  DNS: '<DNS> (a host name, which f2b never bans: DNS would let the log choose the address)',
  CIDR: '<CIDR> (a range written in the log)',
  SUBNET: '<SUBNET> (a range written in the log)',
};
const OURS = /<(?:HOST|ADDR|IP4|IP6)>/g;

/** `needsHost`: a failregex (one address placeholder exactly); an ignoreregex needs none. */
export function translatePattern(source: string, needsHost = true): Translated {
  const notes: string[] = [];
  let p = source;
  for (const [tag, construct] of Object.entries({ ...MULTI_LINE_TAGS, ...NO_PLACEHOLDER })) {
    if (p.includes(`<${tag}>`))
      return { ok: false, construct, fix: 'f2b matches one line at a time and bans addresses only; leave the pattern out or match the line itself' };
  }
  // The session id of a multi-line filter: kept as plain text to match, the grouping is not done.
  if (p.includes('<F-MLFID>')) {
    p = p.replace(/<\/?F-MLFID>/g, '');
    notes.push('its <F-MLFID> (the session id of multi-line matching) is matched as plain text');
  }
  // `<F-USER>…</F-USER>` and the other failure fields: named groups, read as captures.
  p = p
    .replace(/<F-([A-Za-z][A-Za-z0-9_]*)>/g, (_m, name: string) => `(?P<${name.toLowerCase().replace(/-/g, '_')}>`)
    .replace(/<\/F-[A-Za-z][A-Za-z0-9_]*>/g, ')');
  p = pythonToRe2(p);
  const unsupported = unsupportedConstruct(p);
  if (unsupported) return { ok: false, construct: `${unsupported.construct} "${unsupported.text}"`, fix: unsupported.fix };
  const placeholders = p.match(OURS) ?? [];
  if (needsHost ? placeholders.length !== 1 : placeholders.length > 1)
    return {
      ok: false,
      construct: placeholders.length === 0 ? 'no <HOST> (nothing names an address to ban)' : `${placeholders.length} address tags in one pattern`,
      fix: 'f2b bans the one address a pattern captures with <HOST>; rewrite it with exactly one',
    };
  if (/\(\?P?<host>/.test(p)) return { ok: false, construct: 'a (?P<host>…) group of its own', fix: 'capture the address with <HOST> only' };
  try {
    validatePattern(p, 'pattern');
  } catch (err) {
    const problem = err instanceof Error ? err.message.replace(/^pattern is not a valid RE2 pattern: /, '').replace(/\.$/, '') : String(err);
    return {
      ok: false,
      construct: `Python syntax RE2 does not read (${problem})`,
      fix: 'rewrite it in RE2 syntax (https://github.com/google/re2/wiki/Syntax)',
    };
  }
  return { ok: true, pattern: p, notes };
}

/**
 * Python's spellings RE2 writes differently, outside character classes: `\Z` (end of text) is RE2's
 * `\z`, `{,n}` is `{0,n}`, `(?#…)` comments go.
 */
export function pythonToRe2(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      out += next === 'Z' ? '\\z' : c + next;
      i++;
      continue;
    }
    if (c === '[') {
      const j = classEnd(source, i);
      out += source.slice(i, j + 1);
      i = j;
      continue;
    }
    if (c === '(' && source.startsWith('(?#', i)) {
      const end = source.indexOf(')', i);
      if (end > 0) {
        i = end;
        continue;
      }
    }
    if (c === '{' && source[i + 1] === ',') {
      const m = /^\{,(\d+)\}/.exec(source.slice(i));
      if (m) {
        out += `{0,${m[1]}}`;
        i += m[0].length - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}
