/**
 * `@f2b/filter-apache`: filters for Apache httpd's error and access logs, with the ids fail2ban users know.
 */
import { createRequire } from 'node:module';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import { apacheAuthFilter } from './auth.js';
import { apacheBadbotsFilter } from './badbots.js';
import { apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter } from './scans.js';

const PLUGIN_NAME = '@f2b/filter-apache';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export { apacheAuthFilter, apacheBadbotsFilter, apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter };
export { BAD_AGENTS } from './badbots.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  apacheAuthFilter, apacheBadbotsFilter, apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter,
];

export default function apacheFilters() {
  return definePlugin({
    meta: { name: PLUGIN_NAME, version, core: '^0.1.0', kind: 'filter' },
    apply(core) {
      for (const def of filters) core.registerFilter(def);
    },
  });
}
