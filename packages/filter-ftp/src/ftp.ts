/**
 * FTP servers: `vsftpd`, `proftpd`, `pure-ftpd`.
 */
import type { FilterDefinition } from '@f2b/core';

/**
 * pam_unix's failure line. ruser and user are both the client's; the first `rhost=` that is followed
 * by pam_unix's own ending (`  user=…` or the end) is taken.
 */
export const PAM_UNIX_FAILURE = 'authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=(?P<ruser>.*?) rhost=<HOST>(?: +user=(?P<user>.*?))? *$';

/**
 * `vsftpd`: failed logins from vsftpd's own log (`[pid N] [user] FAIL LOGIN: Client "addr"`), from
 * syslog/the journal (`vsftpd[N]: [user] FAIL LOGIN: …`), and PAM failures of the vsftpd service.
 * vsftpd's own log has no program name, so there is no program prefilter.
 */
export const vsftpdFilter: FilterDefinition = {
  id: 'vsftpd',
  description: 'vsftpd: FAIL LOGIN (own log or syslog) and PAM authentication failures',
  rules: [
    // The user name in brackets is the client's; the address is last and quoted by vsftpd.
    {
      id: 'fail-login',
      pattern: '^(?:[^ ]+ [^ ]+ vsftpd\\[[0-9]+\\]: )?(?:\\[pid [0-9]+\\] )?(?:\\[(?P<user>.*)\\] )?FAIL LOGIN: Client "<ADDR>"(?:, ".*")?$',
    },
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
      const { ruser, user, ...rest } = m.captures;
      const who = user || ruser;
      return { id: m.host, attempts: 1, rule: m.rule.id, captures: who ? { ...rest, user: who } : rest };
    },
  }),
};

/**
 * `proftpd`: failed logins. ProFTPD starts every session line with `server (name[address])` — the
 * client's address in brackets, written before any text the client sent — in syslog
 * (`proftpd[N]: server (…[addr]) - …`), in old syslog without a colon after the pid, and in its own
 * `proftpd.log`. Neither of the latter has a program field, so there is no program prefilter.
 */
const PROFTPD = '^(?:[^ ]+ proftpd\\[[0-9]+\\] )?[^ ]+ \\([^\\[\\] ]*\\[<ADDR>\\]\\)(?::| -) ';

export const proftpdFilter: FilterDefinition = {
  id: 'proftpd',
  description: 'ProFTPD: unknown users, wrong passwords, root logins, too many attempts',
  rules: [
    { id: 'login-failed', pattern: `${PROFTPD}USER (?P<user>.*) \\(Login failed\\): .*$` },
    { id: 'no-such-user', pattern: `${PROFTPD}USER (?P<user>.*): no such user found from .*$` },
    { id: 'root-login', pattern: `${PROFTPD}SECURITY VIOLATION: (?P<user>[^ ]+) login attempted\\.? *$` },
    { id: 'max-attempts', pattern: `${PROFTPD}Maximum login attempts \\([0-9]+\\) exceeded *$` },
  ],
};

/**
 * `pure-ftpd`: `(user@address) [WARNING] Authentication failed for user [name]`. The session prefix is
 * pure-ftpd's (`?` or a user name without spaces or parentheses), so the bracketed user name at the end
 * cannot supply the address.
 */
export const pureFtpdFilter: FilterDefinition = {
  id: 'pure-ftpd',
  description: 'Pure-FTPd: failed logins',
  programs: ['pure-ftpd', 'pure-ftpd-mysql', 'pure-ftpd-postgresql', 'pure-ftpd-ldap'],
  rules: [
    { id: 'auth-failed', pattern: '^\\([^()@ ]*@<HOST>\\) \\[WARNING\\] Authentication failed for user \\[(?P<user>.*)\\]$' },
  ],
};
