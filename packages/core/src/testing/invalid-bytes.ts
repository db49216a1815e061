/**
 * "Bytes are not an escape hatch": a filter must give the same answer when the fields an attacker
 * writes (user names, Host and Referer headers, …) carry bytes that are not UTF-8. The sample log is
 * checked twice — as written, and with random invalid bytes inserted into every such field of every
 * line — and the second run must find the same hosts at the same times, with the user names as
 * decoded (U+FFFD for each invalid byte). Addresses are never touched: they are ours to validate.
 */
import type { FilterDefinition } from '../filter/types.js';
import { checkAnnotatedLog, type AnnotatedCheckOptions, type AnnotatedReport } from './annotated-check.js';
import type { AnnotatedLine } from './annotated.js';

/** Byte sequences that are never valid UTF-8 wherever they are inserted between two characters. */
const INVALID: readonly (readonly number[])[] = [
  [0xff],
  [0xfe],
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1],
  [0xe9],
  [0xf5],
  [0xed, 0xa0, 0x80],
  [0xf0, 0x9f],
  [0xe9, 0x74, 0xe9],
];

/** Captures that hold text the client chose (and not evidence such as a method or a count). */
const FREE_TEXT_CAPTURES = ['user', 'ruser'];

/**
 * Attacker-written fields that filters read around, never as evidence: the Host and Referer headers
 * nginx repeats in its error log (group 1 is the field's value).
 */
const FREE_TEXT_FIELDS: readonly RegExp[] = [/, host: "([^"]+)"/g, /, referrer: "([^"]+)"/g];

export interface InvalidBytesOptions extends AnnotatedCheckOptions {
  /** Rounds, each with other bytes at other places (default 3). */
  rounds?: number;
  /** More attacker-written fields of this filter's lines: group 1 of each match gets bytes too. */
  fields?: readonly RegExp[];
}

export interface InvalidBytesReport {
  /** The run on the sample log as written. */
  plain: AnnotatedReport;
  /** How many lines had bytes inserted (over all rounds). */
  mutated: number;
  /** Lines whose answer changed: `file:line round n: problem`, with the mutated line. */
  differences: string[];
}

export function checkInvalidBytes(def: FilterDefinition, file: string, opts: InvalidBytesOptions = {}): InvalidBytesReport {
  const plain = checkAnnotatedLog(def, file, opts);
  const captures = freeTextCaptures(plain);
  const plainOk = new Set(plain.results.filter((r) => r.ok).map((r) => `${r.file}:${r.lineNo}:${JSON.stringify(r.run)}`));
  const fields = opts.fields ?? [];
  const differences: string[] = [];
  let mutated = 0;
  for (let round = 0; round < (opts.rounds ?? 3); round++) {
    const shown = new Map<string, string>();
    const report = checkAnnotatedLog(def, file, {
      ...opts,
      rewrite: (line) => {
        const out = injectInvalidBytes(line, freeTextRanges(line, captures, fields), round);
        if (out === undefined) return undefined;
        mutated++;
        shown.set(`${line.file}:${line.lineNo}`, out.bytes.toString('utf8'));
        return out;
      },
    });
    for (const r of report.results) {
      // Only what the plain run got right is compared (its own test reports the rest).
      if (r.ok || !plainOk.has(`${r.file}:${r.lineNo}:${JSON.stringify(r.run)}`)) continue;
      const text = shown.get(`${r.file}:${r.lineNo}`) ?? r.text;
      differences.push(`${r.file.split('/').pop()}:${r.lineNo} round ${round} ${JSON.stringify(r.run)}: ${r.problems.join('; ')}\n    ${JSON.stringify(text)}`);
    }
  }
  return { plain, mutated, differences };
}

/**
 * The free-text captures (user names) each annotated line yields as written, by `file:line`: where
 * an attacker's text is, whatever the mode.
 */
export function freeTextCaptures(report: AnnotatedReport): Map<string, Set<string>> {
  const captures = new Map<string, Set<string>>();
  for (const r of report.results) {
    for (const f of r.failures) {
      for (const name of FREE_TEXT_CAPTURES) {
        const v = f.captures[name];
        if (typeof v !== 'string' || v === '') continue;
        const key = `${r.file}:${r.lineNo}`;
        if (!captures.has(key)) captures.set(key, new Set());
        captures.get(key)!.add(v);
      }
    }
  }
  return captures;
}

/**
 * Character ranges [start, end) of a line's attacker-written fields, sorted, not overlapping, never
 * containing the annotated address: its free-text captures (a value that occurs once in the line),
 * the Host/Referer headers, and group 1 of every match of `fields`.
 */
export function freeTextRanges(line: AnnotatedLine, captures: ReadonlyMap<string, ReadonlySet<string>>, fields: readonly RegExp[] = []): [number, number][] {
  const text = line.text;
  const host = line.annotation?.host;
  const ranges: [number, number][] = [];
  const add = (start: number, end: number) => {
    if (end <= start) return;
    if (host && text.slice(start, end).includes(host)) return;
    if (ranges.some(([s, e]) => start < e && s < end)) return;
    ranges.push([start, end]);
  };
  for (const v of captures.get(`${line.file}:${line.lineNo}`) ?? []) {
    const at = text.indexOf(v);
    // Only a value that occurs once: changing the wrong occurrence tests nothing.
    if (at >= 0 && text.indexOf(v, at + 1) < 0) add(at, at + v.length);
  }
  for (const re of [...FREE_TEXT_FIELDS, ...fields]) {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    for (const m of text.matchAll(g)) {
      if (m[1] === undefined || m.index === undefined) continue;
      const start = m.index + m[0].indexOf(m[1]);
      add(start, start + m[1].length);
    }
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

/**
 * The line with invalid bytes inserted into each free-text field (the same value gets the same bytes
 * within a round, so reducers that join lines by user still join them), and the annotation with the
 * user name as it now decodes. Undefined when the line has no such field.
 */
function injectInvalidBytes(
  line: AnnotatedLine,
  ranges: [number, number][],
  round: number,
): { bytes: Buffer; annotation?: AnnotatedLine['annotation'] } | undefined {
  const text = line.text;
  const parts: Buffer[] = [];
  const users = new Map<string, string>();
  let from = 0;
  for (const [start, end] of ranges) {
    const value = text.slice(start, end);
    const rand = prng(hash(`${round}:${value}`));
    // A character boundary inside the value (or at its ends), never inside a surrogate pair.
    let at = start + Math.floor(rand() * (end - start + 1));
    if (at > start && at < end && isLowSurrogate(text.charCodeAt(at))) at--;
    const bytes = Buffer.from(INVALID[Math.floor(rand() * INVALID.length)]!);
    parts.push(Buffer.from(text.slice(from, at), 'utf8'), bytes);
    from = at;
    const mutatedValue = Buffer.concat([Buffer.from(text.slice(start, at), 'utf8'), bytes, Buffer.from(text.slice(at, end), 'utf8')]);
    users.set(value, mutatedValue.toString('utf8'));
  }
  parts.push(Buffer.from(text.slice(from), 'utf8'));
  const a = line.annotation;
  const user = a?.extra.user;
  const annotation = a && typeof user === 'string' && users.has(user) ? { ...a, extra: { ...a.extra, user: users.get(user) } } : a;
  return { bytes: Buffer.concat(parts), annotation };
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** mulberry32: small, seeded, so a failing case is the same case on the next run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
