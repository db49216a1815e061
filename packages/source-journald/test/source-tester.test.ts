/**
 * The journald source driven as a jail drives it (SourceTester), on real journal files read by the
 * real journalctl: entries logged after start are delivered once, as parsed entries, and a restart
 * from the saved cursor resumes with what was logged meanwhile.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SourceTester } from '@f2b/core/testing';
import journaldSource from '../src/index.js';
import { journalToolsMissing, TestJournal } from './journal-writer.js';

const missing = journalToolsMissing();
if (missing) console.log(`source-tester.test: ${missing}`);

const journals: TestJournal[] = [];
const testers: SourceTester[] = [];
afterEach(async () => {
  await Promise.all(testers.splice(0).map((t) => t.stop()));
  for (const j of journals.splice(0)) j.cleanup();
});

describe.skipIf(missing !== null)('journald source under SourceTester', () => {
  it('delivers entries once, and resumes from the saved cursor after a restart', async () => {
    const j = new TestJournal('f2b-journald-tester-');
    journals.push(j);
    j.log(['before start']);
    const t = new SourceTester({ plugin: journaldSource(), type: 'journald', options: { directory: j.dir, restartDelay: 50 }, timeoutMs: 10_000 });
    testers.push(t);
    await t.start();
    j.log(['one', 'two']);
    await t.expectEntries(['one', 'two']);
    expect(t.state()).toBeDefined();
    await t.stop();
    j.log(['while stopped']);
    await t.restart();
    j.log(['after restart']);
    await t.expectEntries(['while stopped', 'after restart']);
    expect(t.lines).toEqual([]); // entries, not raw lines
    expect(t.errors).toEqual([]);
  });
});
