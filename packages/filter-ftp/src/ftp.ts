/**
 * FTP servers: `vsftpd`, `proftpd`, `pure-ftpd`.
 */
import type { FilterDefinition } from '@f2b/core';
import { PAM_UNIX_FAILURE, pamDraft } from '@f2b/kit';

/** pam_unix's failure line (shared by every filter package, `@f2b/kit`). */
export { PAM_UNIX_FAILURE };

/**
 * `vsftpd`: failed logins from vsftpd's own log (`DATE [pid N] [user] FAIL LOGIN: Client "addr"`), from
 * syslog/the journal (`syslog_enable=YES`: `vsftpd[N]: [user] FAIL LOGIN: …`), and PAM failures of the
 * vsftpd service. vsftpd's own log has no program name, so there is no program prefilter.
 *
 * vsftpd writes client text on both sides of the address: the user name before it, the anonymous
 * password (and, in patched builds, a quoted reason) after it. For a named user the tail may hold no
 * `"` and the user capture is greedy, so only the last `Client "…"` before vsftpd's own ending can be
 * taken; an anonymous session's user is vsftpd's fixed `ftp`/`anonymous`, so its first `Client` is taken.
 */
const VSFTPD_PREFIX = '^(?:[^ ]+ [^ ]+ vsftpd\\[[0-9]+\\]: )?(?:\\[pid [0-9]+\\] )?';

export const vsftpdFilter: FilterDefinition = {
  id: 'vsftpd',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'vsftpd: FAIL LOGIN (own log or syslog) and PAM authentication failures',
  rules: [
    { id: 'fail-login-anonymous', pattern: `${VSFTPD_PREFIX}\\[(?P<anon>ftp|anonymous)\\] FAIL LOGIN: Client "<ADDR>", anon password ".*"$` },
    { id: 'fail-login', pattern: `${VSFTPD_PREFIX}(?:\\[(?P<user>.*)\\] )?FAIL LOGIN: Client "<ADDR>"(?:, "[^"]*")?$` },
    // syslog: `vsftpd: pam_unix(vsftpd:auth): …`, `vsftpd: (pam_unix) …`, `vsftpd(pam_unix)[N]: …`,
    // journal `vsftpd[N]: authentication failure; …`
    {
      id: 'pam',
      pattern: `^(?:[^ ]+ [^ ]+ vsftpd(?:\\(pam_unix\\))?\\[[0-9]+\\]: )?(?:pam_unix\\(vsftpd:auth\\): |\\(pam_unix\\) )?${PAM_UNIX_FAILURE}`,
    },
  ],
  createReducer: () => ({
    reduce(m) {
      if (m.host === undefined) return null;
      // vsftpd sets both PAM names to the login name: pamDraft counts a line only when it reads one way.
      if (m.rule.id === 'pam') return pamDraft(m);
      const { ruser, user, ...rest } = m.captures;
      const who = user || ruser;
      return { id: m.host, attempts: 1, rule: m.rule.id, captures: who ? { ...rest, user: who } : rest };
    },
  }),
};

/**
 * `proftpd`: failed logins. ProFTPD starts every session line with `[server ](name[address])` — the
 * client's address in brackets, written before any text the client sent — in syslog
 * (`proftpd[N]: server (…[addr]) - …`), in its own `SystemLog` (`DATE[,ms] [host ]proftpd[N] server
 * (…[addr]): …`, `session[N]` with role-based labels), and without the server name when `LogOptions
 * -VHost`. Neither file form has a program field, so there is no program prefilter.
 */
const PROFTPD = '^(?:(?:[^ ]+ )?(?:proftpd|session)\\[[0-9]+\\] )?(?:[^ ()]+ )?\\([^\\[\\] ]*\\[<ADDR>\\]\\)(?::| -) ';

export const proftpdFilter: FilterDefinition = {
  id: 'proftpd',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'ProFTPD: unknown users, wrong passwords, refused logins, root logins, too many attempts',
  rules: [
    // mod_auth: `USER x (Login failed): Incorrect password` and every other reason (No such user found,
    // Limit access denies login, Invalid shell, User in /etc/ftpusers, maximum USER length exceeded, …)
    { id: 'login-failed', pattern: `${PROFTPD}(?:USER|ANON) (?P<user>.*) \\(Login failed\\): .*$` },
    { id: 'no-such-user', pattern: `${PROFTPD}USER (?P<user>.*): no such user found from .*$` },
    { id: 'not-user-alias', pattern: `${PROFTPD}USER (?P<user>.*): user is not a UserAlias from .*$` },
    { id: 'limit-denies-login', pattern: `${PROFTPD}(?:USER|ANON) (?P<user>.*): (?:Limit access denies login|AnonRejectPasswords denies login)$` },
    { id: 'root-login', pattern: `${PROFTPD}SECURITY VIOLATION: (?P<user>[^ ]+) login attempted\\.? *$` },
    { id: 'max-attempts', pattern: `${PROFTPD}Maximum login attempts \\([0-9]+\\) exceeded(?:, connection refused)? *$` },
    { id: 'empty-password', pattern: `${PROFTPD}Refusing empty password from user '(?P<user>.*)'$` },
    { id: 'password-too-long', pattern: `${PROFTPD}client-provided password size exceeds MaxPasswordSize \\([0-9]+\\), rejecting$` },
  ],
};

/**
 * `pure-ftpd`: `(?@address) [WARNING] Authentication failed for user [name]`, and the two other ways a
 * login fails (too many failures in one session, an account below the minimum uid). Pure-FTPd logs
 * only through syslog; its prefix is `(account@host)`, where the account is `?` until a login succeeded,
 * so the bracketed user name at the end cannot supply the address.
 */
const PURE = '^\\([^()@ ]*@<HOST>\\) ';

export const pureFtpdFilter: FilterDefinition = {
  id: 'pure-ftpd',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Pure-FTPd: failed logins',
  programs: ['pure-ftpd', 'pure-ftpd-mysql', 'pure-ftpd-postgresql', 'pure-ftpd-ldap'],
  rules: [
    { id: 'auth-failed', pattern: `${PURE}\\[WARNING\\] Authentication failed for user \\[(?P<user>.*)\\]$` },
    // MAX_PASSWD_TRIES exceeded: this attempt is not logged as `Authentication failed`, the session ends
    { id: 'too-many-failures', pattern: `${PURE}\\[ERROR\\] Too many authentication failures$` },
    { id: 'account-disabled', pattern: `${PURE}\\[WARNING\\] Can't login as \\[(?P<user>.*)\\]: account disabled(?: \\(uid < [0-9]+\\))?$` },
  ],
};
