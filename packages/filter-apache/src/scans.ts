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
    // mod_cgi 2.4.58+: `stderr from /path: script not found…`; the path ends at the last `: ` of the message
    ...errorRules('probe-script', `stderr from ${PROBE_PATH}: script not found or unable to stat${REFERER}`),
  ],
};

export const apacheNoscriptFilter: FilterDefinition = {
  id: 'apache-noscript',
  description: 'Apache error log: requests for scripts that do not exist (CGI, PHP via FastCGI, PHP/ASP/Perl files)',
  rules: [
    // mod_cgi/mod_cgid AH02811/AH01264: `…: /path` (2.0–2.4.57), `stderr from /path: …` (mod_cgi 2.4.58+),
    // `script '/path' not found…` (1.3)
    ...errorRules('script-not-found', 'script not found or unable to stat: .*$'),
    ...errorRules('script-not-found', "script '.*' not found or unable to stat" + REFERER),
    ...errorRules('script-not-found', 'stderr from .*: script not found or unable to stat' + REFERER),
    // php-fpm behind mod_proxy_fcgi (AH01071); Apache escapes the newline php-fpm sends
    ...errorRules('primary-script-unknown', "Got error 'Primary script unknown(?:\\\\n)?'" + REFERER),
    // core AH00128/AH00130 (2.4: LogLevel core:info), 2.2 `File does not exist`
    ...errorRules('script-file-missing', `File does not exist: /[^,]*${SCRIPT_EXT}(?:/[^,]*)?${REFERER}`),
  ],
};

/** protocol.c's `HTTP Request Line; …` reasons (LogLevel core:debug, 2.4.24+ with HttpProtocolOptions). */
const BAD_LINE = [
  'Invalid method token: .*',
  'Missing URI',
  'URI incorrectly encoded: .*',
  'Invalid whitespace',
  'Excess whitespace \\(disallowed by HttpProtocolOptions Strict\\)',
  'Extraneous text found .*',
  'Rejected HTTP/0\\.9 request',
  'Unrecognized protocol .*',
  'Unrecognized HTTP method: .*',
  'Unable to parse URI: .*',
  'URI must not contain a fragment',
  'URI must not contain a username/password',
];

/** protocol.c's reasons for refusing request headers (AH00564, AH02426, AH02427, AH03451–AH03453). */
const BAD_HEADER = [
  "Request header field is missing ':' separator: .*",
  'Request header field name was empty',
  'Request header field name presented invalid whitespace',
  'Request header field value presented bad whitespace',
  'Request header field name is malformed: .*',
  'Request header value is malformed: .*',
  'Line folding encountered before first header line',
  'Empty folded line encountered',
];

export const apacheOverflowsFilter: FilterDefinition = {
  id: 'apache-overflows',
  description:
    'Apache error log: invalid or overlong request lines and headers, request smuggling attempts (exploit attempts, TLS or garbage on the HTTP port)',
  rules: [
    // core AH00126 (`Invalid URI in request GET … HTTP/1.1`, since 2.4.41 `'uri' 'line'`), AH00134/AH00135
    ...errorRules('invalid-request', 'Invalid (?:URI|method) in request.*$'),
    // AH00565 (2.2.?–2.4), `URI too long` (2.0)
    ...errorRules('uri-too-long', "request failed: (?:URI too long|client's request-line exceeds LimitRequestLine) \\(longer than [0-9]+\\)" + REFERER),
    ...errorRules('bad-protocol', 'request failed: erroneous characters after protocol string: .*$'),
    // AH00566 (2.4.10: `invalid characters in URI` at info, later `malformed request line` at debug).
    // Not AH00567 `error reading the headers`: a summary written after the reason, which is counted.
    ...errorRules('bad-request-line', 'request failed: (?:malformed request line|invalid characters in URI)' + REFERER),
    ...errorRules('bad-request-line', `HTTP Request Line; (?:${BAD_LINE.join('|')})${REFERER}`),
    // AH00560/AH00561/AH00562 (info), AH00563
    ...errorRules('header-too-long', 'Request header exceeds LimitRequestFieldSize.*$'),
    ...errorRules('too-many-headers', 'Number of request headers exceeds LimitRequestFields' + REFERER),
    ...errorRules('bad-header', `(?:${BAD_HEADER.join('|')})${REFERER}`),
    // request smuggling: protocol.c AH10242, AH02539 (debug), ap_setup_client_block AH01592/AH01594 (info).
    // Not AH01585/AH01587: ap_http_filter writes them for proxied responses too, under the client's address.
    ...errorRules('bad-body-framing', 'client sent (?:invalid Content-Length|unknown Transfer-Encoding) \\(.*\\): .*$'),
    ...errorRules('bad-body-framing', "(?:Unknown Transfer-Encoding [^:;]*|Invalid Content-Length '.*')" + REFERER),
    // request.c AH10244 (2.4.49+): a path that escapes the document root (CVE-2021-41773 probes)
    ...errorRules('invalid-uri-path', 'invalid URI path \\(.*\\)' + REFERER),
  ],
};
