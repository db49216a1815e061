/**
 * A small, backtracking-safe glob matcher for file paths (POSIX separators).
 *
 * Supported syntax:
 *  - `*`      any run of characters within one path segment (not `/`)
 *  - `?`      one character within a segment
 *  - `[abc]`, `[a-z]`, `[!abc]` / `[^abc]`  one character from / not from a set
 *  - `**`     as a whole segment: zero or more segments
 *  - `{a,b}`  alternatives (expanded up front; may nest)
 *  - `\x`     the character `x` literally
 *
 * Like shells, wildcards do not match a leading `.` of a segment (a segment pattern must start
 * with a literal `.` to match dot files), and `**` does not descend into dot directories.
 *
 * Matching is done by hand: segment patterns with the classic single-backtrack-point star
 * algorithm (O(pattern × text)), path patterns with a memoised walk over segments, so no input can
 * cause exponential time.
 */
import * as path from 'node:path';

/** Upper bound for the number of patterns one brace expression may expand to. */
export const MAX_BRACE_EXPANSION = 1024;

type Token = { kind: 'lit'; ch: string } | { kind: 'any' } | { kind: 'star' } | { kind: 'class'; negate: boolean; items: Array<[string, string]> };

/** A compiled pattern for one path segment. */
interface SegmentMatcher {
  /** `**` as a whole segment. */
  globstar: boolean;
  /** The segment has no wildcards; `literal` holds its text (escapes removed). */
  literal: string | null;
  tokens: Token[];
}

const GLOB_CHARS = new Set(['*', '?', '[']);

/** True if the string contains an unescaped glob character (`*`, `?`, `[`, `{`). */
export function hasGlobChars(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (GLOB_CHARS.has(ch) || ch === '{') return true;
  }
  return false;
}

/**
 * Expand `{a,b}` alternatives (nested braces allowed). Braces without a top-level comma are kept
 * literally. Throws if the expansion would produce more than `MAX_BRACE_EXPANSION` patterns.
 */
export function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  const work: string[] = [pattern];
  while (work.length > 0) {
    const p = work.pop()!;
    const brace = findBrace(p);
    if (!brace) {
      out.push(p);
    } else {
      const prefix = p.slice(0, brace.open);
      const suffix = p.slice(brace.close + 1);
      // Push in reverse so the output keeps the written order.
      for (let i = brace.alternatives.length - 1; i >= 0; i--) {
        work.push(prefix + brace.alternatives[i] + suffix);
      }
    }
    if (out.length + work.length > MAX_BRACE_EXPANSION) {
      throw new Error(`glob pattern expands to more than ${MAX_BRACE_EXPANSION} alternatives: ${pattern}`);
    }
  }
  return [...new Set(out)];
}

/** Find the first `{...}` group with a top-level comma; return its bounds and alternatives. */
function findBrace(p: string): { open: number; close: number; alternatives: string[] } | null {
  for (let start = 0; start < p.length; start++) {
    const ch = p[start];
    if (ch === '\\') {
      start++;
      continue;
    }
    if (ch !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let i = start; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) {
          close = i;
          break;
        }
      } else if (c === ',' && depth === 1) commas.push(i);
    }
    if (close < 0) return null; // unbalanced: the rest is literal
    if (commas.length === 0) continue; // `{x}`: literal, look for a later group
    const alternatives: string[] = [];
    let from = start + 1;
    for (const c of commas) {
      alternatives.push(p.slice(from, c));
      from = c + 1;
    }
    alternatives.push(p.slice(from, close));
    return { open: start, close, alternatives };
  }
  return null;
}

/** Remove backslash escapes. */
export function unescapeGlob(s: string): string {
  return s.replace(/\\(.)/gs, '$1');
}

function compileSegment(seg: string): SegmentMatcher {
  if (seg === '**') return { globstar: true, literal: null, tokens: [] };
  const tokens: Token[] = [];
  let wild = false;
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '\\' && i + 1 < seg.length) {
      tokens.push({ kind: 'lit', ch: seg[++i]! });
    } else if (ch === '*') {
      wild = true;
      // Collapse runs of stars (`a**b` within a segment is just `a*b`).
      if (tokens.length === 0 || tokens[tokens.length - 1]!.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (ch === '?') {
      wild = true;
      tokens.push({ kind: 'any' });
    } else if (ch === '[') {
      const cls = parseClass(seg, i);
      if (cls) {
        wild = true;
        tokens.push(cls.token);
        i = cls.end;
      } else {
        tokens.push({ kind: 'lit', ch });
      }
    } else {
      tokens.push({ kind: 'lit', ch });
    }
  }
  const literal = wild ? null : tokens.map((t) => (t as { ch: string }).ch).join('');
  return { globstar: false, literal, tokens };
}

function parseClass(seg: string, open: number): { token: Token; end: number } | null {
  let i = open + 1;
  let negate = false;
  if (seg[i] === '!' || seg[i] === '^') {
    negate = true;
    i++;
  }
  const items: Array<[string, string]> = [];
  let first = true;
  for (; i < seg.length; i++) {
    let ch = seg[i]!;
    if (ch === ']' && !first) return { token: { kind: 'class', negate, items }, end: i };
    first = false;
    if (ch === '\\' && i + 1 < seg.length) ch = seg[++i]!;
    if (seg[i + 1] === '-' && i + 2 < seg.length && seg[i + 2] !== ']') {
      let hi = seg[i + 2]!;
      i += 2;
      if (hi === '\\' && i + 1 < seg.length) hi = seg[++i]!;
      items.push([ch, hi]);
    } else {
      items.push([ch, ch]);
    }
  }
  return null; // no closing bracket: `[` is literal
}

function tokenMatches(t: Token, ch: string): boolean {
  switch (t.kind) {
    case 'lit':
      return t.ch === ch;
    case 'any':
      return true;
    case 'class': {
      let hit = false;
      for (const [lo, hi] of t.items) {
        if (ch >= lo && ch <= hi) {
          hit = true;
          break;
        }
      }
      return hit !== t.negate;
    }
    case 'star':
      return false;
  }
}

/** Match one path segment (no `/` inside). Linear-backtracking star algorithm, no recursion. */
function matchSegment(m: SegmentMatcher, s: string): boolean {
  if (m.literal !== null) return m.literal === s;
  const toks = m.tokens;
  // Dot files are only matched by a pattern that starts with a literal dot.
  if (s.startsWith('.')) {
    const t0 = toks[0];
    if (!t0 || t0.kind !== 'lit' || t0.ch !== '.') return false;
  }
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const t = toks[ti];
    if (t !== undefined && t.kind === 'star') {
      starTi = ti++;
      starSi = si;
    } else if (t !== undefined && tokenMatches(t, s[si]!)) {
      ti++;
      si++;
    } else if (starTi >= 0) {
      ti = starTi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (ti < toks.length && toks[ti]!.kind === 'star') ti++;
  return ti === toks.length;
}

/** A compiled glob (one brace alternative), relative to a literal base directory. */
export interface CompiledGlob {
  /** The absolute, normalised pattern text (after brace expansion). */
  source: string;
  /** Absolute literal directory prefix: the directory to watch. */
  base: string;
  /** Segment matchers for the part below `base`; empty for a literal file path. */
  segments: SegmentMatcher[];
  /** True if a `**` segment occurs (unbounded depth). */
  recursive: boolean;
  /** For literal patterns: the absolute file path. */
  literalPath: string | null;
}

/**
 * Compile a file path or glob pattern. Relative patterns are resolved against `cwd`.
 * Returns one compiled glob per brace alternative.
 */
export function compileGlob(pattern: string, cwd: string = process.cwd()): CompiledGlob[] {
  if (pattern.length === 0) throw new Error('empty path pattern');
  return expandBraces(pattern).map((p) => compileOne(p, cwd));
}

function compileOne(pattern: string, cwd: string): CompiledGlob {
  const abs = pattern.startsWith('/') ? pattern : cwd.replace(/\/+$/, '') + '/' + pattern;
  const rawSegs = abs.split('/').filter((s) => s.length > 0 && s !== '.');
  // Resolve `..` only within the literal prefix (patterns after a wildcard keep it literally).
  const baseSegs: string[] = [];
  let i = 0;
  for (; i < rawSegs.length; i++) {
    const seg = rawSegs[i]!;
    if (hasGlobChars(seg)) break;
    if (seg === '..') baseSegs.pop();
    else baseSegs.push(unescapeGlob(seg));
  }
  const rest = rawSegs.slice(i);
  if (rest.length === 0) {
    const literalPath = '/' + baseSegs.join('/');
    return {
      source: literalPath,
      base: path.posix.dirname(literalPath),
      segments: [],
      recursive: false,
      literalPath,
    };
  }
  const segments: SegmentMatcher[] = [];
  for (const seg of rest) {
    const m = compileSegment(seg);
    // `**/**` is the same as `**`.
    if (m.globstar && segments.length > 0 && segments[segments.length - 1]!.globstar) continue;
    segments.push(m);
  }
  const base = '/' + baseSegs.join('/');
  return {
    source: path.posix.join(base, rest.join('/')),
    base,
    segments,
    recursive: segments.some((s) => s.globstar),
    literalPath: null,
  };
}

/** Split an absolute path below `base` into segments; null if not strictly below base. */
function relativeSegments(base: string, p: string): string[] | null {
  const prefix = base === '/' ? '/' : base + '/';
  if (!p.startsWith(prefix)) return null;
  const rel = p.slice(prefix.length);
  if (rel.length === 0) return null;
  return rel.split('/').filter((s) => s.length > 0);
}

/** Does the absolute (normalised) path `p` match the compiled glob? */
export function globMatches(g: CompiledGlob, p: string): boolean {
  if (g.literalPath !== null) return p === g.literalPath;
  const segs = relativeSegments(g.base, p);
  if (!segs) return false;
  return matchSegments(g.segments, segs, false);
}

/**
 * Could the directory `dir` (absolute, normalised) contain files matching the glob?
 * True for `base` itself and for directories on a possible match path.
 */
export function globCouldContain(g: CompiledGlob, dir: string): boolean {
  if (dir === g.base) return true;
  if (g.literalPath !== null) return false;
  const segs = relativeSegments(g.base, dir);
  if (!segs) return false;
  return matchSegments(g.segments, segs, true);
}

/**
 * Memoised match of segment patterns against path segments. With `prefix`, succeed if all of
 * `segs` can be consumed while at least one pattern segment could still match something below.
 */
function matchSegments(pats: SegmentMatcher[], segs: string[], prefix: boolean): boolean {
  const memo = new Map<number, boolean>();
  const width = segs.length + 1;
  const rec = (pi: number, si: number): boolean => {
    const key = pi * width + si;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let res: boolean;
    if (si === segs.length) {
      if (prefix) {
        // Something must remain that can match at least one more segment.
        res = pi < pats.length;
      } else {
        let k = pi;
        while (k < pats.length && pats[k]!.globstar) k++;
        res = k === pats.length;
      }
    } else if (pi === pats.length) {
      res = false;
    } else {
      const pat = pats[pi]!;
      if (pat.globstar) {
        // Zero segments, or swallow one (not a dot directory) and stay on `**`.
        res = rec(pi + 1, si) || (!segs[si]!.startsWith('.') && rec(pi, si + 1));
      } else {
        res = matchSegment(pat, segs[si]!) && rec(pi + 1, si + 1);
      }
    }
    memo.set(key, res);
    return res;
  };
  return rec(0, 0);
}

/** Maximum depth below `base` that the glob can reach (segments - 1), or undefined if unbounded. */
export function globDepth(g: CompiledGlob): number | undefined {
  if (g.literalPath !== null) return 0;
  if (g.recursive) return undefined;
  return g.segments.length - 1;
}
