/**
 * `@f2b/filter-nginx`: filters for nginx's error and access logs, with the ids fail2ban users know.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { nginxHttpAuthFilter } from './http-auth.js';
import { nginxLimitReqFilter } from './limit-req.js';
import { nginxBadRequestFilter, nginxBotsearchFilter, nginxForbiddenFilter } from './access.js';

export { nginxHttpAuthFilter, nginxLimitReqFilter, nginxBotsearchFilter, nginxBadRequestFilter, nginxForbiddenFilter };
export type { NginxLimitReqOptions } from './limit-req.js';
export { PROBE_URI } from './probes.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  nginxHttpAuthFilter,
  nginxLimitReqFilter,
  nginxBotsearchFilter,
  nginxBadRequestFilter,
  nginxForbiddenFilter,
];

/** The plugin: registers every filter above (its name, version and core range are in package.json). */
export default function nginxFilters(): F2bPlugin {
  return {
    apply(api) {
      for (const def of filters) api.registerFilter(def);
    },
  };
}
