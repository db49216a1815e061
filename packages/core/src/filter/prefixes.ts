/**
 * The literal text a pattern's matches must start with, read from the pattern itself: the
 * dispatcher (dispatch.ts) compares these in JS against a message's first bytes, so a line only
 * reaches the one or two rules that can match it, and a line no rule can match costs no RE2 call.
 *
 * A tiny reader of the RE2 syntax our patterns use. It only needs to be sound, not complete: every
 * match of the pattern starts with one of the prefixes returned. Anything it does not follow (a
 * class, a repetition, an inline flag) ends a prefix there; a pattern it cannot read at all, or
 * one not anchored with `^`, gives null (the rule is tried on every line).
 */
import { classEnd } from './character-class.js';

type Item = { kind: 'char'; ch: string; min: number; max: number } | { kind: 'group'; alts: Item[][]; min: number; max: number } | { kind: 'other' };

/** How long a prefix may grow (longer ones add nothing to dispatch) and how many a pattern may have. */
const MAX_PREFIX = 32;
const MAX_PREFIXES = 24;

class Unreadable extends Error {}

/** Escapes that stand for one literal character. */
const LITERAL_ESCAPES = new Set([
  '.',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '*',
  '+',
  '?',
  '|',
  '^',
  '$',
  '\\',
  '/',
  '-',
  ':',
  '"',
  "'",
  ' ',
  '<',
  '>',
  '=',
  '!',
  '@',
  '#',
  '%',
  '&',
  ',',
  ';',
  '_',
  '~',
]);

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  alternatives(): Item[][] {
    const alts: Item[][] = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts;
  }

  private sequence(): Item[] {
    const items: Item[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items;
  }

  private atom(): Item {
    const s = this.s;
    const c = s[this.i]!;
    if (c === '\\') {
      const e = s[this.i + 1];
      this.i += 2;
      if (e !== undefined && LITERAL_ESCAPES.has(e)) return { kind: 'char', ch: e, min: 1, max: 1 };
      if (e === 'x' || e === 'p' || e === 'P') throw new Unreadable();
      return { kind: 'other' };
    }
    if (c === '[') {
      let j = this.i + 1;
      if (s[j] === '^') j++;
      if (s[j] === ']') j++;
      while (j < s.length && s[j] !== ']') {
        if (s[j] === '[' && s[j + 1] === ':') {
          const end = s.indexOf(':]', j + 2);
          if (end < 0) throw new Unreadable();
          j = end + 2;
          continue;
        }
        j += s[j] === '\\' ? 2 : 1;
      }
      if (j >= s.length) throw new Unreadable();
      this.i = j + 1;
      return { kind: 'other' };
    }
    if (c === '(') {
      if (s[this.i + 1] === '?') {
        // Only non-capturing groups; flags (`(?i)`, `(?i:`) change how literals match: give up.
        if (s[this.i + 2] !== ':') throw new Unreadable();
        this.i += 3;
      } else {
        this.i++;
      }
      const alts = this.alternatives();
      if (s[this.i] !== ')') throw new Unreadable();
      this.i++;
      return { kind: 'group', alts, min: 1, max: 1 };
    }
    this.i++;
    // Zero-width `^`/`$` (the leading `^`s were taken off) and `.` end a prefix.
    if (c === '.' || c === '^' || c === '$') return { kind: 'other' };
    if (c === '*' || c === '+' || c === '?' || c === '{') throw new Unreadable();
    return { kind: 'char', ch: c, min: 1, max: 1 };
  }

  private quantified(atom: Item): Item {
    const s = this.s;
    const q = s[this.i];
    let min: number, max: number;
    if (q === '*') {
      min = 0;
      max = Infinity;
      this.i++;
    } else if (q === '+') {
      min = 1;
      max = Infinity;
      this.i++;
    } else if (q === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (q === '{') {
      const m = /^\{([0-9]+)(,([0-9]*))?\}/.exec(s.slice(this.i));
      if (!m) throw new Unreadable();
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    } else {
      return atom;
    }
    if (s[this.i] === '?') this.i++; // lazy: same set of matches
    if (atom.kind === 'other') return atom;
    return { ...atom, min, max };
  }
}

/**
 * The prefixes of `items[from..]` after `acc`: `open` ones may still grow (the
 * sequence ended), closed ones stopped at something that is not a literal.
 */
function prefixesOf(items: readonly Item[], from: number, acc: string): { text: string; open: boolean }[] {
  if (acc.length >= MAX_PREFIX) return [{ text: acc, open: false }];
  if (from === items.length) return [{ text: acc, open: true }];
  const item = items[from]!;
  if (item.kind === 'other') return [{ text: acc, open: false }];
  // An exactly-once item continues the prefix; an optional one (`?`) forks it; any other count ends it
  // (after the required repetitions of a single character, which are still literal).
  if (item.kind === 'char') {
    if (item.min === 1 && item.max === 1) return prefixesOf(items, from + 1, acc + item.ch);
    if (item.min === 0 && item.max === 1) return [...prefixesOf(items, from + 1, acc + item.ch), ...prefixesOf(items, from + 1, acc)];
    return [{ text: acc + item.ch.repeat(Math.min(item.min, MAX_PREFIX)), open: false }];
  }
  if (item.max !== 1 || item.min > 1) return [{ text: acc, open: false }];
  const out: { text: string; open: boolean }[] = [];
  for (const alt of item.alts) {
    for (const p of prefixesOf(alt, 0, acc)) {
      if (p.open) out.push(...prefixesOf(items, from + 1, p.text));
      else out.push(p);
      if (out.length > MAX_PREFIXES * 4) throw new Unreadable();
    }
  }
  if (item.min === 0) out.push(...prefixesOf(items, from + 1, acc));
  return out;
}

/**
 * The literal prefixes every match of `source` (an expanded RE2 pattern) starts with, none a prefix
 * of another; null when the pattern is not anchored or can start with anything.
 */
export function literalPrefixes(source: string): string[] | null {
  const body = stripAnchors(source);
  if (body === null) return null;
  try {
    const reader = new Reader(body);
    const alts = reader.alternatives();
    if (reader.i !== body.length) return null;
    const found = new Set<string>();
    for (const alt of alts) for (const p of prefixesOf(alt, 0, '')) found.add(p.text);
    const all = [...found];
    if (all.length === 0 || all.length > MAX_PREFIXES || all.some((p) => p.length === 0)) return null;
    // A prefix that another one extends is implied by it: the shorter is the condition.
    return all.filter((p) => !all.some((q) => q !== p && p.startsWith(q)));
  } catch (err) {
    if (err instanceof Unreadable) return null;
    throw err;
  }
}

/** `source` without its leading `^` when every top-level alternative has one, else null. */
export function stripAnchors(source: string): string | null {
  // Split at top-level `|` (outside groups and classes).
  const parts: string[] = [];
  let depth = 0,
    from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const j = classEnd(source, i);
      i = j;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(source.slice(from));
  if (!parts.every((p) => p.startsWith('^'))) return null;
  return parts.map((p) => p.slice(1)).join('|');
}
