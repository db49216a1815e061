/**
 * `dovecot`: failed IMAP/POP3/ManageSieve/submission logins, from the login processes' summary lines
 * and the auth processes' per-attempt lines (passdb pam/passwd-file/sql/ldap/…), in Dovecot's own log
 * file or syslog. Mode `aggressive` also counts connections that ended without any authentication
 * attempt (TLS garbage, scanners), with an unsupported mechanism, or a client that aborted its SASL
 * exchange. The message catalogue, with the source of every message: CATALOGUE.md.
 *
 * Counting: the login summary says how many attempts the connection made (`auth failed, 3 attempts
 * in 7 secs`) and counts that many; with `auth_verbose = yes` the auth process also writes one line per
 * attempt, tagged with the same session id as the summary, so the summary then adds only the attempts
 * not already counted for its session.
 *
 * Dovecot's log prefixes vary (`dovecot: imap-login:`, `imap-login:` as the syslog program,
 * `auth-worker(1234):`, `auth: Info:`), and the auth worker's pid is part of its name, so there is no
 * program prefilter; each pattern is anchored and starts with one of those prefixes. User names are
 * written before the remote address: the patterns take the last `rip=`/`,<addr>)` that is followed by
 * Dovecot's own fields, so a user name that contains an address does not move it. The auth process's
 * user is read without parentheses: otherwise a plain `given password` (verbose_passwords = plain, client
 * text after the address) could close the real prefix and forge a second one.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { SessionMap, oneAttempt } from './common.js';

/** Optional daemontools TAI64N stamp, `dovecot: `, and the `Info: ` level. */
const PRE = '^(?:@[0-9a-f]{24} )?(?:dovecot: )?';
/** `imap-login: ` is part of the message, or (Dovecot's own log through syslog) the program name. */
const LOGIN = `${PRE}(?:[a-z0-9]+-login: )?(?:Info: )?`;
/** The fields after the user: `method=…, rip=<addr>[, lip=…, TLS…, session=<…>]`. */
const AFTER_USER = '>, (?:method=[A-Za-z0-9_-]+, )?rip=<ADDR>(?:, (?:.*, )?session=<(?P<session>[^>]*)>.*|, .*)?$';
const ATTEMPTS = ', (?P<tries>[0-9]{1,4}) attempts?(?: in [0-9]+ secs?)?';
/**
 * client_get_extra_disconnect_reason(): the reasons that are the client's doing. 2.3+ append
 * `, N attempts in N secs` to each; 2.2 wrote `auth failed, N attempts` and the bare
 * `tried to use disabled plaintext auth`.
 */
const FAILED = `\\((?:(?:auth failed|authorization failed|authentication failure|credentials contain control characters|tried to use disallowed cleartext auth|tried to use disabled plaintext auth)${ATTEMPTS}|tried to use (?:disabled|disallowed) [^),]*|proxy dest auth(?:entication)? failed[^)]*)\\)`;
/** Aggressive: no login at all, a mechanism not offered, base64 garbage, a SASL exchange left unfinished. */
const PROBED = `\\((?:no auth attempts(?: in [0-9]+ secs?)?|(?:tried to use unsupported auth mechanism|sent invalid base64 in response|auth aborted by client|client didn't finish SASL auth|anonymous logins disabled)${ATTEMPTS})\\)`;
/** Auth process prefixes: `auth:`, `auth-worker(123):`, `auth(default):`, the worker's conn tag. */
const AUTH = `${PRE}(?:auth(?:-worker)?(?:\\([^)]*\\))?: )?(?:conn unix:[^ ]+ \\([^)]*\\): auth-worker<[0-9]+>: )?(?:Info: )?`;
const PASSDB = '(?:pam|passwd-file|passwd|shadow|sql|ldap|checkpassword|bsdauth|vpopmail|oauth2|lua|static)';
/** verbose_passwords = plain|sha1: the given password (client text) in parentheses, never with a parenthesis inside. */
const GIVEN = '(?: \\((?:SHA1 of )?given password: [^()]*\\))?';
const VERDICT = [
  `unknown user${GIVEN}`,
  `Password mismatch(?: \\(for LDAP bind\\))?${GIVEN}`,
  '(?:invalid|Invalid) credentials',
  'pam_authenticate\\(\\) failed: (?:Authentication failure(?: \\([Pp]assword mismatch\\?\\))?|User not known to the underlying authentication module|Permission denied)',
].join('|');
const TAIL = `(?:${VERDICT})(?: - trying the next (?:passdb|userdb))?(?:: [0-9]+ Time\\(s\\))?$`;

const SESSION_RULES = new Set(['passdb-failed', 'passdb-failed-24']);

export const dovecotFilter: FilterDefinition = {
  id: 'dovecot',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Dovecot: failed logins (login process summaries and auth passdb results); mode aggressive adds connections without any login attempt',
  modes: ['normal', 'aggressive'],
  rules: [
    // `imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<u>, method=PLAIN, rip=…`; the
    // reason before the parenthesis and Dovecot 2.3.21's `(auth_failed)` code vary.
    { id: 'login-failed', pattern: `${LOGIN}(?:.* )?${FAILED}(?: \\([a-z_]+\\))?: user=<(?P<user>.*)${AFTER_USER}` },
    { id: 'login-failed', pattern: `${LOGIN}(?:.* )?${FAILED}(?: \\([a-z_]+\\))?: rip=<ADDR>(?:, .*)?$` },
    // ≤ 2.3: `passwd-file(user,rip,<session>): unknown user`
    { id: 'passdb-failed', pattern: `${AUTH}${PASSDB}\\((?P<user>[^()]*),<ADDR>(?:,<(?P<session>[^>]*)>|,)?\\): ${TAIL}` },
    // 2.4: `auth(user,rip,sasl:plain)<session>: passwd-file: unknown user` (the passdb's own name)
    {
      id: 'passdb-failed-24',
      pattern: `${PRE}(?:auth: )?(?:Info: )?auth(?:-worker)?\\((?P<user>[^()]*),<ADDR>(?:,sasl:[a-z0-9_-]+)?(?:,master)?\\)(?:<[0-9]+>)?(?:<(?P<session>[^>]*)>)?(?:: request \\[[0-9]+\\])?: [A-Za-z0-9_.-]+: ${TAIL}`,
    },
    // Dovecot's PAM service logging through pam_unix
    {
      id: 'pam-unix',
      pattern:
        '^pam_unix\\(dovecot:auth\\): authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=(?P<user>.*?) rhost=<HOST>(?: +user=.*)? *$',
    },
    {
      id: 'no-auth-attempt',
      modes: ['aggressive'],
      pattern: `${LOGIN}(?:.* )?${PROBED}(?: \\([a-z_]+\\))?: user=<(?P<user>.*)${AFTER_USER}`,
    },
  ],
  createReducer(): Reducer {
    // Attempts already counted from the auth process's per-attempt lines, per session id.
    const counted = new SessionMap<number>(60 * 60_000);
    return {
      reduce(m) {
        const { session, tries, ...captures } = m.captures;
        const draft = oneAttempt(m);
        if (!draft) return null;
        draft.captures = captures;
        if (SESSION_RULES.has(m.rule.id)) {
          if (session) counted.set(session, (counted.get(session) ?? 0) + 1, m.time);
          return draft;
        }
        if (m.rule.id === 'login-failed' && tries !== undefined) {
          const seen = session ? (counted.get(session) ?? 0) : 0;
          if (session) counted.delete(session);
          draft.attempts = Math.max(0, Number(tries) - seen);
        }
        return draft;
      },
      sweep: (now) => counted.sweep(now),
    };
  },
};
