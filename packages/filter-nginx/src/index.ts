/**
 * `@f2b/filter-nginx`: filters for nginx's error and access logs, with the ids fail2ban users know.
 */
import { createRequire } from 'node:module';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import { nginxHttpAuthFilter } from './http-auth.js';
import { nginxLimitReqFilter } from './limit-req.js';
import { nginxBadRequestFilter, nginxBotsearchFilter, nginxForbiddenFilter } from './access.js';

const PLUGIN_NAME = '@f2b/filter-nginx';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export { nginxHttpAuthFilter, nginxLimitReqFilter, nginxBotsearchFilter, nginxBadRequestFilter, nginxForbiddenFilter };
export type { NginxLimitReqOptions } from './limit-req.js';
export { PROBE_URI } from './probes.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  nginxHttpAuthFilter, nginxLimitReqFilter, nginxBotsearchFilter, nginxBadRequestFilter, nginxForbiddenFilter,
];

export default function nginxFilters() {
  return definePlugin({
    meta: { name: PLUGIN_NAME, version, core: '^0.1.0', kind: 'filter' },
    apply(core) {
      for (const def of filters) core.registerFilter(def);
    },
  });
}
