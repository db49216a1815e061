/**
 * `f2b test-filter` end to end: the `--json` contract (one object per input line, in order), the
 * human summary, exit codes, and the annotated check on fail2ban's own samples (when present).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, ROOT, SHARED, tempDir } from './helpers.js';

const LINES = [
  'Jan  5 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.4 port 22 ssh2',
  'Jan  5 01:31:42 www sshd[1644]: Accepted publickey for alice from 192.0.2.5 port 22 ssh2: ED25519 SHA256:abc',
  '',
  'Jan  5 01:31:43 www cron[1]: Failed password for root from 192.0.2.6 port 22 ssh2',
  'Jan  5 01:31:44 www sshd[1645]: Failed password for invalid user x from 198.51.100.1 port 22 ssh2 from 192.0.2.7 port 4242 ssh2',
  '2024-03-10T14:01:02.123456+01:00 host sshd-session[99]: Failed password for bob from 2001:db8::1 port 22 ssh2',
];

describe('f2b test-filter --json', () => {
  const run = f2b(['test-filter', 'sshd', '-', '--json', '--now', '2005-08-14T12:00:00+02:00', '--timezone', 'Europe/Berlin'], {
    input: LINES.join('\n') + '\n',
  });

  it('prints exactly one JSON object per input line, in order', () => {
    expect(run.code).toBe(0);
    const out = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(LINES.length);
    expect(out.map((o) => o.line)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.map((o) => o.match)).toEqual([true, false, false, false, true, true]);
  });

  it('gives id, time with offset, rule and captures for matches only', () => {
    const [first, second, , , injected, v6] = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({ line: 1, match: true, id: '192.0.2.4', time: '2005-01-05T01:31:41+01:00', captures: { user: 'root' } });
    expect(typeof first.rule).toBe('string');
    expect(second).toEqual({ line: 2, match: false });
    // The address inside the user name is never the source.
    expect(injected.id).toBe('192.0.2.7');
    expect(v6).toMatchObject({ id: '2001:db8::1', time: '2024-03-10T14:01:02.123+01:00' });
  });
});

describe('f2b test-filter (human output and errors)', () => {
  it('summarises lines, matches, rules and date formats', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--timezone', 'UTC'], { input: LINES.join('\n') + '\n' });
    expect(r.code).toBe(0);
    // A line a rule recognised (Accepted…) is in the rule's hits, so it is not "missed" as well.
    expect(r.stdout).toMatch(/Lines: 6 read, 3 matched, 1 recognised but no failure of their own, 2 missed/);
    expect(r.stdout).toMatch(/^Addresses: 3, 0 with at least maxretry 5 attempts/m);
    expect(r.stdout).toMatch(/^ {2}192\.0\.2\.4 +1 attempt\(s\) +first \d{4}-01-05T01:31:41\+00:00 +last \d{4}-01-05T01:31:41\+00:00$/m);
    expect(r.stdout).toMatch(/Hits per rule:/);
    expect(r.stdout).toMatch(/bsd-syslog\s+4/);
    expect(r.stdout).toMatch(/Speed: [\d,]+ lines\/s/);
  });

  it('exits 2 with a clear message for an unknown filter id', () => {
    const r = f2b(['test-filter', 'no-such-filter', '-'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_FILTER_NOT_FOUND');
    expect(r.stderr).toContain('"no-such-filter"');
  });

  it('exits 2 for an unknown mode and for a bad timezone', () => {
    expect(f2b(['test-filter', 'sshd', '-', '--mode', 'nonsense'], { input: '' }).code).toBe(2);
    const tz = f2b(['test-filter', 'sshd', '-', '--timezone', 'Mars/Olympus'], { input: '' });
    expect(tz.code).toBe(2);
    expect(tz.stderr).toContain('F2B_ERR_TIMEZONE_INVALID');
  });

  it('reads journalctl -o json records with --format journal', () => {
    const rec = {
      __REALTIME_TIMESTAMP: '1700000000123456',
      _HOSTNAME: 'srv',
      SYSLOG_IDENTIFIER: 'sshd',
      SYSLOG_PID: '77',
      MESSAGE: 'Failed password for root from 192.0.2.8 port 22 ssh2',
    };
    const r = f2b(['test-filter', 'sshd', '-', '--format', 'journal', '--json', '--timezone', 'UTC'], { input: JSON.stringify(rec) + '\nnot json\n' });
    const [a, b] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a).toMatchObject({ line: 1, match: true, id: '192.0.2.8', time: '2023-11-14T22:13:20.123+00:00' });
    expect(b).toEqual({ line: 2, match: false });
  });

  it('--annotated passes on our own sample log and fails (exit 1) on a wrong annotation', () => {
    const fixture = join(ROOT, 'packages/filter-sshd/test/fixtures/sshd.log');
    const ok = f2b(['test-filter', 'sshd', fixture, '--annotated', '--now', '2024-06-01T12:00:00+02:00', '--timezone', 'Europe/Berlin']);
    expect(ok.stdout).toMatch(/annotated lines right \(100\.0 %\)/);
    expect(ok.code).toBe(0);
    const tmp = tempDir();
    try {
      const bad = join(tmp.dir, 'bad.log');
      writeFileSync(bad, '# failJSON: { "match": true, "host": "192.0.2.200", "time": "2005-01-05T01:31:41" }\n' + LINES[0] + '\n');
      const r = f2b(['test-filter', 'sshd', bad, '--annotated', '--now', '2005-08-14T12:00:00+02:00', '--timezone', 'Europe/Berlin']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('MISMATCH');
      expect(r.stdout).toContain('expected host 192.0.2.200, got 192.0.2.4');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('f2b test-filter --jobs', () => {
  it('gives exactly the single-threaded output, line for line (counting stays in log order)', () => {
    const tmp = tempDir();
    try {
      // Connections whose lines straddle the range boundaries: counting must see them in order.
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const pid = 1000 + (i % 37);
        const ip = `192.0.2.${i % 97}`;
        lines.push(
          i % 5 === 0
            ? `Jan  5 01:${String(i % 60).padStart(2, '0')}:41 www sshd[${pid}]: Invalid user u${i % 7} from ${ip} port ${30000 + i}`
            : i % 11 === 0
              ? `Jan  5 01:31:41 www cron[1]: (root) CMD (run-parts /etc/cron.hourly)`
              : `Jan  5 01:31:${String(i % 60).padStart(2, '0')} www sshd[${pid}]: Failed password for invalid user u${i % 7} from ${ip} port ${30000 + i} ssh2`,
        );
      }
      const file = join(tmp.dir, 'auth.log');
      writeFileSync(file, lines.join('\n') + '\n');
      const args = ['test-filter', 'sshd', file, '--json', '--now', '2005-08-14T12:00:00+02:00', '--timezone', 'UTC'];
      const one = f2b(args);
      const three = f2b([...args, '--jobs', '3']);
      expect(one.code).toBe(0);
      expect(three.code).toBe(0);
      expect(one.stdout.split('\n').filter(Boolean)).toHaveLength(3000);
      expect(three.stdout).toBe(one.stdout);
      const human = (j: string) =>
        f2b(['test-filter', 'sshd', file, '--timezone', 'UTC', '--now', '2005-08-14T12:00:00+02:00', '--jobs', j]).stdout.replace(/Speed:.*/, '');
      expect(human('2')).toBe(human('1'));
    } finally {
      tmp.cleanup();
    }
  });

  it('rejects a --jobs that is not a positive whole number (exit 2)', () => {
    expect(f2b(['test-filter', 'sshd', '-', '--jobs', '0'], { input: '' }).code).toBe(2);
  });
});

const corpus = join(SHARED, 'corpus/fail2ban-logs');
const haveCorpus = existsSync(join(corpus, 'sshd'));
if (!haveCorpus) console.log(`skipping fail2ban corpus checks: ${corpus} not found`);

describe.skipIf(!haveCorpus)("fail2ban's annotated sshd samples", () => {
  for (const file of ['sshd', 'sshd-journal']) {
    it(`${file}: at least 95 % of annotated lines right`, () => {
      const r = f2b(['test-filter', 'sshd', join(corpus, file), '--annotated', '--json', '--now', '2005-08-14T12:00:00+02:00', '--timezone', 'Europe/Berlin']);
      const report = JSON.parse(r.stdout);
      expect(report.total).toBeGreaterThan(50);
      expect(report.right / report.total).toBeGreaterThanOrEqual(0.95);
    });
  }
});
