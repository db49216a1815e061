/**
 * Filters on nginx's error.log and access.log that recognise scanners: `nginx-botsearch` (probes for
 * software the site does not run), `nginx-bad-request` (requests nginx could not parse: answered 400),
 * `nginx-forbidden` (requests denied by `deny` rules).
 */
import type { FilterDefinition } from '@f2b/core';
import { ACCESS_START, AFTER_REQUEST, ERR_PREFIX, ERR_TAIL, QUOTED } from './common.js';
import { PROBE_URI } from './probes.js';

const NOT_FOUND = '(?:open\\(\\) "[^"]*" failed \\(2: No such file or directory\\)|"[^"]*" is not found \\(2: No such file or directory\\))';

export const nginxBotsearchFilter: FilterDefinition = {
  id: 'nginx-botsearch',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'nginx: scans for software the site does not run (wp-login.php, .env, .git, phpmyadmin, cgi-bin…), in error.log or access.log',
  rules: [
    // access.log: with `try_files … =404` (Debian's default site) a missing file never reaches error.log.
    { id: 'probe-access', pattern: `${ACCESS_START}"[A-Z]+ ${PROBE_URI} HTTP/[0-9.]+" (?:404|403|444) [0-9-]+(?: .*)?$` },
    // error.log: the path is the decoded URI and may hold quotes; with nginx's strict tail after the
    // request line a forged segment inside it cannot be the one that matches.
    { id: 'probe-error', pattern: `${ERR_PREFIX}${NOT_FOUND}, client: <ADDR>, server: [^,]*, request: "[A-Z]+ ${PROBE_URI} HTTP/[0-9.]+"${AFTER_REQUEST}` },
  ],
};

/**
 * ngx_http_request.c / ngx_http_parse.c: why nginx answered 400 (or 414, 494), written at `info` to
 * error.log (`error_log … info`). Client text (a header line) never holds `"` in the usual form, and the
 * tail after `client:` is read strictly, so a forged segment cannot be the one that matches.
 */
const CLIENT_SENT = [
  'invalid method',
  'invalid request',
  'invalid version',
  'invalid method in HTTP/0\\.9 request',
  'invalid host in request line',
  'too long URI',
  'unsafe win32 URI',
  'too large request',
  'too long header line: "[^"]*"',
  'invalid header line: "[^"]*"',
  'too many header lines',
  'duplicate host header: "[^"]*", previous value: "[^"]*"',
  'invalid host header',
  'HTTP/1\\.1 request without "Host" header',
  'invalid "Content-Length" header',
  'HTTP/1\\.0 request with "Transfer-Encoding" header',
  '"Content-Length" and "Transfer-Encoding" headers at the same time',
  'unknown "Transfer-Encoding": "[^"]*"',
  'plain HTTP request to HTTPS port',
];

export const nginxBadRequestFilter: FilterDefinition = {
  id: 'nginx-bad-request',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: "nginx: requests answered 400 Bad Request (access.log), and nginx's reason for them (error.log at level info)",
  rules: [
    { id: 'bad-request', pattern: `${ACCESS_START}${QUOTED} 400 [0-9-]+(?: .*)?$` },
    // error.log: read only one of the two logs in a jail, or each bad request counts twice
    {
      id: 'client-sent',
      pattern: `${ERR_PREFIX}client sent (?:${CLIENT_SENT.join('|')}) while (?:reading client request (?:line|headers)|reading PROXY protocol), client: <ADDR>${ERR_TAIL}`,
    },
    { id: 'client-sent', pattern: `${ERR_PREFIX}client sent (?:${CLIENT_SENT.join('|')}), client: <ADDR>${ERR_TAIL}` },
  ],
};

export const nginxForbiddenFilter: FilterDefinition = {
  id: 'nginx-forbidden',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'nginx error.log: requests denied by `deny` rules (access forbidden by rule)',
  rules: [{ id: 'forbidden-by-rule', pattern: `${ERR_PREFIX}access forbidden by rule, client: <ADDR>, server: .*$` }],
};
