/**
 * `nginx-http-auth`: failed HTTP basic authentication (auth_basic, ngx_http_auth_pam), and in mode
 * `fallback` clients that break off the TLS handshake with garbage (scanners speaking the wrong protocol).
 */
import type { FilterDefinition } from '@f2b/core';
import { ERR_PREFIX, ERR_TAIL, carriesLaterFields, guardedReducer } from './common.js';

const AUTH = ['normal', 'auth', 'aggressive'];
const TLS = ['fallback', 'aggressive'];

export const nginxHttpAuthFilter: FilterDefinition = {
  id: 'nginx-http-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'nginx error.log: wrong basic-auth user or password (auth_basic, auth_pam); TLS handshake garbage in mode fallback',
  modes: ['normal', 'auth', 'fallback', 'aggressive'],
  rules: [
    // The usual case: a user name without `"` — the first `client:` after it is nginx's own.
    {
      id: 'user-not-found',
      modes: AUTH,
      keywords: [' was not found in '],
      pattern: `${ERR_PREFIX}user "(?P<user>[^"]*)":? was not found in "[^"]*", client: <ADDR>${ERR_TAIL}`,
    },
    {
      id: 'password-mismatch',
      modes: AUTH,
      keywords: [': password mismatch'],
      pattern: `${ERR_PREFIX}user "(?P<user>[^"]*)": password mismatch, client: <ADDR>${ERR_TAIL}`,
    },
    {
      id: 'pam',
      modes: AUTH,
      keywords: ['PAM: user '],
      pattern: `${ERR_PREFIX}PAM: user '(?P<user>[^']*)' - not authenticated: [^,"]*, client: <ADDR>${ERR_TAIL}`,
    },
    // A user name with quotes may imitate a whole `…, client: x, server: …` segment: the greedy capture
    // takes the last segment that is followed by nginx's strict tail (see the reducer for the rest).
    {
      id: 'quoted-user',
      modes: AUTH,
      keywords: [' was not found in ', ': password mismatch'],
      pattern: `${ERR_PREFIX}user "(?P<user>.*)"(?:: password mismatch|:? was not found in "[^"]*"), client: <ADDR>${ERR_TAIL}`,
    },
    {
      id: 'tls-handshake',
      modes: TLS,
      keywords: ['SSL_do_handshake() failed'],
      pattern: `${ERR_PREFIX}SSL_do_handshake\\(\\) failed \\(SSL: .*\\) while SSL handshaking, client: <ADDR>, server: [^,]*$`,
    },
    {
      id: 'tls-garbage',
      modes: TLS,
      keywords: ['SSL_read() failed'],
      pattern: `${ERR_PREFIX}SSL_read\\(\\) failed \\(SSL: .*\\) while waiting for request, client: <ADDR>, server: [^,]*$`,
    },
  ],
  // A greedy user capture that swallowed nginx's own referrer/upstream fields means the segment found
  // came from the referrer (text after the real client address): count nobody.
  createReducer: guardedReducer((c) => carriesLaterFields(c.user)),
};
