/**
 * Scanners in Apache's error log: `apache-botsearch` (probes for software the site does not run),
 * `apache-noscript` (requests for scripts that do not exist), `apache-overflows` (requests Apache
 * refused to parse: overlong or invalid URIs, invalid methods, TLS on the plain port).
 */
import type { FilterDefinition } from '@f2b/core';
import { REFERER, errorRules } from './common.js';
import { PROBE_PATH } from './probes.js';

const SCRIPT_EXT = '\\.(?:php[0-9]?|phtml|asp|aspx|jsp|cgi|pl|py|exe|dll|sh)';

export const apacheBotsearchFilter: FilterDefinition = {
  id: 'apache-botsearch',
  description: 'Apache error log: missing files and scripts that scanners look for (wp-login.php, phpmyadmin, webmail, .env, .git…)',
  rules: [
    ...errorRules('probe-file', `File does not exist: ${PROBE_PATH}${REFERER}`),
    ...errorRules('probe-script', `script not found or unable to stat: ${PROBE_PATH}${REFERER}`),
    ...errorRules('probe-script', `script '${PROBE_PATH}' not found or unable to stat${REFERER}`),
  ],
};

export const apacheNoscriptFilter: FilterDefinition = {
  id: 'apache-noscript',
  description: 'Apache error log: requests for scripts that do not exist (CGI, PHP via FastCGI, PHP/ASP/Perl files)',
  rules: [
    ...errorRules('script-not-found', 'script not found or unable to stat: .*$'),
    ...errorRules('script-not-found', "script '.*' not found or unable to stat" + REFERER),
    ...errorRules('script-not-found', 'stderr from .*: script not found or unable to stat' + REFERER),
    // php-fpm behind mod_proxy_fcgi
    ...errorRules('primary-script-unknown', "Got error 'Primary script unknown(?:\\\\n)?'" + REFERER),
    ...errorRules('script-file-missing', `File does not exist: /[^,]*${SCRIPT_EXT}${REFERER}`),
  ],
};

export const apacheOverflowsFilter: FilterDefinition = {
  id: 'apache-overflows',
  description: 'Apache error log: invalid or overlong request lines and headers (exploit attempts, TLS or garbage on the HTTP port)',
  rules: [
    ...errorRules('invalid-request', 'Invalid (?:URI|method) in request.*$'),
    ...errorRules('uri-too-long', 'request failed: URI too long \\(longer than [0-9]+\\)' + REFERER),
    ...errorRules('bad-protocol', 'request failed: erroneous characters after protocol string: .*$'),
    ...errorRules('bad-request-line', 'request failed: (?:malformed request line|invalid characters in URI|error reading the headers)' + REFERER),
    ...errorRules('header-too-long', 'Request header exceeds LimitRequestFieldSize.*$'),
    ...errorRules('invalid-uri-path', 'invalid URI path \\(.*\\)' + REFERER),
  ],
};
