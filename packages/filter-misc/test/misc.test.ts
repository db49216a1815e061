import { describe, expect, it } from 'vitest';
import { FilterRunner, EntryParser } from '@f2b/core';
import { testFilterPackage } from '@f2b/core/testing';
import miscFilters, { recidiveFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');

testFilterPackage({ describe, it, expect }, {
  plugin: miscFilters(), manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: NOW,
});

describe('@f2b/filter-misc', () => {
  it('recidive can ignore other jails', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const line = (jail: string) => parser.parse(Buffer.from(`[${jail}] Ban 192.0.2.1 until 2024-12-31T12:10:00.000Z (failures: 5, ban #1)`));
    const runner = new FilterRunner(recidiveFilter, { options: { ignoreJails: ['recidive', 'nginx-botsearch'] } });
    expect(runner.process(line('nginx-botsearch'), NOW)).toEqual([]);
    expect(runner.process(line('sshd'), NOW).map((f) => f.id)).toEqual(['192.0.2.1']);
  });
});
