/**
 * Host-specific overrides: `hosts: { "web-*": { … } }` blocks are applied when the pattern matches
 * this machine's host name. Patterns are globs with `*` (any run of characters) and `?` (one
 * character), matched case-insensitively against the full host name and its first label. The matcher
 * is a linear two-pointer scan (no regular expression is built from the pattern).
 */

/** The characters a host pattern may use: host-name characters and the two wildcards. */
export const HOST_PATTERN = /^[A-Za-z0-9._*?-]{1,253}$/;

/** Does the glob `pattern` match `name` (case-insensitive)? */
export function globMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const s = name.toLowerCase();
  let pi = 0;
  let si = 0;
  let star = -1; // position in p after the last '*'
  let mark = 0; // position in s the last '*' is matched up to
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = ++pi;
      mark = si;
    } else if (star !== -1) {
      pi = star;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** Does a `hosts` key match this host (its full name or its first label)? */
export function hostMatches(pattern: string, host: string): boolean {
  if (globMatch(pattern, host)) return true;
  const short = host.split('.')[0]!;
  return short !== host && globMatch(pattern, short);
}

/**
 * How specific a pattern is: names without wildcards beat every glob; among globs, more literal
 * characters are more specific (`*` < `web-*` < `web-1*`).
 */
export function specificity(pattern: string): number {
  const literal = pattern.replace(/[*?]/g, '').length;
  return /[*?]/.test(pattern) ? literal : 1000 + literal;
}

/**
 * The patterns that match `host`, in the order they are applied: least specific first (so the most
 * specific one wins), patterns of equal specificity in file order.
 */
export function matchingHostPatterns(patterns: string[], host: string): string[] {
  return patterns
    .map((p, i) => ({ p, i, s: specificity(p) }))
    .filter((x) => hostMatches(x.p, host))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.p);
}
