/**
 * `@f2b/filter-misc`: filters for databases, DNS, VoIP, VPN, proxies, web applications, PAM and repeat
 * offenders, with the ids fail2ban users know.
 */
import { createRequire } from 'node:module';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import { dropbearFilter, mysqldAuthFilter, namedRefusedFilter, openvpnFilter, pamGenericFilter } from './services.js';
import { asteriskFilter } from './asterisk.js';
import { haproxyHttpAuthFilter, squidFilter, traefikAuthFilter } from './proxies.js';
import { bitwardenFilter, drupalAuthFilter, gitlabFilter, grafanaFilter, vaultwardenFilter } from './webapps.js';
import { recidiveFilter } from './recidive.js';

const PLUGIN_NAME = '@f2b/filter-misc';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export {
  mysqldAuthFilter, namedRefusedFilter, asteriskFilter, dropbearFilter, openvpnFilter, squidFilter,
  haproxyHttpAuthFilter, traefikAuthFilter, grafanaFilter, gitlabFilter, vaultwardenFilter, bitwardenFilter,
  drupalAuthFilter, pamGenericFilter, recidiveFilter,
};
export type { RecidiveOptions } from './recidive.js';

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  mysqldAuthFilter, namedRefusedFilter, asteriskFilter, dropbearFilter, openvpnFilter, squidFilter,
  haproxyHttpAuthFilter, traefikAuthFilter, grafanaFilter, gitlabFilter, vaultwardenFilter, bitwardenFilter,
  drupalAuthFilter, pamGenericFilter, recidiveFilter,
];

export default function miscFilters() {
  return definePlugin({
    meta: { name: PLUGIN_NAME, version, core: '^0.1.0', kind: 'filter' },
    apply(core) {
      for (const def of filters) core.registerFilter(def);
    },
  });
}
