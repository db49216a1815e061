/**
 * `@f2b/filter-misc`: filters for databases, DNS, VoIP, VPN, proxies, web applications, PAM and repeat
 * offenders, with the ids fail2ban users know.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { dropbearFilter, mysqldAuthFilter, namedRefusedFilter, openvpnFilter, pamGenericFilter } from './services.js';
import { asteriskFilter } from './asterisk.js';
import { haproxyHttpAuthFilter, squidFilter, traefikAuthFilter } from './proxies.js';
import { bitwardenFilter, drupalAuthFilter, gitlabFilter, grafanaFilter, vaultwardenFilter } from './webapps.js';
import { recidiveFilter } from './recidive.js';

export {
  mysqldAuthFilter,
  namedRefusedFilter,
  asteriskFilter,
  dropbearFilter,
  openvpnFilter,
  squidFilter,
  haproxyHttpAuthFilter,
  traefikAuthFilter,
  grafanaFilter,
  gitlabFilter,
  vaultwardenFilter,
  bitwardenFilter,
  drupalAuthFilter,
  pamGenericFilter,
  recidiveFilter,
};
export type { RecidiveOptions } from './recidive.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  mysqldAuthFilter,
  namedRefusedFilter,
  asteriskFilter,
  dropbearFilter,
  openvpnFilter,
  squidFilter,
  haproxyHttpAuthFilter,
  traefikAuthFilter,
  grafanaFilter,
  gitlabFilter,
  vaultwardenFilter,
  bitwardenFilter,
  drupalAuthFilter,
  pamGenericFilter,
  recidiveFilter,
];

/** The plugin: registers every filter above (its name, version and core range are in package.json). */
export default function miscFilters(): F2bPlugin {
  return {
    apply(api) {
      for (const def of filters) api.registerFilter(def);
    },
  };
}
