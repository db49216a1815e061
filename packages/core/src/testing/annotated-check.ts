/**
 * Checks a filter against annotated sample logs (see annotated.ts): the host, time, user and — where
 * an annotation gives it — the number of attempts of every annotated line. Used by every filter
 * package's tests (through `testFilterPackage`) and by `f2b test-filter --annotated`.
 */
import { EntryParser } from '../entry.js';
import { FilterRunner } from '../filter/engine.js';
import type { FilterDefinition } from '../filter/types.js';
import { makeZonedTime } from '../dates.js';
import { normalizeIp } from '../ip.js';
import type { Failure } from '../types.js';
import { evaluateConstraint, parseAnnotatedLog, type AnnotatedLine, type Annotation } from './annotated.js';

export interface AnnotatedCheckOptions {
  /** "Now" for year inference, epoch ms (fail2ban's samples use 2005-08-14T12:00:00+02:00). */
  now?: number;
  /** Zone of dates without offset, and of the annotations' times. */
  timezone?: string;
  /** Run only this mode (otherwise the modes the file's option sets name). */
  mode?: string;
  options?: Record<string, unknown>;
  /**
   * Compare the attempts a line adds up to with its annotation's `attempts` (default true). Off for
   * fail2ban's own samples, whose `attempts` count fail2ban's ticket, not authentication attempts.
   */
  attempts?: boolean;
  /**
   * Replace a line before it is parsed (its bytes, and the annotation to compare with), e.g. to
   * insert invalid bytes; undefined keeps the line as written.
   */
  rewrite?: (line: AnnotatedLine) => { bytes: Buffer; annotation?: AnnotatedLine['annotation'] } | undefined;
}

export interface LineResult {
  file: string;
  lineNo: number;
  text: string;
  /** The option set it ran with. */
  run: Record<string, unknown>;
  ok: boolean;
  problems: string[];
  failures: Failure[];
  /** The rule that matched the line (an `info` rule too), if any. */
  rule?: string;
}

export interface AnnotatedReport {
  total: number;
  right: number;
  results: LineResult[];
  /** Lines whose option set could not run (unknown mode), counted as wrong. */
  skippedReasons: string[];
}

export const FAIL2BAN_SAMPLE_NOW = Date.parse('2005-08-14T12:00:00+02:00');

export function checkAnnotatedLog(def: FilterDefinition, file: string, opts: AnnotatedCheckOptions = {}): AnnotatedReport {
  const now = opts.now ?? Date.now();
  const timezone = opts.timezone;
  const results: LineResult[] = [];
  const skippedReasons: string[] = [];
  for (const block of parseAnnotatedLog(file)) {
    for (const set of block.optionSets) {
      const run = opts.mode ? { ...set, mode: opts.mode } : set;
      const condition = run['test.condition'];
      if (typeof condition === 'string' && !evaluateConstraint(condition, { name: def.id, opts: run })) continue;
      const mode = typeof run.mode === 'string' ? run.mode : undefined;
      let runner: FilterRunner;
      try {
        runner = new FilterRunner(def, { mode, options: opts.options });
      } catch (err) {
        skippedReasons.push(`${file}: ${(err as Error).message}`);
        for (const line of block.lines.filter((l) => l.annotation)) {
          results.push({ file: line.file, lineNo: line.lineNo, text: line.text, run, ok: false, problems: [(err as Error).message], failures: [] });
        }
        continue;
      }
      const logtype = run.logtype;
      const parser = new EntryParser({ timezone, now: () => now, format: logtype === 'journal' ? 'journal-line' : 'text' });
      const prefix = typeof run['test.prefix-line'] === 'string' ? run['test.prefix-line'] : '';
      for (const line of block.lines) {
        const rewritten = opts.rewrite?.(line);
        const bytes = rewritten ? Buffer.concat([Buffer.from(prefix, 'utf8'), rewritten.bytes]) : Buffer.from(prefix + line.text, 'utf8');
        const entry = parser.parse(bytes, line.file);
        const rule = runner.match(entry, now)?.rule.id;
        const failures = runner.process(entry, now);
        const a = rewritten ? rewritten.annotation : line.annotation;
        if (!a) continue;
        if (a.constraint && !evaluateConstraint(a.constraint, { name: def.id, opts: run })) continue;
        const problems = compare(a, failures, timezone, opts.attempts ?? true);
        results.push({ file: line.file, lineNo: line.lineNo, text: line.text, run, ok: problems.length === 0, problems, failures, rule });
      }
    }
  }
  return { total: results.length, right: results.filter((r) => r.ok).length, results, skippedReasons };
}

function compare(a: Annotation, failures: Failure[], timezone: string | undefined, checkAttempts: boolean): string[] {
  if (!a.match) {
    return failures.length === 0 ? [] : [`expected no match, got ${failures.map((f) => `${f.id} (${f.rule})`).join(', ')}`];
  }
  if (failures.length === 0) return ['expected a match, got none'];
  const problems: string[] = [];
  const f = a.host ? failures.find((x) => sameHost(x.id, a.host!)) : failures[0]!;
  if (!f) return [`expected host ${a.host}, got ${failures.map((x) => x.id).join(', ')}`];
  if (a.time) {
    const expected = parseAnnotationTime(a.time, timezone);
    if (Math.floor(f.time / 1000) !== Math.floor(expected / 1000)) {
      problems.push(`expected time ${a.time}, got ${new Date(f.time).toISOString()}`);
    }
  }
  const user = a.extra.user;
  if (typeof user === 'string' && f.captures.user !== user) problems.push(`expected user ${JSON.stringify(user)}, got ${JSON.stringify(f.captures.user)}`);
  // What the line adds to the count, over all its failures: a line that completes an attempt begun
  // by earlier lines counts 1, one whose attempt was already counted 0 (see FailureDraft.attempts).
  const attempts = a.extra.attempts;
  if (checkAttempts && typeof attempts === 'number') {
    const got = failures.reduce((n, x) => n + x.attempts, 0);
    if (got !== attempts) problems.push(`expected ${attempts} attempts, got ${got} (${failures.map((x) => `${x.id} ${x.rule}: ${x.attempts}`).join(', ')})`);
  }
  return problems;
}

function sameHost(actual: string, expected: string): boolean {
  return actual === expected || actual === (normalizeIp(expected) ?? expected.toLowerCase());
}

/** `2005-06-21T16:47:48[.123][offset]`: zone-less times are in `timezone` (fail2ban's samples: CET/CEST). */
export function parseAnnotationTime(text: string, timezone?: string): number {
  // fail2ban's samples also write one-digit days and months (`2005-03-7T02:09:33`).
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return Number.NaN;
  if (m[8]) return Date.parse(`${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}T${m[4]}:${m[5]}:${m[6]}${m[7] ? `.${m[7]}` : ''}${m[8]}`);
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return makeZonedTime(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms, timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
}
