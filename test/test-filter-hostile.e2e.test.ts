/**
 * `f2b test-filter` on hostile input: lines longer than the source's maxLineLength are counted and
 * never matched (a forged end at the cut must not count), and whatever it prints of a log line is
 * escaped (no terminal control sequence gets through) while `--json` stays exact.
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, tempDir } from './helpers.js';

const HEAD = 'Jan  5 01:31:41 www sshd[1643]: Failed password for invalid user ';
const DECOY = ' from 198.51.100.203 port 22 ssh2';
/** A line whose first 65,536 bytes end in a forged `from <decoy> port 22 ssh2`. */
const FORGED = HEAD + 'a'.repeat(65_536 - HEAD.length - DECOY.length) + DECOY + ' from 203.0.113.9 port 22 ssh2';
const NORMAL = 'Jan  5 01:31:42 www sshd[1644]: Failed password for root from 203.0.113.7 port 22 ssh2';
const ARGS = ['--now', '2005-08-14T12:00:00+02:00', '--timezone', 'UTC'];

describe('f2b test-filter with overlong lines', () => {
  const input = `${NORMAL}\n${FORGED}\n${NORMAL}\n`;

  it('counts them ("Overlong lines: N") and matches neither the decoy nor the cut line', () => {
    const r = f2b(['test-filter', 'sshd', '-', ...ARGS], { input });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Lines: 3 read, 2 matched, 0 missed, 1 overlong/);
    expect(r.stdout).toMatch(/Overlong lines: 1 \(longer than 65536 bytes/);
  });

  it('marks them in --json, one object per line as always', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--json', ...ARGS], { input });
    const out = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toEqual([
      expect.objectContaining({ line: 1, match: true, id: '203.0.113.7' }),
      { line: 2, match: false, overlong: true },
      expect.objectContaining({ line: 3, match: true, id: '203.0.113.7' }),
    ]);
  });

  it('does the same with --jobs (workers) and with --max-line-length', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'auth.log');
      const lines: string[] = [];
      for (let i = 0; i < 200; i++) lines.push(i % 50 === 7 ? FORGED : NORMAL);
      writeFileSync(file, lines.join('\n') + '\n');
      const one = f2b(['test-filter', 'sshd', file, '--json', ...ARGS]);
      const three = f2b(['test-filter', 'sshd', file, '--json', '--jobs', '3', ...ARGS]);
      expect(three.stdout).toBe(one.stdout);
      expect(one.stdout.match(/"overlong":true/g)).toHaveLength(4);
      const short = f2b(['test-filter', 'sshd', file, '--max-line-length', '300', ...ARGS]);
      expect(short.stdout).toMatch(/Overlong lines: 4 \(longer than 300 bytes/);
      expect(f2b(['test-filter', 'sshd', file, '--max-line-length', '12'], {}).code).toBe(2);
    } finally {
      tmp.cleanup();
    }
  });
});

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('f2b test-filter prints log text escaped', () => {
  // ESC ] … BEL sets the window title; CSI (U+009B) and OSC (U+009D) are the one-character forms.
  const user = 'r\x1b]0;owned\x07o\u009b2J\u009d8;;x\u009c\x7fot';
  const line = `Jan  5 01:31:41 www sshd[1643]: Failed password for ${user} from 192.0.2.4 port 22 ssh2`;
  const missed = `Jan  5 01:31:42 www sshd[1644]: Connection closed by \x1b[8mhidden\x1b[0m`;
  const input = `${line}\n${missed}\n`;

  it('--show matched and --show missed: no control character reaches the terminal', () => {
    for (const show of ['matched', 'missed']) {
      const r = f2b(['test-filter', 'sshd', '-', '--show', show, ...ARGS], { input });
      expect(r.code).toBe(0);
      expect(RAW_CONTROL.test(r.stdout)).toBe(false);
      expect(r.stdout).toContain(show === 'matched' ? 'r\\x1b]0;owned\\x07o\\x9b2J\\x9d8;;x\\x9c\\x7fot' : '\\x1b[8mhidden\\x1b[0m');
    }
  });

  it('--json stays exact: the capture is the user name as written, with nothing raw in the output', () => {
    const r = f2b(['test-filter', 'sshd', '-', '--json', ...ARGS], { input });
    expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    const [first] = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({ match: true, id: '192.0.2.4', captures: { user } });
  });

  it('--annotated mismatches are escaped too', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'sample.log');
      writeFileSync(file, `# failJSON: { "match": false }\n${line}\n`);
      const r = f2b(['test-filter', 'sshd', file, '--annotated', ...ARGS]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('MISMATCH');
      expect(RAW_CONTROL.test(r.stdout)).toBe(false);
    } finally {
      tmp.cleanup();
    }
  });
});
