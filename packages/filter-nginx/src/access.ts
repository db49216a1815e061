/**
 * Filters on nginx's error.log and access.log that recognise scanners: `nginx-botsearch` (probes for
 * software the site does not run), `nginx-bad-request` (requests nginx could not parse: answered 400),
 * `nginx-forbidden` (requests denied by `deny` rules).
 */
import type { FilterDefinition } from '@f2b/core';
import { ACCESS_START, AFTER_REQUEST, ERR_PREFIX, QUOTED } from './common.js';
import { PROBE_URI } from './probes.js';

const NOT_FOUND = '(?:open\\(\\) "[^"]*" failed \\(2: No such file or directory\\)|"[^"]*" is not found \\(2: No such file or directory\\))';

export const nginxBotsearchFilter: FilterDefinition = {
  id: 'nginx-botsearch',
  description: 'nginx: scans for software the site does not run (wp-login.php, .env, .git, phpmyadmin, cgi-bin…), in error.log or access.log',
  rules: [
    // access.log: with `try_files … =404` (Debian's default site) a missing file never reaches error.log.
    { id: 'probe-access', pattern: `${ACCESS_START}"[A-Z]+ ${PROBE_URI} HTTP/[0-9.]+" (?:404|403|444) [0-9-]+(?: .*)?$` },
    // error.log: the path is the decoded URI and may hold quotes; with nginx's strict tail after the
    // request line a forged segment inside it cannot be the one that matches.
    { id: 'probe-error', pattern: `${ERR_PREFIX}${NOT_FOUND}, client: <ADDR>, server: [^,]*, request: "[A-Z]+ ${PROBE_URI} HTTP/[0-9.]+"${AFTER_REQUEST}` },
  ],
};

export const nginxBadRequestFilter: FilterDefinition = {
  id: 'nginx-bad-request',
  description: 'nginx access.log: requests answered 400 Bad Request (garbage, TLS or RDP on the HTTP port, malformed lines)',
  rules: [
    { id: 'bad-request', pattern: `${ACCESS_START}${QUOTED} 400 [0-9-]+(?: .*)?$` },
  ],
};

export const nginxForbiddenFilter: FilterDefinition = {
  id: 'nginx-forbidden',
  description: 'nginx error.log: requests denied by `deny` rules (access forbidden by rule)',
  rules: [
    { id: 'forbidden-by-rule', pattern: `${ERR_PREFIX}access forbidden by rule, client: <ADDR>, server: .*$` },
  ],
};
