import { describe, it, expect, afterEach } from 'vitest';
import { AssertionError } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterTester, type FilterTests, type InvalidCase } from '../src/testing/filter-tester.js';
import { SourceTester } from '../src/testing/source-tester.js';
import { checkAnnotatedLog } from '../src/testing/annotated-check.js';
import { definePlugin } from '../src/plugin.js';
import type { FilterDefinition, RuleMatch } from '../src/filter/types.js';

/**
 * A filter with a reducer, so attempts are not one per line: an `Invalid user` line counts one
 * attempt, the `Failed password for invalid user` line of the same pid that follows counts 0.
 */
const def: FilterDefinition = {
  id: 'mini',
  programs: ['sshd'],
  modes: ['normal', 'aggressive'],
  rules: [
    { id: 'failed', pattern: '^Failed password for (?P<user>\\S+) from <HOST> port [0-9]+ ssh2$' },
    { id: 'invalid-user', pattern: '^Invalid user (?P<user>\\S+) from <HOST>$' },
    { id: 'failed-invalid', pattern: '^Failed password for invalid user (?P<user>\\S+) from <HOST> port [0-9]+ ssh2$' },
    { id: 'no-ident', pattern: '^Did not receive identification string from <HOST>$', modes: ['aggressive'] },
  ],
  createReducer: () => {
    const counted = new Set<number>();
    return {
      reduce: (m: RuleMatch) => {
        if (!m.host) return null;
        const pid = m.entry.pid ?? -1;
        if (m.rule.id === 'failed-invalid' && counted.has(pid)) return { id: m.host, attempts: 0, rule: m.rule.id, captures: { ...m.captures } };
        if (m.rule.id === 'invalid-user') counted.add(pid);
        return { id: m.host, attempts: 1, rule: m.rule.id, captures: { ...m.captures } };
      },
    };
  },
};

const L = (pid: number, msg: string) => `Jan  5 01:31:41 www sshd[${pid}]: ${msg}`;
const FAILED = L(1, 'Failed password for root from 192.0.2.1 port 22 ssh2');
const INVALID = [L(2, 'Invalid user bob from 192.0.2.2'), L(2, 'Failed password for invalid user bob from 192.0.2.2 port 22 ssh2')];

/** Runs FilterTester with recording hooks: the titles, and what each case's test throws. */
function runCases(tests: FilterTests): { names: string[]; outcomes: Map<string, Error | null> } {
  const names: string[] = [];
  const outcomes = new Map<string, Error | null>();
  const path: string[] = [];
  FilterTester.describe = (name, fn) => {
    path.push(name);
    fn();
    path.pop();
  };
  FilterTester.it = (name, fn) => {
    const full = [...path, name].join(' > ');
    names.push(full);
    try {
      fn();
      outcomes.set(full, null);
    } catch (err) {
      outcomes.set(full, err as Error);
    }
  };
  try {
    FilterTester.run(def, tests);
  } finally {
    // Back to vitest's hooks for the other tests of this file.
    FilterTester.describe = describe;
    FilterTester.it = it;
  }
  return { names, outcomes };
}

function errorOf(c: InvalidCase): Error | null {
  const { outcomes } = runCases({ valid: [], invalid: [c] });
  return [...outcomes.values()][0]!;
}

describe('FilterTester', () => {
  it('registers one test per case on the hooks, under the filter id, valid and invalid', () => {
    const { names, outcomes } = runCases({
      valid: [
        L(1, 'Accepted password for root from 192.0.2.1 port 22 ssh2'),
        { line: L(3, 'Did not receive identification string from 192.0.2.3'), name: 'probe in normal mode' },
      ],
      invalid: [{ line: FAILED, id: '192.0.2.1', attempts: 1, captures: { user: 'root' }, rule: 'failed' }],
    });
    expect(names).toEqual([
      `mini > valid > ${L(1, 'Accepted password for root from 192.0.2.1 port 22 ssh2')}`,
      'mini > valid > probe in normal mode',
      `mini > invalid > ${FAILED}`,
    ]);
    expect([...outcomes.values()]).toEqual([null, null, null]);
  });

  it('checks attempts: the sum over the lines of a case, 1 by default', () => {
    expect(errorOf({ line: INVALID, id: '192.0.2.2', attempts: 1 })).toBeNull();
    expect(errorOf({ line: INVALID, id: '192.0.2.2' })).toBeNull();
    const err = errorOf({ line: INVALID, id: '192.0.2.2', attempts: 2 });
    expect(err).toBeInstanceOf(AssertionError);
    expect(err!.message).toContain('expected 2 attempts in all, got 1');
    // The message shows the lines and every failure the filter reported.
    expect(err!.message).toContain(INVALID[1]);
    expect(err!.message).toContain('192.0.2.2 rule failed-invalid, 0 attempts, captures {"user":"bob"}');
  });

  it('checks attempts per source, and that no other source is reported', () => {
    const lines = [FAILED, ...INVALID];
    expect(errorOf({ line: lines, attempts: { '192.0.2.1': 1, '192.0.2.2': 1 } })).toBeNull();
    expect(errorOf({ line: lines, attempts: { '192.0.2.1': 1 } })!.message).toContain('expected no failure from 192.0.2.2, got 1 attempt');
    expect(errorOf({ line: lines, attempts: { '192.0.2.1': 1, '192.0.2.2': 1, '192.0.2.9': 1 } })!.message).toContain(
      'expected 1 attempt from 192.0.2.9, got no failure',
    );
  });

  it('checks the source, rule, captures, time and mode', () => {
    expect(errorOf({ line: FAILED, id: '192.0.2.99' })!.message).toContain('expected every failure to blame 192.0.2.99, got 192.0.2.1');
    expect(errorOf({ line: FAILED, id: '192.0.2.1', rule: 'invalid-user' })!.message).toContain('expected rule invalid-user, got failed');
    expect(errorOf({ line: FAILED, id: '192.0.2.1', captures: { user: 'admin' } })!.message).toContain('expected capture user "admin", got "root"');
    expect(errorOf({ line: FAILED, id: '192.0.2.1', time: '2024-01-05T01:31:41' })).toBeNull();
    expect(errorOf({ line: FAILED, id: '192.0.2.1', time: '2024-01-05T01:31:42Z' })!.message).toContain('expected time 2024-01-05T01:31:42.000Z');
    const probe = L(3, 'Did not receive identification string from 192.0.2.3');
    expect(errorOf({ line: probe, id: '192.0.2.3', mode: 'aggressive' })).toBeNull();
    expect(errorOf({ line: probe, id: '192.0.2.3' })!.message).toMatch(/expected a failure, got none[\s\S]*the filter reported nothing/);
    // An address written another way is the same source.
    expect(errorOf({ line: L(1, 'Failed password for root from 2001:db8::1 port 22 ssh2'), id: '2001:DB8:0::1' })).toBeNull();
  });

  it('checks an exact list of failures', () => {
    expect(
      errorOf({
        line: INVALID,
        failures: [
          { id: '192.0.2.2', attempts: 1, rule: 'invalid-user' },
          { attempts: 0, rule: 'failed-invalid', captures: { user: 'bob' } },
        ],
      }),
    ).toBeNull();
    const err = errorOf({ line: INVALID, failures: [{ id: '192.0.2.2', attempts: 1 }] });
    expect(err!.message).toContain('expected 1 failures, got 2');
  });

  it('fails a valid case the filter reports, even with 0 attempts', () => {
    const { outcomes } = runCases({ valid: [FAILED], invalid: [] });
    const err = [...outcomes.values()][0]!;
    expect(err.message).toContain('expected no failure');
    expect(err.message).toContain('192.0.2.1 rule failed, 1 attempt');
  });

  it('refuses tests without both lists, duplicate cases and invalid cases that name no source', () => {
    expect(() => FilterTester.run(def, { valid: [] } as unknown as FilterTests)).toThrow(/valid: \[\.\.\.\], invalid: \[\.\.\.\]/);
    expect(() => runCases({ valid: [FAILED, FAILED], invalid: [] })).toThrow(/listed twice/);
    expect(errorOf({ line: FAILED, attempts: 1 })!.message).toMatch(/names no source/);
  });

  it('escapes control characters in titles and messages', () => {
    const { names } = runCases({ valid: [L(1, 'hello\u001b[2Jworld')], invalid: [] });
    expect(names[0]).toContain('hello\\u001b[2Jworld');
  });

  it('passes its options to the filter, checked against its schema', () => {
    const withOptions: FilterDefinition = {
      ...def,
      id: 'opt',
      options: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } },
    };
    let thrown: unknown;
    FilterTester.describe = (_name, fn) => fn();
    FilterTester.it = (_name, fn) => {
      try {
        fn();
      } catch (err) {
        thrown = err;
      }
    };
    try {
      new FilterTester({ options: { x: 1 } }).run(withOptions, { valid: [FAILED.replace('Failed', 'Accepted')], invalid: [] });
    } finally {
      FilterTester.describe = describe;
      FilterTester.it = it;
    }
    expect((thrown as { code?: string }).code).toMatch(/^F2B_ERR_/);
    expect(String(thrown)).toContain('"options.x"');
  });
});

// The same kit on the real runner: these cases are vitest tests of their own.
FilterTester.describe = describe;
FilterTester.it = it;
FilterTester.run(def, {
  valid: [
    L(1, 'Accepted password for root from 192.0.2.1 port 22 ssh2'),
    { line: 'srv sshd[1]: Accepted password for root from 192.0.2.1 port 22 ssh2', logtype: 'journal' },
  ],
  invalid: [
    { line: FAILED, id: '192.0.2.1', captures: { user: 'root' } },
    { line: 'srv sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2', logtype: 'journal', id: '192.0.2.1' },
    { line: INVALID, id: '192.0.2.2', attempts: 1, name: 'Invalid user + Failed password for invalid user: one attempt' },
  ],
});

describe('checkAnnotatedLog: attempts', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('checks attempts where an annotation gives them (the sum over the failures of the line)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-attempts-'));
    dirs.push(dir);
    const file = join(dir, 'mini.log');
    writeFileSync(
      file,
      [
        '# failJSON: {"match": true, "host": "192.0.2.2", "attempts": 1}',
        INVALID[0],
        '# failJSON: {"match": true, "host": "192.0.2.2", "attempts": 0}',
        INVALID[1],
        '# failJSON: {"match": true, "host": "192.0.2.1", "attempts": 2}',
        FAILED,
        '# failJSON: {"match": true, "host": "192.0.2.1"}',
        FAILED,
        '',
      ].join('\n'),
    );
    const report = checkAnnotatedLog(def, file, { now: Date.parse('2024-12-31T12:00:00Z'), timezone: 'UTC' });
    expect(report.results.map((r) => [r.lineNo, r.ok, r.rule])).toEqual([
      [2, true, 'invalid-user'],
      [4, true, 'failed-invalid'],
      [6, false, 'failed'],
      [8, true, 'failed'],
    ]);
    expect(report.results[2]!.problems).toEqual(['expected 2 attempts, got 1 (192.0.2.1 failed: 1)']);
    // fail2ban's own samples count attempts differently: the check can be left out.
    expect(checkAnnotatedLog(def, file, { now: Date.parse('2024-12-31T12:00:00Z'), timezone: 'UTC', attempts: false }).results.every((r) => r.ok)).toBe(true);
  });
});

describe('SourceTester', () => {
  /** A source over an array of lines: reads what was pushed on poll, resumes from an index. */
  const pushed: string[] = [];
  const arraySource = definePlugin({
    meta: { name: 'array-source', version: '1.0.0', core: '*', kind: 'source' },
    apply(core) {
      core.registerSource({
        type: 'array',
        schema: { type: 'object', additionalProperties: false, properties: { batch: { type: 'integer', minimum: 1 } } },
        create(options, ctx) {
          let next = typeof ctx.saved === 'number' ? ctx.saved : 0;
          const batch = (options.batch as number | undefined) ?? 100;
          return {
            start: async () => {},
            stop: async () => {},
            poll: async () => {
              const lines = pushed.slice(next, next + batch);
              next += lines.length;
              if (lines.length > 0)
                await ctx.lines(
                  lines.map((l) => Buffer.from(l)),
                  'array',
                );
            },
            state: () => next,
          };
        },
      });
    },
  });

  afterEach(() => {
    pushed.length = 0;
  });

  it('collects the lines a source delivers and resumes from its saved state', async () => {
    const t = new SourceTester({ plugin: arraySource, type: 'array', options: { batch: 2 } });
    await t.start();
    pushed.push('a', 'b', 'c');
    await t.expectLines(['a', 'b', 'c']);
    expect(t.state()).toBe(3);
    await t.stop();
    pushed.push('d');
    await t.restart();
    await t.expectLines(['d']);
    expect(t.delivered.map((d) => d.origin)).toEqual(['array', 'array', 'array', 'array']);
    await t.stop();
  });

  it('fails with what arrived when the lines differ', async () => {
    const t = new SourceTester({ plugin: arraySource, type: 'array', timeoutMs: 200 });
    await t.start();
    pushed.push('a', 'x');
    await expect(t.expectLines(['a', 'b'])).rejects.toThrow(/delivered other lines than expected/);
    await expect(t.expectLines(['more'])).rejects.toThrow(/waited 200 ms for 1 more line\(s\); 2 line\(s\)/);
    await t.stop();
  });

  it('checks the options against the source schema, as a jail does', () => {
    expect(() => new SourceTester({ plugin: arraySource, type: 'array', options: { batch: 0 } })).toThrow(/batch/);
    expect(() => new SourceTester({ plugin: arraySource, type: 'nope' })).toThrow(/did not register the source "nope"/);
  });
});
