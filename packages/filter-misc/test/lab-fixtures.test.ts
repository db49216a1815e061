/**
 * Logs captured from real daemons in the labs (`npm run lab -- <service>`), annotated from the
 * episode scripts (test/labs/), never from the filters: each must stay right for its filter. Runs
 * anywhere (no root): the capture is a file.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkAnnotatedLog } from '@f2b/core/testing';
import { filters } from '../src/index.js';

const dir = new URL('./fixtures/lab/', import.meta.url);
const captures = readdirSync(dir).filter((f) => f.endsWith('.log'));
const filterOf = (file: string) => [...filters].sort((a, b) => b.id.length - a.id.length).find((f) => file === `${f.id}.log` || file.startsWith(`${f.id}-`));

describe('lab captures of real daemons (filter-misc)', () => {
  it('has captures', () => expect(captures.length).toBeGreaterThan(0));
  for (const file of captures) {
    it(file, () => {
      const def = filterOf(file);
      expect(def, `no filter for ${file}`).toBeDefined();
      const report = checkAnnotatedLog(def!, fileURLToPath(new URL(file, dir)), { now: Date.now(), timezone: 'UTC' });
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.lineNo}: ${r.problems.join('; ')}`)).toEqual([]);
      expect(report.results.filter((r) => r.failures.length > 0).length).toBeGreaterThan(3);
    });
  }
});
