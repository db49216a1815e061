/**
 * `dovecot`: failed IMAP/POP3/ManageSieve/submission logins, from the login processes' summary lines
 * and the auth processes' per-attempt lines (passdb pam/passwd-file/sql/ldap/…), in Dovecot's own log
 * file or syslog. Mode `aggressive` also counts connections that ended without any authentication
 * attempt (TLS garbage, scanners).
 *
 * Dovecot's log prefixes vary (`dovecot: imap-login:`, `imap-login:` as the syslog program,
 * `auth-worker(1234):`, `auth: Info:`), and the auth worker's pid is part of its name, so there is no
 * program prefilter; each pattern is anchored and starts with one of those prefixes. User names are
 * written before the remote address: the patterns take the last `rip=`/`,<addr>)` that is followed by
 * Dovecot's own fields, so a user name that contains an address does not move it.
 */
import type { FilterDefinition } from '@f2b/core';

/** Optional daemontools TAI64N stamp, `dovecot: `, and the `Info: ` level. */
const PRE = '^(?:@[0-9a-f]{24} )?(?:dovecot: )?';
/** `imap-login: ` is part of the message, or (Dovecot's own log through syslog) the program name. */
const LOGIN = `${PRE}(?:[a-z0-9]+-login: )?(?:Info: )?`;
/** The fields after the user: `method=…, rip=<addr>[, lip=…, TLS…, session=<…>]`. */
const AFTER_USER = '>, (?:method=[A-Za-z0-9_-]+, )?rip=<ADDR>(?:, .*)?$';
const FAILED = '\\((?:auth failed, [0-9]+ attempts?(?: in [0-9]+ secs?)?|tried to use (?:disabled|disallowed) [^)]*|proxy dest auth failed)\\)';
/** Auth process prefixes: `auth:`, `auth-worker(123):`, `auth(default):`, the worker's conn tag. */
const AUTH = `${PRE}(?:auth(?:-worker)?(?:\\([^)]*\\))?: )?(?:conn unix:[^ ]+ \\([^)]*\\): auth-worker<[0-9]+>: )?(?:Info: )?`;
const PASSDB = '(?:pam|passwd-file|passwd|shadow|sql|ldap|checkpassword|bsdauth|vpopmail|oauth2|lua|static)';
const VERDICT = [
  'unknown user(?: \\(SHA1 of given password: [0-9a-f]+\\))?',
  'Password mismatch(?: \\(for LDAP bind\\))?(?: \\(SHA1 of given password: [0-9a-f]+\\))?',
  '(?:invalid|Invalid) credentials',
  'pam_authenticate\\(\\) failed: (?:Authentication failure(?: \\([Pp]assword mismatch\\?\\))?|User not known to the underlying authentication module|Permission denied)',
].join('|');

export const dovecotFilter: FilterDefinition = {
  id: 'dovecot',
  description: 'Dovecot: failed logins (login process summaries and auth passdb results); mode aggressive adds connections without any login attempt',
  modes: ['normal', 'aggressive'],
  rules: [
    // `imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u>, method=PLAIN, rip=…`; the
    // reason before the parenthesis and Dovecot 2.3.21's `(auth_failed)` code vary.
    { id: 'login-failed', pattern: `${LOGIN}(?:.* )?${FAILED}(?: \\([a-z_]+\\))?: user=<(?P<user>.*)${AFTER_USER}` },
    { id: 'login-failed', pattern: `${LOGIN}(?:.* )?${FAILED}(?: \\([a-z_]+\\))?: rip=<ADDR>(?:, .*)?$` },
    { id: 'passdb-failed', pattern: `${AUTH}${PASSDB}\\((?P<user>.*),<ADDR>(?:,<[^>]*>|,)?\\): (?:${VERDICT})(?:: [0-9]+ Time\\(s\\))?$` },
    // Dovecot's PAM service logging through pam_unix
    { id: 'pam-unix', pattern: '^pam_unix\\(dovecot:auth\\): authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=(?P<user>.*?) rhost=<HOST>(?: +user=.*)? *$' },
    {
      id: 'no-auth-attempt', modes: ['aggressive'],
      pattern: `${LOGIN}(?:.* )?\\(no auth attempts(?: in [0-9]+ secs?)?\\)(?: \\([a-z_]+\\))?: user=<(?P<user>.*)${AFTER_USER}`,
    },
  ],
};
