/**
 * The file source driven as a jail drives it (SourceTester): lines appended are delivered once, in
 * order, and a restart from the saved positions resumes with what was written meanwhile.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceTester } from '@f2b/core/testing';
import fileSource from '../src/index.js';

let dir: string;
const testers: SourceTester[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'f2b-source-tester-'));
});
afterEach(async () => {
  await Promise.all(testers.splice(0).map((t) => t.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function tester(options: Record<string, unknown>): SourceTester {
  const t = new SourceTester({ plugin: fileSource(), type: 'file', options: { pollInterval: 50, ...options } });
  testers.push(t);
  return t;
}

describe('file source under SourceTester', () => {
  it('delivers appended lines once, and resumes from the saved positions after a restart', async () => {
    const log = join(dir, 'auth.log');
    const t = tester({ paths: [log] });
    t.write(log, 'before start');
    await t.start();
    t.append(log, 'one', 'two');
    await t.expectLines(['one', 'two']);
    await t.stop();
    t.append(log, 'while stopped');
    await t.restart();
    t.append(log, 'after restart');
    await t.expectLines(['while stopped', 'after restart']);
    expect(t.delivered.every((d) => d.origin === log)).toBe(true);
    expect(t.errors).toEqual([]);
  });

  it('reports an overlong line instead of delivering it', async () => {
    const log = join(dir, 'long.log');
    const t = tester({ paths: [log], fromStart: true, maxLineLength: 256 });
    t.write(log, 'x'.repeat(300), 'short');
    await t.start();
    await t.expectLines(['short']);
    expect(t.overlong).toEqual([log]);
  });

  it('says `more` with every delivery of a large file but the last', async () => {
    const log = join(dir, 'big.log');
    const t = tester({ paths: [log], fromStart: true });
    // 600 KiB: three chunks of 256 KiB, read in one go.
    t.write(log, ...Array.from({ length: 6_000 }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(92)}`));
    await t.start();
    await t.waitFor(() => t.lines.length === 6_000, 'all 6,000 lines');
    expect(t.delivered.at(-1)!.more).toBe(false);
    expect(t.delivered[0]!.more).toBe(true);
    expect(new Set(t.delivered.map((d) => d.more)).size).toBe(2);
  });

  it('refuses options its schema does not know, as a jail does', () => {
    expect(() => tester({ paths: [join(dir, 'a.log')], follow: true })).toThrow(/follow/);
  });
});
