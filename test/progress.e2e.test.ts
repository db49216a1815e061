/**
 * Issue 16, progress on long work: `f2b test-filter` on a large file shows a progress line (bytes,
 * lines/s, ETA) when stderr is a terminal — run here under `script`, which gives it a real pty — and
 * nothing at all on a pipe, where the output is exactly the same as without it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F2B, f2b, sshdLine, tempDir } from './helpers.js';

const tmp = tempDir('f2b-progress-');
afterAll(() => tmp.cleanup());
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.info('progress on a terminal not tested: util-linux `script` is missing');

describe('test-filter progress', () => {
  const log = join(tmp.dir, 'auth.log');
  // About 12 MB: several 1 MiB reads, so the line is drawn more than once.
  const chunk = Array.from({ length: 1000 }, (_, i) =>
    sshdLine(`Failed password for root from 203.0.113.${i % 250} port ${i} ssh2`, { pid: i, time: new Date(Date.UTC(2026, 0, 1, 0, 0, i % 60)) }),
  ).join('');
  writeFileSync(log, chunk.repeat(120));

  it.skipIf(!hasScript)(
    'on a terminal: bytes of the total, lines/s and ETA, cleared before the summary',
    () => {
      const r = spawnSync('script', ['-qefc', `"${process.execPath}" "${F2B}" test-filter sshd "${log}" --now 2026-06-01T00:00:00Z`, '/dev/null'], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/\d+\.\d \/ \d+\.\d MiB \(\d+ %\) · [\d,]+ lines · [\d,]+ lines\/s · ETA /);
      expect(r.stdout).toContain('\r\x1b[2K'); // drawn in place, then cleared
      expect(r.stdout).toContain('Lines: 120000 read, 120000 matched');
    },
    150_000,
  );

  it('on a pipe: no progress at all, and --json is exactly one object per line', () => {
    const r = f2b(['test-filter', 'sshd', log, '--now', '2026-06-01T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('lines/s ·');
    const j = f2b(['test-filter', 'sshd', log, '--json', '--now', '2026-06-01T00:00:00Z']);
    const lines = j.stdout.trim().split('\n');
    expect(lines).toHaveLength(120000);
    expect(() => lines.forEach((l) => JSON.parse(l))).not.toThrow();
  }, 150_000);
});
