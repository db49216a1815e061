/**
 * `apache-auth`: failed HTTP authentication and authorization in Apache's error log (mod_auth_basic,
 * mod_auth_digest, mod_authz_*, access denied by `Require`/`Deny`), and TLS SNI/Host mismatches.
 */
import type { FilterDefinition, FilterRule } from '@f2b/core';
import { REFERER, errorRules } from './common.js';

const AGGRESSIVE = ['aggressive'];

const rules: FilterRule[] = [
  // mod_auth_digest first: its `user `x' in realm …' not found` would also fit the basic pattern
  ...errorRules('digest-user-not-found', "(?:Digest: )?user `(?P<user>.*)' in realm `.*' not found: .*$"),
  // 2.4 AH01617: wrong password
  ...errorRules('password-mismatch', 'user (?P<user>.*): authentication failure for ".*": Password Mismatch' + REFERER),
  // mod_auth_digest
  ...errorRules('digest-password-mismatch', '(?:Digest: )?user (?P<user>.*): password mismatch: .*$'),
  // mod_auth_basic / mod_authn_*: unknown user (2.2 `user x not found: /p`, 2.4 AH01618)
  ...errorRules('user-not-found', 'user (?P<user>.*) not found(?:: .*)?$'),
  ...errorRules('digest-bad-qop', "(?:Digest: )?invalid qop `.*' received: .*$"),
  ...errorRules('digest-bad-algorithm', "(?:Digest: )?unknown algorithm `.*' received: .*$"),
  ...errorRules('digest-bad-nonce', '(?:Digest: )?invalid nonce .* received - (?:length is not [0-9]+|user attempted time travel)' + REFERER),
  // mod_authz_*: a known user who may not see the resource
  ...errorRules('authz-failure', 'user (?P<user>.*): authorization failure for ".*":.*$'),
  ...errorRules('authz-owner', 'Authorization of user (?P<user>.*) to access .* failed, reason: .*$'),
  // Require/Deny: the client itself is refused
  ...errorRules('client-denied', 'client denied by server configuration: .*$'),
  // mod_ssl: a TLS name that does not fit the HTTP Host (scanners connecting by address)
  ...errorRules('sni-mismatch', 'Hostname .* provided via SNI(?:, but no hostname provided in HTTP request| and hostname .* provided via HTTP (?:are different|have no compatible SSL setup|select a different server))' + REFERER),
  // aggressive: digest nonces that fail their hash, browsers that pick the wrong scheme
  ...errorRules('digest-nonce-hash', '(?:Digest: )?invalid nonce .* received - hash is not .*$', { modes: AGGRESSIVE }),
  ...errorRules('wrong-scheme', 'client used wrong authentication scheme: .*$', { modes: AGGRESSIVE }),
];

export const apacheAuthFilter: FilterDefinition = {
  id: 'apache-auth',
  description: 'Apache error log: unknown users, wrong passwords (basic and digest), authorization failures, clients denied by configuration',
  modes: ['normal', 'aggressive'],
  rules,
};
