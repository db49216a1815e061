/**
 * `apache-auth`: failed HTTP authentication and authorization in Apache's error log (mod_auth_basic,
 * mod_auth_digest, mod_auth_form, mod_authnz_ldap, mod_authz_*, access denied by `Require`/`Deny`),
 * and TLS SNI/Host mismatches. Every message is listed, with its source, in CATALOGUE.md.
 */
import type { FilterDefinition, FilterRule } from '@f2b/core';
import { REFERER, errorRules } from './common.js';

const AGGRESSIVE = ['aggressive'];
/** mod_auth_digest of Apache 2.2 starts its messages with `Digest: `; 2.4 does not. */
const DIGEST = '(?:Digest: )?';

const rules: FilterRule[] = [
  // --- authentication: unknown users and wrong passwords
  // mod_auth_digest first: its `user `x' in realm …' not found` would also fit the basic pattern
  ...errorRules('digest-user-not-found', `${DIGEST}user \`(?P<user>.*)' in realm \`.*' not found: .*$`),
  ...errorRules('digest-user-denied', `${DIGEST}user \`(?P<user>.*)' in realm \`.*' denied by provider: .*$`),
  // mod_auth_form (AH01807, AH01808) quotes the user name: before the basic patterns, which would keep the quotes
  ...errorRules('form-password-mismatch', `user '(?P<user>.*)': authentication failure for ".*": password Mismatch${REFERER}`),
  ...errorRules('form-user-not-found', "user '(?P<user>.*)' not found: .*$"),
  // mod_auth_basic AH01617 (2.4), the same text without number in 2.0/2.2
  ...errorRules('password-mismatch', `user (?P<user>.*): authentication failure for ".*": Password Mismatch${REFERER}`),
  // mod_auth_digest AH01792/AH01794
  ...errorRules('digest-password-mismatch', `${DIGEST}user (?P<user>.*): password mismatch: .*$`),
  // mod_auth_basic AH01618 (2.4), `user x not found: /p` (2.2)
  ...errorRules('user-not-found', 'user (?P<user>.*) not found(?:: .*)?$'),
  // mod_authnz_ldap AH01695 (LogLevel info)
  ...errorRules('ldap-auth-failed', 'auth_ldap authenticate: user (?P<user>.*) authentication failed; URI .*$'),
  // --- mod_auth_digest: Authorization headers no browser sends (forged, replayed or scanners')
  ...errorRules('digest-bad-qop', `${DIGEST}invalid qop \`.*' received: .*$`),
  ...errorRules('digest-bad-algorithm', `${DIGEST}unknown algorithm \`.*' received: .*$`),
  ...errorRules(
    'digest-bad-nonce',
    `${DIGEST}invalid nonce .* received - (?:length is not [0-9]+(?: or time encoding is incorrect)?|user attempted time travel)${REFERER}`,
  ),
  ...errorRules('digest-bad-nc', `${DIGEST}invalid nc .* received - (?:not a number|no nonce count allowed when qop=none)${REFERER}`),
  ...errorRules('digest-bad-header', `${DIGEST}missing user, realm, nonce, uri, digest, cnonce, or nonce_count in authorization header: .*$`),
  ...errorRules('digest-bad-uri', `${DIGEST}invalid uri <.*> in Authorization header${REFERER}`),
  ...errorRules('digest-uri-mismatch', `${DIGEST}uri mismatch - <.*> does not match request-uri <.*>${REFERER}`),
  ...errorRules('digest-bad-opaque', `${DIGEST}received invalid opaque - got \`.*'${REFERER}`),
  ...errorRules('digest-realm-mismatch', `${DIGEST}realm mismatch - got \`.*' but (?:expected \`.*'|no realm specified)${REFERER}`),
  // --- authorization: a known user who may not see the resource
  // mod_authz_core AH01631 (2.4)
  ...errorRules('authz-failure', 'user (?P<user>.*): authorization failure for ".*":.*$'),
  // mod_authz_owner, mod_authz_groupfile, mod_authz_dbm (2.2 and 2.4)
  ...errorRules('authz-owner', 'Authorization of user (?P<user>.*) to access .* failed, reason: .*$'),
  // mod_authz_user (2.2)
  ...errorRules(
    'authz-user',
    "access to .* failed, reason: user '(?P<user>.*)' does not meet 'require'ments for user/valid-user to be allowed access" + REFERER,
  ),
  // Require/Deny: the client itself is refused (mod_authz_core AH01630, mod_access_compat AH01797, 2.2 mod_authz_host)
  ...errorRules('client-denied', 'client denied by server configuration: .*$'),
  // mod_ssl AH02031/AH02032: a TLS name that does not fit the HTTP Host (scanners connecting by address)
  ...errorRules(
    'sni-mismatch',
    'Hostname .* provided via SNI(?:, but no hostname provided in HTTP request| and hostname .* provided via HTTP (?:are different|have no compatible SSL setup|select a different server))' +
      REFERER,
  ),
  // --- aggressive: what browsers and honest misconfiguration also cause
  // stale nonces after a restart (AH01776), parallel requests racing the nonce count (AH01774)
  ...errorRules('digest-nonce-hash', `${DIGEST}invalid nonce .* received - hash is not .*$`, { modes: AGGRESSIVE }),
  ...errorRules('digest-replay', `${DIGEST}Warning, possible replay attack: nonce-count check failed: [0-9]+ != [0-9]+${REFERER}`, { modes: AGGRESSIVE }),
  // a browser that sends another scheme first (AH01614, AH00573, digest AH01781)
  ...errorRules('wrong-scheme', `${DIGEST}client used wrong authentication scheme(?: \`.*')?: .*$`, { modes: AGGRESSIVE }),
  // AH01629: authorization needs a user, none was authenticated
  ...errorRules('authz-no-user', 'authorization failure \\(no authenticated user\\): .*$', { modes: AGGRESSIVE }),
  // 2.2 mod_authz_default: an authenticated user no authorization module granted
  ...errorRules('authz-default', 'access to .* failed, reason: require directives present and no Authoritative handler\\.' + REFERER, { modes: AGGRESSIVE }),
  // AH01753: `Require host` and the client's address has no reverse name
  ...errorRules('host-unresolved', "access check of '.*' to .* failed, reason: unable to get the remote host name" + REFERER, { modes: AGGRESSIVE }),
  // AH02033: TLS without SNI on a name-based virtual host (scanners by address; also very old clients)
  ...errorRules('no-sni', 'No hostname was provided via SNI for a name based virtual host' + REFERER, { modes: AGGRESSIVE }),
];

export const apacheAuthFilter: FilterDefinition = {
  id: 'apache-auth',
  description:
    'Apache error log: unknown users, wrong passwords (basic, digest, form, LDAP), forged digest headers, authorization failures, clients denied by configuration',
  modes: ['normal', 'aggressive'],
  rules,
};
