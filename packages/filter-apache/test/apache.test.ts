import { describe, expect, it } from 'vitest';
import { testFilterPackage } from '@f2b/core/testing';
import apacheFilters from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');

testFilterPackage({ describe, it, expect }, {
  plugin: apacheFilters(), manifest: new URL('../package.json', import.meta.url),
  fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: NOW, everyRule: true,
});

