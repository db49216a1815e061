/**
 * Network services: `mysqld-auth`, `named-refused`, `dropbear`, `openvpn`, `pam-generic`.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { PAM_SSS_FAILURE, PAM_UNIX_FAILURE, PAM_UNIX_MORE, SessionMap, draft, pamDraft } from './common.js';

/**
 * `mysqld-auth`: `Access denied for user 'u'@'host'` from MySQL 5.x–8.x and MariaDB, in their own
 * error log (several date styles, thread ids, `[MY-010926] [Server]`) or through syslog/the journal
 * (where the server's own date stays in the message). The level `[Warning]` may have been read as a
 * program name by the entry parser, so it is optional. The user name precedes the host; the pattern is
 * anchored at MySQL's fixed ending, so the host is the last `'@'…'` on the line.
 */
export const mysqldAuthFilter: FilterDefinition = {
  id: 'mysqld-auth',
  description: 'MySQL/MariaDB: Access denied for user',
  rules: [
    {
      id: 'access-denied',
      pattern: "^(?:[0-9]{6} +[0-9]{1,2}:[0-9]{2}:[0-9]{2} |[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]+[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?(?:Z|[+-][0-9:]{4,5})? )?(?:[0-9]+ )?(?:\\[(?:Warning|Note)\\] )?(?:\\[MY-[0-9]+\\] \\[[A-Za-z]+\\] )?Access denied for user '(?P<user>.*)'@'<HOST>' \\(using password: (?:YES|NO)\\)$",
    },
  ],
};

/**
 * `named-refused`: queries, zone transfers and updates BIND refused (`client [@0x…] addr#port
 * [(name)]: query (cache) 'name/type/class' denied`), through syslog or BIND's own channel files
 * (with category and severity). The address comes first; query names are BIND-escaped.
 */
export const namedRefusedFilter: FilterDefinition = {
  id: 'named-refused',
  description: 'BIND: denied queries, zone transfers and updates',
  rules: [
    {
      id: 'denied',
      pattern: "^(?:[a-z-]+: )?(?:(?:info|notice|warning|error|critical|debug(?: [0-9]+)?): )?client (?:@0x[0-9a-f]+ )?<ADDR>#[0-9]+(?: \\([^)]*\\))?: (?:view [^:]+: )?(?:query(?: \\(cache\\))? '[^']*' denied(?: \\([^)]*\\))?|zone transfer '[^']*' denied|update '[^']*' denied|bad zone transfer request: '[^']*': non-authoritative zone \\(NOTAUTH\\))$",
    },
  ],
};

/**
 * `dropbear`: failed SSH logins. Each bad password is one attempt; the `Max auth tries reached`
 * summary adds only the attempts of that connection not seen yet (followed by pid).
 */
const DROPBEAR_PRE = '^(?:\\[[0-9]+\\] [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} )?';
export const dropbearFilter: FilterDefinition = {
  id: 'dropbear',
  description: 'Dropbear SSH: bad passwords, unknown users, too many attempts',
  programs: ['dropbear'],
  rules: [
    { id: 'bad-password', pattern: `${DROPBEAR_PRE}[Bb]ad (?:password|PAM password) attempt for '(?P<user>.*)' from <ADDR>:[0-9]+$` },
    { id: 'unknown-user', pattern: `${DROPBEAR_PRE}[Ll]ogin attempt for nonexistent user(?: '(?P<user>.*)')? from <ADDR>:[0-9]+$` },
    { id: 'max-tries', pattern: `${DROPBEAR_PRE}Exit before auth \\(user '(?P<user>.*)', (?P<fails>[0-9]+) fails\\): Max auth tries reached - user '.*' from <ADDR>:[0-9]+$` },
    { id: 'max-tries', pattern: `${DROPBEAR_PRE}Exit before auth from <<ADDR>:[0-9]+>: \\(user '(?P<user>.*)', (?P<fails>[0-9]+) fails\\): Max auth tries reached - user '.*'$` },
  ],
  createReducer(): Reducer {
    const seen = new SessionMap<number>(60 * 60_000);
    return {
      reduce(m) {
        const pid = m.entry.pid, key = String(pid);
        if (m.rule.id === 'max-tries') {
          const counted = pid === undefined ? 0 : seen.get(key) ?? 0;
          seen.delete(key);
          return draft(m, Math.max(0, Number(m.captures.fails) - counted), ['fails']);
        }
        if (pid !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1, m.entry.time ?? Date.now());
        return draft(m);
      },
      sweep: (now) => seen.sweep(now),
    };
  },
};

/**
 * `openvpn`: TLS handshakes that fail (no or wrong tls-auth/tls-crypt key, bad certificate, wrong
 * password), and connection resets right after a garbage packet. OpenVPN's syslog name depends on the
 * instance (`openvpn`, `ovpn-server`), so there is no program prefilter.
 */
export const openvpnFilter: FilterDefinition = {
  id: 'openvpn',
  description: 'OpenVPN: failed TLS handshakes, HMAC/tls-crypt failures, certificate and password failures, garbage on the TCP link',
  rules: [
    { id: 'tls-handshake', pattern: '^<ADDR>:[0-9]+ TLS Error: TLS handshake failed$' },
    { id: 'verify-error', pattern: '^<ADDR>:[0-9]+ VERIFY ERROR: depth=[0-9]+, error=.*$' },
    { id: 'auth-error', pattern: '^<ADDR>:[0-9]+ TLS Auth Error: .*$' },
    {
      id: 'bad-hmac',
      pattern: '^(?:TLS Error: )?(?:cannot locate HMAC in incoming packet|incoming packet authentication failed|tls-crypt unwrapping failed|reading acknowledgement record from packet) from \\[AF_INET6?\\]<ADDR>:[0-9]+$',
    },
    { id: 'bad-packet', kind: 'info', pattern: '^<ADDR>:(?P<port>[0-9]+) WARNING: Bad encapsulated packet length from peer .*$' },
    { id: 'reset-after-garbage', pattern: '^<ADDR>:(?P<port>[0-9]+) SIGUSR1\\[soft,connection-reset\\] received, client-instance restarting$' },
  ],
  createReducer(): Reducer {
    // a client-instance reset counts only right after that same address:port sent a garbage packet
    const garbage = new SessionMap<true>(10 * 60_000);
    return {
      reduce(m) {
        if (m.host === undefined) return null;
        const key = `${m.host}|${m.captures.port ?? ''}`;
        if (m.rule.id === 'bad-packet') {
          garbage.set(key, true, m.entry.time ?? Date.now());
          return null;
        }
        if (m.rule.id === 'reset-after-garbage') {
          if (!garbage.get(key)) return null;
          garbage.delete(key);
        }
        return draft(m, 1, ['port']);
      },
      sweep: (now) => garbage.sweep(now),
    };
  },
};

/**
 * `pam-generic`: PAM authentication failures of any service that gives PAM the client's address
 * (`PAM_RHOST`): pam_unix's `authentication failure; … rhost=…` (the first failure of a PAM session)
 * and its `N more authentication failures; …` summary (the others of that session: N attempts),
 * pam_sss's `authentication failure; …` (SSSD: LDAP, AD, FreeIPA), in the `module(service:auth):`
 * prefix of Linux-PAM ≥ 0.99 and the old `(pam_unix)` form. `user` is pam's `user=`, else `ruser=`.
 * When a stack runs pam_unix and then pam_sss for the same attempt, both write a failure: the second
 * one of the same process and address within a few seconds is not counted again.
 */
const PAM_PREFIX = (module: string) => `^(?:${module}(?:\\([^)]*\\))?: |\\(${module}\\) )`;
const SAME_ATTEMPT_MS = 5_000;
export const pamGenericFilter: FilterDefinition = {
  id: 'pam-generic',
  description: 'PAM (pam_unix, pam_sss): authentication failures of any service',
  rules: [
    { id: 'pam-unix', pattern: `${PAM_PREFIX('pam_unix')}${PAM_UNIX_FAILURE}` },
    // written at pam_end, when no module is current: libpam's own prefix `PAM`
    { id: 'pam-unix-more', pattern: `^(?:PAM |pam_unix(?:\\([^)]*\\))?: )${PAM_UNIX_MORE}` },
    { id: 'pam-sss', pattern: `${PAM_PREFIX('pam_sss')}${PAM_SSS_FAILURE}` },
  ],
  createReducer(): Reducer {
    // the module that last counted an attempt, per process and address
    const lastBy = new SessionMap<{ rule: string; time: number }>(60_000);
    return {
      reduce(m) {
        const d = pamDraft(m);
        if (!d || m.rule.id === 'pam-unix-more') return d;
        const time = m.entry.time ?? Date.now();
        const key = `${m.entry.pid ?? ''}|${d.id}`;
        const last = lastBy.get(key);
        lastBy.set(key, { rule: m.rule.id, time }, time);
        return last && last.rule !== m.rule.id && time - last.time <= SAME_ATTEMPT_MS ? null : d;
      },
      sweep: (now) => lastBy.sweep(now),
    };
  },
};
