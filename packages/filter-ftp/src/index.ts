/**
 * `@f2b/filter-ftp`: filters for FTP servers, with the ids fail2ban users know.
 */
import { createRequire } from 'node:module';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import { proftpdFilter, pureFtpdFilter, vsftpdFilter } from './ftp.js';

const PLUGIN_NAME = '@f2b/filter-ftp';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export { vsftpdFilter, proftpdFilter, pureFtpdFilter };

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [vsftpdFilter, proftpdFilter, pureFtpdFilter];

export default function ftpFilters() {
  return definePlugin({
    meta: { name: PLUGIN_NAME, version, core: '^0.1.0', kind: 'filter' },
    apply(core) {
      for (const def of filters) core.registerFilter(def);
    },
  });
}
