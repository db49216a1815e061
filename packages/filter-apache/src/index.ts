/**
 * `@f2b/filter-apache`: filters for Apache httpd's error and access logs, with the ids fail2ban users know.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { apacheAuthFilter } from './auth.js';
import { apacheBadbotsFilter } from './badbots.js';
import { apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter } from './scans.js';

export { apacheAuthFilter, apacheBadbotsFilter, apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter };
export { BAD_AGENTS } from './badbots.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [apacheAuthFilter, apacheBadbotsFilter, apacheBotsearchFilter, apacheNoscriptFilter, apacheOverflowsFilter];

/** The plugin: registers every filter above (its name, version and core range are in package.json). */
export default function apacheFilters(): F2bPlugin {
  return {
    apply(api) {
      for (const def of filters) api.registerFilter(def);
    },
  };
}
