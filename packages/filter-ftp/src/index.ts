/**
 * `@f2b/filter-ftp`: filters for FTP servers, with the ids fail2ban users know.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { proftpdFilter, pureFtpdFilter, vsftpdFilter } from './ftp.js';

export { vsftpdFilter, proftpdFilter, pureFtpdFilter };

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [vsftpdFilter, proftpdFilter, pureFtpdFilter];

/** The plugin: registers every filter above (its name, version and core range are in package.json). */
export default function ftpFilters(): F2bPlugin {
  return {
    apply(api) {
      for (const def of filters) api.registerFilter(def);
    },
  };
}
