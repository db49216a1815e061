import { describe, it } from 'vitest';
import { FilterTester, testFilterPackage } from '@f2b/core/testing';
import miscFilters, { recidiveFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
FilterTester.describe = describe;
FilterTester.it = it;

testFilterPackage({
  plugin: miscFilters(),
  manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url),
  now: NOW,
});

// recidive can ignore other jails.
const ban = (jail: string) => `[${jail}] Ban 192.0.2.1 until 2024-12-31T12:10:00.000Z (failures: 5, ban #1)`;
new FilterTester({ now: NOW, options: { ignoreJails: ['recidive', 'nginx-botsearch'] } }).run(recidiveFilter, {
  valid: [ban('nginx-botsearch'), ban('recidive')],
  invalid: [{ line: ban('sshd'), id: '192.0.2.1' }],
});
