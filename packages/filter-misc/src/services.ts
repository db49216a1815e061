/**
 * Network services: `mysqld-auth`, `named-refused`, `dropbear`, `openvpn`, `pam-generic`.
 */
import type { FailureDraft, FilterDefinition, Reducer } from '@f2b/core';
import { PAM_SSS_FAILURE, PAM_UNIX_FAILURE, PAM_UNIX_MORE, SessionMap, draft, pamDraft } from './common.js';

/**
 * MySQL's and MariaDB's own prefix, in their error log (several date styles, thread ids, MySQL 8's
 * `[MY-010926] [Server]`) or through syslog/the journal (where the server's own date stays in the
 * message). The level may have been read as a program name by the entry parser, so it is optional.
 */
const MYSQL_PRE =
  '^(?:[0-9]{6} +[0-9]{1,2}:[0-9]{2}:[0-9]{2} |[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]+[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?(?:Z|[+-][0-9:]{4,5})? )?(?:[0-9]+ )?(?:\\[(?:Warning|Note)\\] )?(?:\\[MY-[0-9]+\\] \\[[A-Za-z]+\\] )?';
/** Why a connection ended before authenticating (MariaDB sql_connect.cc, MySQL's ER_ABORTING_USER_CONNECTION reasons). */
const MYSQL_ABORT_REASON =
  '(?:This connection closed normally without authentication|Got an error reading communication packets|Got timeout reading communication packets|Got an error writing communication packets|Got timeout writing communication packets|Got packets out of order)';

/**
 * `mysqld-auth`: `Access denied for user 'u'@'host' (using password: YES|NO)` from MySQL 5.x–9.x and
 * MariaDB (mode `normal`, default, and `aggressive`); connections that ended before authenticating
 * (`Aborted connection … user: 'unauthenticated'`: port scans, garbage, but also TCP health checks)
 * only in `aggressive`. The user name precedes the host; the pattern is anchored at MySQL's fixed
 * ending, so the host is the last `'@'…'` on the line. See CATALOGUE.md.
 */
export const mysqldAuthFilter: FilterDefinition = {
  id: 'mysqld-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'MySQL/MariaDB: Access denied for user; aggressive: connections aborted before authentication',
  modes: ['normal', 'aggressive'],
  rules: [
    {
      id: 'access-denied',
      pattern: `${MYSQL_PRE}Access denied for user '(?P<user>.*)'@'<HOST>' \\(using password: (?:YES|NO)\\)$`,
    },
    {
      // ER_ACCESS_DENIED_NO_PASSWORD_ERROR (the client left during the authentication exchange): no
      // fixed ending, so the user name may hold no quote — else `… to database '<name>'` (client text
      // after the address) could end in a forged `'@'address'`
      id: 'access-denied',
      pattern: `${MYSQL_PRE}Access denied for user '(?P<user>[^']*)'@'<HOST>'$`,
    },
    {
      // db and user are literal before authentication: no client text on the line
      id: 'aborted-unauthenticated',
      modes: ['aggressive'],
      pattern: `${MYSQL_PRE}Aborted connection [0-9]+ to db: 'unconnected' user: 'unauthenticated' host: '<HOST>' \\(${MYSQL_ABORT_REASON}\\)\\.?$`,
    },
  ],
};

/**
 * `named-refused`: queries, zone transfers and updates BIND refused (`client [@0x…] addr#port
 * [(name)]: [view v: ]query (cache) 'name/type/class' denied[ (allow-query-cache did not match)]`),
 * transfers of zones it does not serve (NOTAUTH), requests signed with a wrong TSIG secret or an unknown
 * key (`request has invalid signature: TSIG k: tsig verify failure (BADSIG|BADKEY)`), through syslog or
 * BIND's own channel files (with category and severity). The address comes first (then `/key k` for a
 * request signed with a known key); query and key names (the client's) come after it.
 */
export const namedRefusedFilter: FilterDefinition = {
  id: 'named-refused',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'BIND: denied queries, zone transfers and updates; transfers of zones it does not serve; bad TSIG signatures',
  rules: [
    {
      id: 'denied',
      pattern:
        "^(?:[a-z-]+: )?(?:(?:info|notice|warning|error|critical|debug(?: [0-9]+)?): )?client (?:@0x[0-9a-f]+ )?<ADDR>#[0-9]+(?:/key [^ :]+)?(?: \\((?:[^)\\\\]|\\\\.)*\\))?: (?:view [^:]+: )?(?:request has invalid signature: TSIG [^ ]+: tsig verify failure \\((?:BADSIG|BADKEY)\\)|query(?: \\(cache\\))? '.*' denied(?: \\([a-z-]+ did not match\\))?|zone transfer '.*' denied|update(?: forwarding)? '.*' denied(?: due to allow-query)?|bad zone transfer request: '.*': non-authoritative zone \\(NOTAUTH\\))$",
    },
  ],
};

/**
 * Dropbear's own stderr prefix (`-E`: `[pid] Mon DD HH:MM:SS `). The entry parser takes `[pid]` as the
 * pid and leaves the date in the message; through syslog the prefix may also stay in the message.
 */
const DROPBEAR_PRE = '^(?:\\[(?P<pid>[0-9]+)\\] )?(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} )?';
const DROPBEAR_EXIT = `${DROPBEAR_PRE}Exit before auth`;

/** What the dropbear reducer knows of one connection (one child pid). */
interface DropbearSession {
  addr?: string;
  seen: number;
  unknownUser: boolean;
}

/**
 * `dropbear`: failed SSH logins. Each bad password is one attempt; a login for a user that does not
 * exist is one (Dropbear 2022.83 writes it without the address: the pid's `Child connection from`
 * line, or the connection's exit line, gives it); the `Exit before auth … (user 'u', N fails)`
 * summary adds only the attempts of that connection not seen yet. See CATALOGUE.md.
 */
export const dropbearFilter: FilterDefinition = {
  id: 'dropbear',
  description: 'Dropbear SSH: bad passwords, unknown users, too many attempts',
  rules: [
    { id: 'child', kind: 'info', keywords: ['Child connection from '], pattern: `${DROPBEAR_PRE}Child connection from <ADDR>:[0-9]+$` },
    {
      id: 'bad-password',
      keywords: ['assword attempt for '],
      pattern: `${DROPBEAR_PRE}[Bb]ad (?:PAM )?password attempt for '(?P<user>.*)' from <ADDR>:[0-9]+$`,
    },
    {
      id: 'unknown-user',
      keywords: ['ogin attempt for nonexistent user'],
      pattern: `${DROPBEAR_PRE}[Ll]ogin attempt for nonexistent user(?: '(?P<user>.*)')? from <ADDR>:[0-9]+$`,
    },
    { id: 'unknown-user-pid', kind: 'info', keywords: ['ogin attempt for nonexistent user'], pattern: `${DROPBEAR_PRE}[Ll]ogin attempt for nonexistent user$` },
    {
      id: 'exit-summary',
      keywords: ['Exit before auth'],
      pattern: `${DROPBEAR_EXIT} from <<ADDR>:[0-9]+>: \\(user '(?P<user>.*)', (?P<fails>[0-9]+) fails\\): (?P<why>.*)$`,
    },
    {
      id: 'exit-summary',
      keywords: ['Exit before auth'],
      pattern: `${DROPBEAR_EXIT} \\(user '(?P<user>.*)', (?P<fails>[0-9]+) fails\\): (?P<why>Max auth tries reached - user '.*') from <ADDR>:[0-9]+$`,
    },
    {
      id: 'exit-summary-pid',
      kind: 'info',
      keywords: ['Exit before auth'],
      pattern: `${DROPBEAR_EXIT} \\(user '(?P<user>.*)', (?P<fails>[0-9]+) fails\\): (?P<why>.*)$`,
    },
    { id: 'exit', kind: 'info', keywords: ['Exit before auth'], pattern: `${DROPBEAR_EXIT} from <<ADDR>:[0-9]+>: (?P<why>.*)$` },
  ],
  createReducer(): Reducer {
    const sessions = new SessionMap<DropbearSession>(60 * 60_000);
    return {
      reduce(m) {
        const pid = m.captures.pid ?? (m.entry.pid === undefined ? undefined : String(m.entry.pid));
        const time = m.time;
        const session = (pid === undefined ? undefined : sessions.get(pid)) ?? { seen: 0, unknownUser: false };
        const keep = () => {
          if (pid !== undefined) sessions.set(pid, session, time);
        };
        const addr = m.host ?? session.addr;
        const failure = (attempts: number, rule: string): FailureDraft | null => {
          if (addr === undefined) return null;
          const captures = { ...m.captures };
          for (const k of ['pid', 'fails', 'why']) delete captures[k];
          return { id: addr, attempts, rule, captures };
        };
        switch (m.rule.id) {
          case 'child':
            if (pid !== undefined) sessions.set(pid, { addr: m.host, seen: 0, unknownUser: false }, time);
            return null;
          case 'unknown-user-pid':
            session.unknownUser = true;
            session.seen += 1;
            keep();
            // counted now when the address is known, else when the connection's exit line names it
            return failure(1, 'unknown-user');
          case 'exit-summary':
          case 'exit-summary-pid': {
            if (pid !== undefined) sessions.delete(pid);
            const unseen = Math.max(0, Number(m.captures.fails) - session.seen);
            // a summary that adds nothing matches only when it is the `Max auth tries` verdict
            if (unseen === 0 && !m.captures.why?.startsWith('Max auth tries')) return null;
            return failure(unseen, 'max-tries');
          }
          case 'exit':
            if (pid !== undefined) sessions.delete(pid);
            return session.unknownUser && session.addr === undefined ? failure(1, 'unknown-user') : null;
          default:
            session.seen += 1;
            if (session.addr === undefined) session.addr = m.host;
            keep();
            return failure(1, m.rule.id);
        }
      },
      sweep: (now) => sessions.sweep(now),
    };
  },
};

/** OpenVPN's prefix for a client: `ip:port ` before TLS authentication, `common name/ip:port ` after. */
const OVPN_CLIENT = '^(?:[^ /]+/)?<ADDR>:(?P<port>[0-9]+) ';
/** Rules that are lines of one TLS handshake: the first per address:port within the window counts. */
const HANDSHAKE_RULES = new Set(['tls-handshake', 'verify-error', 'bad-hmac']);
/** OpenVPN's default `--hand-window`: every line of one failed handshake falls within it. */
const HANDSHAKE_WINDOW = 60_000;

/**
 * `openvpn`: TLS handshakes that fail (no or wrong tls-auth/tls-crypt key, a certificate the CA did
 * not sign or the server's checks refuse, the hand-window running out), passwords the
 * auth-user-pass-verify script or plugin refused, and connection resets right after a garbage packet.
 * One failed handshake writes several of these lines (`VERIFY ERROR` then `TLS handshake failed`; a
 * client's retransmissions without the right HMAC key): they match, but only the first of an
 * address:port within the handshake window counts. Each `TLS Auth Error` counts. OpenVPN's syslog name
 * depends on the instance (`openvpn`, `ovpn-server`), so there is no program prefilter. See CATALOGUE.md.
 */
export const openvpnFilter: FilterDefinition = {
  id: 'openvpn',
  description: 'OpenVPN: failed TLS handshakes, HMAC/tls-crypt failures, certificate and password failures, garbage on the TCP link',
  rules: [
    {
      id: 'tls-handshake',
      pattern: `${OVPN_CLIENT}TLS Error: (?:TLS handshake failed|TLS key negotiation failed to occur within [0-9]+ seconds \\(check your network connectivity\\))$`,
    },
    { id: 'verify-error', pattern: `${OVPN_CLIENT}VERIFY (?:ERROR: depth=[0-9]+, error=|(?:X509NAME|KU|EKU|SCRIPT|PLUGIN) ERROR: ).*$` },
    { id: 'auth-error', pattern: `${OVPN_CLIENT}TLS Auth Error: .*$` },
    {
      id: 'bad-hmac',
      // in the --log file the entry parser may read `TLS Error:` as a syslog host and program
      pattern:
        '^(?:Connection Attempt )?(?:TLS Error: )?(?:cannot locate HMAC in incoming packet|incoming packet authentication failed|tls-crypt unwrapping failed) from \\[AF_INET6?\\]<ADDR>:(?P<port>[0-9]+)$',
    },
    { id: 'bad-packet', kind: 'info', pattern: `${OVPN_CLIENT}WARNING: Bad encapsulated packet length from peer .*$` },
    { id: 'reset-after-garbage', pattern: `${OVPN_CLIENT}SIGUSR1\\[soft,connection-reset\\] received, client-instance restarting$` },
  ],
  createReducer(): Reducer {
    // a client-instance reset counts only right after that same address:port sent a garbage packet
    const garbage = new SessionMap<true>(10 * 60_000);
    const handshakes = new SessionMap<number>(2 * HANDSHAKE_WINDOW);
    return {
      reduce(m) {
        if (m.host === undefined) return null;
        const key = `${m.host}|${m.captures.port ?? ''}`;
        const time = m.time;
        if (m.rule.id === 'bad-packet') {
          garbage.set(key, true, time);
          return null;
        }
        if (m.rule.id === 'reset-after-garbage') {
          if (!garbage.get(key)) return null;
          garbage.delete(key);
        }
        if (HANDSHAKE_RULES.has(m.rule.id)) {
          const first = handshakes.get(key);
          if (first !== undefined && time - first <= HANDSHAKE_WINDOW) return draft(m, 0, ['port']);
          handshakes.set(key, time, time);
        }
        return draft(m, 1, ['port']);
      },
      sweep: (now) => {
        garbage.sweep(now);
        handshakes.sweep(now);
      },
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
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
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
        const time = m.time;
        const key = `${m.entry.pid ?? ''}|${d.id}`;
        const last = lastBy.get(key);
        lastBy.set(key, { rule: m.rule.id, time }, time);
        return last && last.rule !== m.rule.id && time - last.time <= SAME_ATTEMPT_MS ? null : d;
      },
      sweep: (now) => lastBy.sweep(now),
    };
  },
};
