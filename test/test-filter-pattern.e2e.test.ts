/**
 * `f2b test-filter --pattern` (fail2ban-regex with a regex on the command line) and the counting of
 * lines without a readable date, end to end through the real binary.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, tempDir } from './helpers.js';

const CLOCK = ['--now', '2024-06-01T00:00:00Z', '--timezone', 'UTC'];
const LINES = [
  'Jan  5 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.4 port 22 ssh2',
  'Jan 32 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.5 port 22 ssh2',
  'sshd[1]: Failed password for bob from 192.0.2.6 port 22 ssh2',
  'Jan  5 01:31:42 www sshd[1644]: Failed password for alice from 192.0.2.7 port 22 ssh2',
  'Jan  5 01:31:43 www cron[1]: (root) CMD (run-parts /etc/cron.hourly)',
];
const INPUT = LINES.join('\n') + '\n';
const json = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('f2b test-filter --pattern', () => {
  it('matches the message with placeholders and named groups; same --json contract as a filter', () => {
    const r = f2b(['test-filter', '--pattern', 'password for (?P<user>[^ ]+) from <HOST> port', '-', '--json', ...CLOCK], { input: INPUT });
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.map((o) => o.line)).toEqual([1, 2, 3, 4, 5]);
    expect(out[0]).toEqual({
      line: 1,
      match: true,
      id: '192.0.2.4',
      time: '2024-01-05T01:31:41+00:00',
      rule: 'pattern-1',
      captures: { user: 'root' },
      attempts: 1,
    });
    expect(out[4]).toEqual({ line: 5, match: false });
  });

  it('takes the log file as its one positional argument, and several patterns', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'auth.log');
      writeFileSync(file, INPUT);
      const r = f2b(['test-filter', '-p', 'for root from <ADDR> ', '-p', 'for alice from <ADDR> ', file, '--json', ...CLOCK]);
      expect(r.code).toBe(0);
      expect(json(r.stdout).map((o) => o.rule ?? null)).toEqual(['pattern-1', 'pattern-1', null, 'pattern-2', null]);
    } finally {
      tmp.cleanup();
    }
  });

  it('--ignore-pattern leaves matching lines out, with a filter id too', () => {
    const adHoc = f2b(['test-filter', '--pattern', 'from <HOST> port', '--ignore-pattern', 'for (?:bob|alice) ', '-', ...CLOCK], { input: INPUT });
    expect(adHoc.code).toBe(0);
    expect(adHoc.stdout).toMatch(/Lines: 5 read, 2 matched, 3 missed/);
    expect(adHoc.stdout).toMatch(/Ignored by --ignore-pattern: 2 line\(s\)/);
    expect(adHoc.stdout).toMatch(/pattern-1\s+2\s+from <HOST> port/);
    const sshd = f2b(['test-filter', 'sshd', '-', '--json', '--ignore-pattern', 'for root ', ...CLOCK], { input: INPUT });
    expect(json(sshd.stdout).map((o) => o.match)).toEqual([false, false, true, true, false]);
  });

  it.each([
    ['(?=', 'failure (?=now) from <HOST>', 'lookahead'],
    ['(?!', 'failure (?!now) from <HOST>', 'negative lookahead'],
    ['(?<=', '(?<=failure )from <HOST>', 'lookbehind'],
    ['\\1', '(a)\\1 from <HOST>', 'backreference'],
    ['(?>', '(?>a+) from <HOST>', 'atomic group'],
    ['++', 'a++ from <HOST>', 'possessive quantifier'],
  ])('a pattern with %s is refused naming the construct (exit 2)', (text, pattern, construct) => {
    const r = f2b(['test-filter', '--pattern', pattern, '-'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_PATTERN_UNSUPPORTED');
    expect(r.stderr).toContain(`"${text}" ${construct} is not supported by RE2`);
    expect(r.stderr).toContain('Fix:');
  });

  it('refuses an invalid pattern, a pattern without a host, and a filter id with --pattern (exit 2)', () => {
    const bad = f2b(['test-filter', '--pattern', 'failure (from <HOST>', '-'], { input: '' });
    expect([bad.code, bad.stderr.includes('F2B_ERR_PATTERN_INVALID')]).toEqual([2, true]);
    const noHost = f2b(['test-filter', '--pattern', 'failure', '-'], { input: '' });
    expect([noHost.code, noHost.stderr.includes('has no <HOST>')]).toEqual([2, true]);
    const both = f2b(['test-filter', 'sshd', '--pattern', 'from <HOST>', '-'], { input: '' });
    expect([both.code, both.stderr.includes('F2B_ERR_USAGE')]).toEqual([2, true]);
    const badIgnore = f2b(['test-filter', 'sshd', '-', '--ignore-pattern', 'x(?=y)'], { input: '' });
    expect([badIgnore.code, badIgnore.stderr.includes('--ignore-pattern 1')]).toEqual([2, true]);
    expect(f2b(['test-filter'], { input: '' }).code).toBe(2);
  });

  it('gives the single-threaded output with --jobs', () => {
    const tmp = tempDir();
    try {
      const lines: string[] = [];
      for (let i = 0; i < 2000; i++) {
        lines.push(`Jan  5 01:31:41 www sshd[${i}]: Failed password for root from 192.0.2.${i % 50} port 22 ssh2`);
        if (i % 7 === 0) lines.push(`garbage line ${i}`);
      }
      const file = join(tmp.dir, 'auth.log');
      writeFileSync(file, lines.join('\n') + '\n');
      const args = ['test-filter', '--pattern', 'from <HOST> port', file, '--json', ...CLOCK];
      const one = f2b(args);
      expect(one.code).toBe(0);
      expect(one.stdout.match(/"undated":true/g)).toHaveLength(Math.ceil(2000 / 7));
      expect(f2b([...args, '--jobs', '3']).stdout).toBe(one.stdout);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('f2b test-filter: lines without a readable date', () => {
  it('are matched at the time of reading, flagged in --json and counted in the summary', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--json', ...CLOCK], { input: INPUT });
    const out = json(r.stdout);
    expect(out[1]).toMatchObject({ match: true, id: '192.0.2.5', time: '2024-06-01T00:00:00+00:00', undated: true });
    expect(out[2]).toMatchObject({ match: true, id: '192.0.2.6', undated: true });
    expect(out[0]!.undated).toBeUndefined();
    const human = f2b(['test-filter', 'sshd', '-', ...CLOCK], { input: INPUT });
    expect(human.stdout).toMatch(/Without a date: 2 line\(s\) \(no date found or readable: counted at the time of reading\)/);
    expect(human.stdout).toMatch(/Lines: 5 read, 4 matched, 1 missed/);
  });
});
