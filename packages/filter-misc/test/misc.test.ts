import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core, FilterRunner, EntryParser } from '@f2b/core';
import { checkAnnotatedLog } from '@f2b/core/testing';
import miscFilters, { filters, recidiveFilter } from '../src/index.js';

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

describe('@f2b/filter-misc', () => {
  it('registers exactly the ids its manifest declares', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const core = new Core({ logLevel: 'silent' });
    core.use(miscFilters());
    expect(core.listFilters().map((f) => f.def.id).sort()).toEqual([...manifest.f2b.filters].sort());
  });

  it('recidive can ignore other jails', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const line = (jail: string) => parser.parse(Buffer.from(`[${jail}] Ban 192.0.2.1 until 2024-12-31T12:10:00.000Z (failures: 5, ban #1)`));
    const runner = new FilterRunner(recidiveFilter, { options: { ignoreJails: ['recidive', 'nginx-botsearch'] } });
    expect(runner.process(line('nginx-botsearch'), NOW)).toEqual([]);
    expect(runner.process(line('sshd'), NOW).map((f) => f.id)).toEqual(['192.0.2.1']);
  });
});
