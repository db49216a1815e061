/**
 * A RuleTester for filters (ESLint's `RuleTester` is the model): a filter and lists of log lines it
 * must leave alone (`valid`) and lines it must count (`invalid`, with the source to blame, how many
 * attempts, the captures). Each case becomes one test on the global `describe`/`it` — or on the
 * runner's, set once through the static hooks — and a wrong answer fails with the lines, what was
 * expected and every failure the filter reported.
 *
 *   import { describe, it } from 'vitest';
 *   FilterTester.describe = describe; FilterTester.it = it;
 *   FilterTester.run(sshdFilter, {
 *     valid: ['Jan  5 01:31:42 www sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2'],
 *     invalid: [{ line: 'Jan  5 01:31:41 www sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
 *                 id: '192.0.2.1', attempts: 1, captures: { user: 'root' } }],
 *   });
 */
import { AssertionError } from 'node:assert';
import { EntryParser } from '../entry.js';
import { FilterRunner } from '../filter/engine.js';
import type { FilterDefinition } from '../filter/types.js';
import { normalizeIp } from '../ip.js';
import type { Failure } from '../types.js';
import { parseAnnotationTime } from './annotated-check.js';

/** `describe`/`it` as every test runner has them (vitest, jest, mocha, node:test). */
export type DescribeFn = (name: string, fn: () => void) => unknown;
export type ItFn = (name: string, fn: () => void) => unknown;

/** Settings shared by the cases of one tester; each case may override mode, options and logtype. */
export interface FilterTesterConfig {
  /** "Now" for year inference and undated lines, epoch ms (default 2024-12-31T12:00:00Z). */
  now?: number;
  /** Zone of dates without offset, and of `time` expectations (default UTC). */
  timezone?: string;
  mode?: string;
  options?: Record<string, unknown>;
  /** `text` (a log file line, the default) or `journal` (`host ident[pid]: message`). */
  logtype?: 'text' | 'journal';
}

interface CaseBase {
  /** Test title (default: the lines). */
  name?: string;
  /**
   * One line, or the lines of one connection fed in order through one runner. A Buffer is fed as
   * it is (bytes that are not UTF-8); a string as UTF-8.
   */
  line: LineInput | readonly LineInput[];
  mode?: string;
  options?: Record<string, unknown>;
  logtype?: 'text' | 'journal';
  /** Run only this case (the runner's `it.only`). */
  only?: boolean;
}

/** Lines the filter must not report at all (not even with 0 attempts). */
export type ValidCase = string | CaseBase;

/** One failure as expected; fields left out are not compared. */
export interface ExpectedFailure {
  id?: string;
  attempts?: number;
  rule?: string;
  /** Must be contained in the failure's captures (other captures are allowed). */
  captures?: Record<string, string>;
}

/** Lines the filter must count. */
export interface InvalidCase extends CaseBase {
  /** The source every failure must blame (an address is compared normalised). */
  id?: string;
  /**
   * Attempts the lines add up to: a number (default 1), or per source — then exactly these sources
   * may be reported (`{ '192.0.2.1': 3, '198.51.100.2': 0 }`).
   */
  attempts?: number | Record<string, number>;
  /** Contained in the captures of the first failure that counts an attempt (or the first failure). */
  captures?: Record<string, string>;
  /** The rule of that failure. */
  rule?: string;
  /** Its time: epoch ms, or `2024-03-10T10:00:00[offset]` (zone-less: in the timezone). */
  time?: number | string;
  /** Every failure, in order (instead of or beside the shorthand above). */
  failures?: readonly ExpectedFailure[];
}

export type LineInput = string | Buffer;

export interface FilterTests {
  valid: readonly ValidCase[];
  invalid: readonly InvalidCase[];
}

const DEFAULT_NOW = Date.parse('2024-12-31T12:00:00Z');

// The runner's hooks. Without a global `describe`/`it` (vitest without `globals`, a plain script),
// cases run at once and a wrong one throws, as ESLint's RuleTester does.
let describeHook: DescribeFn | undefined;
let itHook: ItFn | undefined;
let itOnlyHook: ItFn | undefined;
type Globals = { describe?: DescribeFn; it?: ItFn & { only?: ItFn } };
const globals = () => globalThis as Globals;

export class FilterTester {
  static get describe(): DescribeFn {
    return describeHook ?? globals().describe ?? ((_name, fn) => fn());
  }
  static set describe(fn: DescribeFn) {
    describeHook = fn;
  }
  static get it(): ItFn {
    return itHook ?? globals().it ?? ((_name, fn) => fn());
  }
  static set it(fn: ItFn) {
    itHook = fn;
  }
  static get itOnly(): ItFn {
    if (itOnlyHook) return itOnlyHook;
    const only = (itHook as { only?: ItFn } | undefined)?.only ?? globals().it?.only;
    if (!only) throw new TypeError('FilterTester: a case has `only: true`, but the runner has no `it.only`: set FilterTester.itOnly.');
    return only;
  }
  static set itOnly(fn: ItFn) {
    itOnlyHook = fn;
  }

  /** `new FilterTester().run(def, tests)`: default settings. */
  static run(def: FilterDefinition, tests: FilterTests): void {
    new FilterTester().run(def, tests);
  }

  constructor(private readonly config: FilterTesterConfig = {}) {}

  run(def: FilterDefinition, tests: FilterTests): void {
    if (!tests || !Array.isArray(tests.valid) || !Array.isArray(tests.invalid)) {
      throw new TypeError(`FilterTester.run(${JSON.stringify(def?.id)}): give { valid: [...], invalid: [...] } (both lists, empty ones too).`);
    }
    const seen = new Set<string>();
    const once = (kind: string, c: unknown) => {
      const key = `${kind} ${JSON.stringify(c)}`;
      if (seen.has(key)) throw new TypeError(`FilterTester.run(${JSON.stringify(def.id)}): a ${kind} case is listed twice: ${JSON.stringify(c)}.`);
      seen.add(key);
    };
    FilterTester.describe(def.id, () => {
      // An empty list gets no suite: runners fail a suite without tests.
      if (tests.valid.length > 0) {
        FilterTester.describe('valid', () => {
          for (const raw of tests.valid) {
            const c = typeof raw === 'string' ? { line: raw } : raw;
            once('valid', c);
            this.it(c, () => this.checkValid(def, c));
          }
        });
      }
      if (tests.invalid.length > 0) {
        FilterTester.describe('invalid', () => {
          for (const c of tests.invalid) {
            once('invalid', c);
            this.it(c, () => this.checkInvalid(def, c));
          }
        });
      }
    });
  }

  private it(c: CaseBase, fn: () => void): void {
    (c.only ? FilterTester.itOnly : FilterTester.it)(c.name ?? title(c.line), fn);
  }

  /** Feed the case's lines through one runner, as a jail does. */
  private feed(def: FilterDefinition, c: CaseBase): Failure[] {
    const now = this.config.now ?? DEFAULT_NOW;
    const runner = new FilterRunner(def, { mode: c.mode ?? this.config.mode, options: c.options ?? this.config.options });
    const logtype = c.logtype ?? this.config.logtype ?? 'text';
    const parser = new EntryParser({ timezone: this.config.timezone ?? 'UTC', now: () => now, format: logtype === 'journal' ? 'journal-line' : 'text' });
    return linesOf(c).flatMap((l) => runner.process(parser.parse(typeof l === 'string' ? Buffer.from(l, 'utf8') : l, 'filter-tester'), now));
  }

  private checkValid(def: FilterDefinition, c: CaseBase): void {
    const failures = this.feed(def, c);
    if (failures.length > 0) fail(def, c, ['expected no failure'], failures);
  }

  private checkInvalid(def: FilterDefinition, c: InvalidCase): void {
    if (c.id === undefined && typeof c.attempts !== 'object' && !c.failures?.some((f) => f.id !== undefined)) {
      throw new TypeError(
        `FilterTester: the invalid case ${title(c.line)} names no source: give \`id\` (the source to blame), \`attempts\` per source, or \`failures\` with ids.`,
      );
    }
    const failures = this.feed(def, c);
    const problems: string[] = [];
    if (failures.length === 0) fail(def, c, ['expected a failure, got none'], failures);
    if (c.id !== undefined) {
      const wrong = failures.filter((f) => !sameSource(f.id, c.id!));
      if (wrong.length > 0) problems.push(`expected every failure to blame ${c.id}, got ${wrong.map((f) => f.id).join(', ')}`);
    }
    if (typeof c.attempts === 'object') {
      const got = totals(failures);
      const want = Object.fromEntries(Object.entries(c.attempts).map(([id, n]) => [normalizeIp(id) ?? id, n]));
      for (const id of new Set([...Object.keys(got), ...Object.keys(want)])) {
        if (got[id] !== want[id]) problems.push(`expected ${describeCount(want[id])} from ${id}, got ${describeCount(got[id])}`);
      }
    } else if (c.attempts !== undefined || c.failures === undefined) {
      const want = c.attempts ?? 1;
      const got = failures.reduce((n, f) => n + f.attempts, 0);
      if (got !== want) problems.push(`expected ${want} attempt${want === 1 ? '' : 's'} in all, got ${got}`);
    }
    const first = failures.find((f) => f.attempts > 0) ?? failures[0]!;
    if (c.rule !== undefined && first.rule !== c.rule) problems.push(`expected rule ${c.rule}, got ${first.rule}`);
    problems.push(...compareCaptures(c.captures, first));
    if (c.time !== undefined) {
      const want = typeof c.time === 'number' ? c.time : parseAnnotationTime(c.time, this.config.timezone ?? 'UTC');
      if (first.time !== want) problems.push(`expected time ${new Date(want).toISOString()}, got ${new Date(first.time).toISOString()}`);
    }
    if (c.failures) {
      if (c.failures.length !== failures.length) problems.push(`expected ${c.failures.length} failures, got ${failures.length}`);
      c.failures.forEach((want, i) => {
        const got = failures[i];
        if (!got) return;
        if (want.id !== undefined && !sameSource(got.id, want.id)) problems.push(`failure ${i + 1}: expected source ${want.id}, got ${got.id}`);
        if (want.attempts !== undefined && got.attempts !== want.attempts)
          problems.push(`failure ${i + 1}: expected ${want.attempts} attempts, got ${got.attempts}`);
        if (want.rule !== undefined && got.rule !== want.rule) problems.push(`failure ${i + 1}: expected rule ${want.rule}, got ${got.rule}`);
        problems.push(...compareCaptures(want.captures, got).map((p) => `failure ${i + 1}: ${p}`));
      });
    }
    if (problems.length > 0) fail(def, c, problems, failures);
  }
}

function linesOf(c: { line: CaseBase['line'] }): readonly LineInput[] {
  return typeof c.line === 'string' || Buffer.isBuffer(c.line) ? [c.line as LineInput] : (c.line as readonly LineInput[]);
}

/** A line as a terminal may show it: decoded, control characters escaped. */
function shown(line: LineInput): string {
  return JSON.stringify(line.toString()).slice(1, -1);
}

/** A title a terminal shows as it is: control characters escaped, long lines cut. */
function title(line: CaseBase['line']): string {
  const safe = linesOf({ line }).map(shown).join(' ⏎ ');
  return safe.length > 160 ? `${safe.slice(0, 157)}...` : safe;
}

function sameSource(actual: string, expected: string): boolean {
  return actual === expected || actual === (normalizeIp(expected) ?? expected.toLowerCase());
}

function totals(failures: readonly Failure[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of failures) out[f.id] = (out[f.id] ?? 0) + f.attempts;
  return out;
}

function describeCount(n: number | undefined): string {
  return n === undefined ? 'no failure' : `${n} attempt${n === 1 ? '' : 's'}`;
}

function compareCaptures(want: Record<string, string> | undefined, got: Failure): string[] {
  if (!want) return [];
  return Object.entries(want)
    .filter(([k, v]) => got.captures[k] !== v)
    .map(([k, v]) => `expected capture ${k} ${JSON.stringify(v)}, got ${JSON.stringify(got.captures[k])}`);
}

/** Throw what a runner shows as a failed assertion: the case, the problems, what the filter said. */
function fail(def: FilterDefinition, c: CaseBase, problems: string[], failures: readonly Failure[]): never {
  const mode = c.mode ? ` mode ${c.mode}` : '';
  const options = c.options ? ` options ${JSON.stringify(c.options)}` : '';
  const reported = failures.map((f) => ({ id: f.id, attempts: f.attempts, rule: f.rule, captures: { ...f.captures } }));
  const message = [
    `filter ${def.id}${mode}${options} on`,
    ...linesOf(c).map((l) => `    ${shown(l)}`),
    ...problems.map((p) => `  ${p}`),
    reported.length === 0 ? '  (the filter reported nothing)' : '  the filter reported:',
    ...reported.map((f) => `    ${f.id} rule ${f.rule}, ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}, captures ${JSON.stringify(f.captures)}`),
  ].join('\n');
  throw new AssertionError({ message, actual: reported, expected: expectedOf(c), operator: 'FilterTester' });
}

function expectedOf(c: CaseBase): unknown {
  const { line: _line, name: _name, only: _only, mode: _mode, options: _options, logtype: _logtype, ...rest } = c as InvalidCase;
  return Object.keys(rest).length === 0 ? [] : rest;
}
