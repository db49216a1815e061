/**
 * The lines a real sshd wrote under the lab's scripted attack (test/labs/sshd.ts, `npm run lab -- sshd`),
 * annotated from the episode script alone: re-checked here without root, line by line.
 */
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkAnnotatedLog } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';

const CAPTURE = fileURLToPath(new URL('./fixtures/lab/sshd.log', import.meta.url));

describe('sshd lab capture (Debian OpenSSH under scripted attack)', () => {
  it('gets every captured line right', () => {
    expect(existsSync(CAPTURE)).toBe(true);
    const report = checkAnnotatedLog(sshdFilter, CAPTURE, { timezone: 'UTC' });
    expect(report.results.filter((r) => !r.ok).map((r) => `${r.lineNo}: ${r.problems.join('; ')}: ${r.text}`)).toEqual([]);
    expect(report.results.filter((r) => r.failures.length > 0).length).toBeGreaterThan(20);
  });
});
