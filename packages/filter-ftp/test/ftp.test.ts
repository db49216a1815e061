import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core } from '@f2b/core';
import { checkAnnotatedLog } from '@f2b/core/testing';
import ftpFilters, { filters } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
const fixture = (id: string) => fileURLToPath(new URL(`./fixtures/${id}.log`, import.meta.url));

describe.each(filters.map((f) => [f.id, f] as const))('%s', (id, def) => {
  it('gets every annotated line of its sample log right', () => {
    const report = checkAnnotatedLog(def, fixture(id), { now: NOW, timezone: 'UTC' });
    const wrong = report.results.filter((r) => !r.ok).map((r) => `${r.lineNo} ${JSON.stringify(r.run)}: ${r.problems.join('; ')}`);
    expect(wrong).toEqual([]);
    expect(report.total).toBeGreaterThanOrEqual(4);
    expect(report.results.some((r) => r.failures.length === 0)).toBe(true); // has negative cases
  });
});

describe('@f2b/filter-ftp', () => {
  it('registers exactly the ids its manifest declares', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const core = new Core({ logLevel: 'silent' });
    core.use(ftpFilters());
    expect(core.listFilters().map((f) => f.def.id).sort()).toEqual([...manifest.f2b.filters].sort());
  });

});
