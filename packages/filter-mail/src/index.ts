/**
 * `@f2b/filter-mail`: filters for mail servers and webmail, with the ids fail2ban users know.
 */
import { createRequire } from 'node:module';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import { postfixFilter } from './postfix.js';
import { dovecotFilter } from './dovecot.js';
import { eximFilter } from './exim.js';
import { courierAuthFilter } from './courier.js';
import { sendmailAuthFilter, sendmailRejectFilter } from './sendmail.js';
import { roundcubeAuthFilter } from './roundcube.js';

const PLUGIN_NAME = '@f2b/filter-mail';
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export { postfixFilter, dovecotFilter, eximFilter, courierAuthFilter, sendmailAuthFilter, sendmailRejectFilter, roundcubeAuthFilter };

/** Every filter of this package, in the order of the manifest. */
export const filters: readonly FilterDefinition[] = [
  postfixFilter, dovecotFilter, eximFilter, courierAuthFilter, sendmailAuthFilter, sendmailRejectFilter, roundcubeAuthFilter,
];

export default function mailFilters() {
  return definePlugin({
    meta: { name: PLUGIN_NAME, version, core: '^0.1.0', kind: 'filter' },
    apply(core) {
      for (const def of filters) core.registerFilter(def);
    },
  });
}
