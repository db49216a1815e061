/**
 * Issue 16, `f2b test-filter --explain`: per line, the date the parser saw (text, format, time; or why
 * none), the prefilter's verdict, the rules tried, those that matched with host and captures, the one
 * chosen, and the failure — as text (escaped) and in --json (one object per line, as without it).
 */
import { describe, expect, it } from 'vitest';
import { f2b } from './helpers.js';

const NOW = ['--now', '2024-01-16T00:00:00Z', '--timezone', 'UTC'];
const LOG =
  [
    '2024-01-15T10:00:00+00:00 host sshd[1]: Failed password for invalid user \x1b[31meve from 203.0.113.5 port 22 ssh2',
    '2024-01-15T10:00:01+00:00 host CRON[2]: pam_unix(cron:session): session opened for user root',
    'Jan 15 10:00:02 host sshd[3]: Accepted password for bob from 198.51.100.4 port 22 ssh2',
    'a line without any date',
  ].join('\n') + '\n';

interface Explained {
  line: number;
  match: boolean;
  explain: {
    date: { text: string; format: string; time: string } | { none: string };
    program: string | null;
    prefilter: { passed: boolean; why: string };
    tried: string[];
    skipped: string[];
    matched: { rule: string; host?: string; captures?: Record<string, string>; rejected?: string }[];
    chosen: string | null;
    ignored?: true;
    failures: { id: string; attempts: number; rule: string }[];
    otherModes?: { rule: string; modes: string[]; host?: string }[];
  };
}

describe('f2b test-filter --explain', () => {
  it('--json: one object per line with what the date parser saw and which rules were tried and matched', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--explain', '--json', ...NOW], { input: LOG });
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Explained);
    expect(lines).toHaveLength(4);
    const [fail, cron, accepted, undated] = lines as [Explained, Explained, Explained, Explained];

    expect(fail.match).toBe(true);
    expect(fail.explain.date).toEqual({ text: '2024-01-15T10:00:00+00:00', format: 'iso8601', time: '2024-01-15T10:00:00+00:00' });
    expect(fail.explain.prefilter.passed).toBe(true);
    // Only the rules whose prefix starts the message ("Failed "), not every rule of the mode.
    expect(fail.explain.tried).toEqual(['failed-invalid-user', 'failed']);
    expect(fail.explain.skipped).toContain('accepted');
    expect(fail.explain.skipped).not.toContain('failed');
    expect(fail.explain.chosen).toBe('failed-invalid-user');
    expect(fail.explain.matched[0]).toEqual({
      rule: 'failed-invalid-user',
      on: 'message',
      host: '203.0.113.5',
      captures: { method: 'password', user: '\x1b[31meve' },
    });
    expect(fail.explain.failures).toEqual([{ id: '203.0.113.5', attempts: 1, rule: 'failed-invalid-user' }]);

    expect(cron.explain.prefilter).toEqual({ passed: false, why: expect.stringContaining('the program "CRON" is not one the filter reads') });
    expect(cron.explain.tried).toEqual([]);
    expect(cron.explain.skipped).toEqual([]);

    expect(accepted.explain.date).toMatchObject({ text: 'Jan 15 10:00:02', format: 'bsd-syslog', time: '2024-01-15T10:00:02+00:00' });
    expect(accepted.explain.chosen).toBe('accepted');
    expect(accepted.explain.tried).toEqual(['accepted']);
    expect(accepted.explain.failures).toEqual([]);

    expect(undated.explain.date).toEqual({ none: expect.stringContaining('no date format') });
    expect(undated.explain.program).toBeNull();
  });

  it('as text: each line and its steps, attacker text escaped; the summary follows', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--explain', ...NOW], { input: LOG });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain('line 1: 2024-01-15T10:00:00+00:00 host sshd[1]: Failed password for invalid user \\x1b[31meve from 203.0.113.5');
    expect(r.stdout).toContain('  date:      "2024-01-15T10:00:00+00:00" (iso8601) → 2024-01-15T10:00:00+00:00');
    expect(r.stdout).toMatch(/ {2}matched: {3}failed-invalid-user \(on the message\) \[chosen\] host=203\.0\.113\.5 method="password" user="\\x1b\[31meve"/);
    expect(r.stdout).toContain('  failure:   203.0.113.5 ×1 (failed-invalid-user)');
    expect(r.stdout).toContain('  prefilter: stopped: the program "CRON" is not one the filter reads');
    expect(r.stdout).toContain('  date:      none: no date format f2b knows is in the line');
    expect(r.stdout).toContain('Lines: 4 read, 1 matched, 1 recognised but no failure of their own, 2 missed');
  });

  it('a line only a rule of other modes counts: named with the modes that would count it, in text and --json', () => {
    const input = '2024-01-15T10:00:00+00:00 host sshd[1]: Connection closed by 203.0.113.6 port 5000 [preauth]\n';
    const json = JSON.parse(f2b(['test-filter', 'sshd', '-', '--explain', '--json', ...NOW], { input }).stdout.trim()) as Explained;
    expect(json.explain.chosen).toBe('closed-preauth'); // as information, in mode normal
    expect(json.explain.failures).toEqual([]);
    expect(json.explain.otherModes).toEqual([{ rule: 'closed-preauth', modes: ['ddos', 'aggressive'], host: '203.0.113.6' }]);
    const r = f2b(['test-filter', 'sshd', '-', '--explain', ...NOW], { input });
    expect(r.stdout).toContain('  other mode: closed-preauth host=203.0.113.6 matches, a failure only in mode ddos or aggressive (not counted here)\n');
    // In mode ddos the rule counts: nothing to say about other modes.
    const ddos = JSON.parse(f2b(['test-filter', 'sshd', '-', '--explain', '--json', '--mode', 'ddos', ...NOW], { input }).stdout.trim()) as Explained;
    expect(ddos.explain.failures).toEqual([{ id: '203.0.113.6', attempts: 1, rule: 'closed-preauth' }]);
    expect(ddos.explain.otherModes).toBeUndefined();
  });

  it('a line whose prefix reaches one sshd rule: only that rule is tried, the others are named as not tried', () => {
    const input = '2024-01-15T10:00:00+00:00 host sshd[1]: Invalid user eve from 203.0.113.5 port 22\n';
    const json = JSON.parse(f2b(['test-filter', 'sshd', '-', '--explain', '--json', ...NOW], { input }).stdout.trim()) as Explained;
    expect(json.explain.tried).toEqual(['invalid-user']);
    expect(json.explain.chosen).toBe('invalid-user');
    expect(json.explain.skipped).toEqual(expect.arrayContaining(['failed-invalid-user', 'failed', 'accepted']));
    expect(json.explain.skipped).not.toContain('invalid-user');
    const r = f2b(['test-filter', 'sshd', '-', '--explain', ...NOW], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  tried:     1 rule(s): invalid-user\n');
    expect(r.stdout).toMatch(
      new RegExp(`  not tried: ${json.explain.skipped.length} rule\\(s\\), the message does not start with their prefix: .*\\bfailed-invalid-user\\b`),
    );
  });

  it('with --pattern and --ignore-pattern: the pattern rule tried, and a line the ignore pattern took', () => {
    const input = '2024-01-15T10:00:00+00:00 web app[1]: login failure from 192.0.2.44 (user test)\n';
    const r = f2b(['test-filter', '--pattern', 'login failure from <HOST>', '--ignore-pattern', 'user test', '-', '--explain', '--json', ...NOW], { input });
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout.trim()) as Explained;
    expect(line.match).toBe(false);
    expect(line.explain).toMatchObject({ tried: ['pattern-1'], chosen: 'pattern-1', ignored: true, failures: [] });
    const text = f2b(['test-filter', '--pattern', 'login failure from <HOST>', '--ignore-pattern', 'user test', '-', '--explain', ...NOW], { input });
    expect(text.stdout).toContain('  ignored:   an --ignore-pattern matches the message');
  });
});
