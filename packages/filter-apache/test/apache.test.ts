import { describe, it } from 'vitest';
import { FilterTester, testFilterPackage } from '@f2b/core/testing';
import apacheFilters from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
FilterTester.describe = describe;
FilterTester.it = it;

testFilterPackage({
  plugin: apacheFilters(),
  manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url),
  now: NOW,
  everyRule: true,
});
