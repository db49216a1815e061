/**
 * Names the regular-expression construct that RE2 rejects in a pattern, for an error a person can act
 * on: RE2 guarantees linear time by leaving out everything that needs backtracking, and its own
 * messages (`invalid perl operator: (?=`) do not say that this is why.
 */
import { classEnd } from './character-class.js';

interface Construct {
  readonly re: RegExp;
  readonly name: string;
  readonly fix: string;
}

const CONSTRUCTS: readonly Construct[] = [
  { re: /\(\?=/, name: 'lookahead', fix: 'match the text itself, or use --ignore-pattern for lines to leave out' },
  { re: /\(\?!/, name: 'negative lookahead', fix: 'use --ignore-pattern (a filter: a second rule or an `info` rule) for the lines to leave out' },
  { re: /\(\?<[=!]/, name: 'lookbehind', fix: 'match the preceding text as part of the pattern' },
  { re: /\\[1-9]|\\k<|\(\?P=/, name: 'backreference', fix: 'match the repeated text with its own character class, e.g. [^ ]+' },
  { re: /\(\?>/, name: 'atomic group', fix: 'write it as a plain group (?:…): RE2 never backtracks anyway' },
  { re: /(?:[*+?}])\+/, name: 'possessive quantifier', fix: 'drop the extra + (RE2 never backtracks anyway)' },
  { re: /\(\?\(/, name: 'conditional group', fix: 'write two patterns, one for each case' },
  { re: /\(\?(?:R|[0-9]+|&[A-Za-z_])\)/, name: 'recursion', fix: 'RE2 matches no nested structures; match a bounded form instead' },
  { re: /\\G/, name: '\\G anchor', fix: 'anchor with ^ instead' },
  { re: /\\Z/, name: '\\Z anchor', fix: 'use $ (or \\z)' },
];

/** The first construct RE2 does not support in `pattern` (outside character classes), or null. */
export function unsupportedConstruct(pattern: string): { construct: string; text: string; fix: string } | null {
  const plain = withoutClasses(pattern);
  let best: { at: number; c: Construct; text: string } | null = null;
  for (const c of CONSTRUCTS) {
    const m = c.re.exec(plain);
    if (m && (!best || m.index < best.at)) best = { at: m.index, c, text: m[0] };
  }
  if (!best) return null;
  const name = best.text === '(?<!' ? 'negative lookbehind' : best.c.name;
  return { construct: name, text: best.text, fix: best.c.fix };
}

/** The pattern with escapes kept, escaped backslashes and character classes blanked (`[(?=]` is three literals). */
function withoutClasses(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    // An escaped backslash is a literal and starts nothing; other escapes are kept (`\1`, `\G`).
    if (c === '\\') {
      out += source[i + 1] === '\\' ? '  ' : c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '[') {
      const j = classEnd(source, i);
      out += ' '.repeat(Math.min(j, source.length - 1) - i + 1);
      i = j;
      continue;
    }
    out += c;
  }
  return out;
}
