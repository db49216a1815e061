/**
 * `@f2b/filter-mail`: filters for mail servers and webmail, with the ids fail2ban users know.
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { postfixFilter } from './postfix.js';
import { dovecotFilter } from './dovecot.js';
import { eximFilter } from './exim.js';
import { courierAuthFilter } from './courier.js';
import { sendmailAuthFilter, sendmailRejectFilter } from './sendmail.js';
import { roundcubeAuthFilter } from './roundcube.js';

export { postfixFilter, dovecotFilter, eximFilter, courierAuthFilter, sendmailAuthFilter, sendmailRejectFilter, roundcubeAuthFilter };

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  postfixFilter,
  dovecotFilter,
  eximFilter,
  courierAuthFilter,
  sendmailAuthFilter,
  sendmailRejectFilter,
  roundcubeAuthFilter,
];

/** The plugin: registers every filter above (its name, version and core range are in package.json). */
export default function mailFilters(): F2bPlugin {
  return {
    apply(api) {
      for (const def of filters) api.registerFilter(def);
    },
  };
}
