/**
 * `postfix`: smtpd/postscreen rejections, SASL authentication failures, and connection floods, with
 * fail2ban's modes (the message catalogue, with the source of every message: CATALOGUE.md):
 *
 * - `more` (default): `normal` + `too many errors`
 * - `normal`: rejected clients (relay denied, bad HELO, unknown sender domain/recipient, missing reverse
 *   DNS, access-map and policy rejects with a 5xx code, milter rejects, RBL listings), `improper command
 *   pipelining`, `non-SMTP command`; postscreen's PREGREET, NON-SMTP COMMAND, COMMAND PIPELINING,
 *   `Protocol error` rejects and deny-listed clients
 * - `rbl`: RBL listings only
 * - `auth`: SASL authentication failures (not the server's own trouble: `Connection lost to
 *   authentication server`, `Can't connect …`, `Authentication backend error`)
 * - `errors`: `too many errors` only
 * - `ddos`: `disconnect … auth=0/N` (failed logins counted from the summary), `lost connection after
 *   CONNECT`, anvil rate-limit warnings, postscreen's `too many connections`
 * - `aggressive`: all of them, plus SASL `Invalid authentication mechanism` and `authentication
 *   aborted`, `Illegal address syntax`, postscreen's HANGUP, BARE NEWLINE and COMMAND … LIMIT (SASL
 *   failures and the `auth=0/N` summary of the same connection are not counted twice)
 *
 * Postfix's syslog names vary (`postfix/smtpd`, `postfix/submission/smtpd`, multi-instance
 * `postfix-out/smtpd`), so there is no program prefilter; every pattern starts with a literal that no
 * other postfix message has. The client is always `name[address]` written by postfix before any text
 * the client sent (HELO, envelope addresses), and names come from DNS, which cannot contain brackets.
 * Postfix 3.10 and later put the queue id (or `NOQUEUE`) before `too many errors/lost connection/timeout
 * after …`, older ones do not: both are read.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { SessionMap, oneAttempt } from './common.js';

/** `name[address]` or postscreen's `[address]:port` (smtpd adds `:port` with smtpd_client_port_logging). */
const CLIENT = '[^\\[\\] ]*\\[<ADDR>\\](?::[0-9]+)?';
/** `<queue id>: ` or `NOQUEUE: ` (postfix ≥ 3.10 before `… after … from`), optional. */
const QID = '(?:(?:NOQUEUE|[0-9A-Za-z]+): )?';
/** log_whatsup(): `<qid>: reject: <where> from <client>: <reply>;` (smtpd_check.c, smtpd.c milters). */
const REJECT_HEAD = `^(?:NOQUEUE|[0-9A-Za-z]+): (?:milter-)?reject: (?:[A-Z]+|DATA content|BDAT content|END-OF-MESSAGE) from ${CLIENT}: `;
const CODE_ANY = '(?:[45][0-9]{2} )?[45](?:\\.[0-9]{1,3}){2} ';
const CODE_5XX = '(?:5[0-9]{2} )?5(?:\\.[0-9]{1,3}){2} ';
/** The `<address>: ` that smtpd_check puts before the reply class. */
const NAME = '(?:<.*?>: |: )?';
/** The reply classes of smtpd_dsn_fix.h. */
const CLASS =
  '(?:Client host|Unverified Client host|Client certificate|SASL login name|Helo command|Sender address|Recipient address|Etrn command|Data command|End-of-data)';
/**
 * Reasons that count whatever the code (4xx too): the client's own fault, not a transient of ours.
 * Greylisting, `Temporary lookup failure`, `Try again later`, `address verification problem` and a
 * 450 `unverified address` are not among them.
 */
const REASONS = [
  'Relay access denied',
  `${CLASS} rejected: (?:need fully-qualified (?:hostname|address)|Invalid name|invalid ip address|Host not found|Domain not found|Malformed DNS server reply|Domain .* does not accept mail \\(nullMX\\))`,
  'Client host rejected: cannot find your (?:reverse )?hostname.*',
  `${CLASS} rejected: (?:User unknown.*|undeliverable address: .*|Access denied|Improper use of SMTP command pipelining|Multi-recipient bounce)`,
  'Sender address rejected: (?:not owned by user .*|not logged in|match .*)',
  'Recipient address rejected: match .*',
  'Helo command rejected: .*',
  'Command rejected',
  'Data command rejected: .*',
].join('|');
/** A 5xx verdict of any reply class: access maps and policy services with text of the admin's own. */
const POLICY_5XX = `${CODE_5XX}${NAME}${CLASS} rejected: .*`;

const NORMAL = ['more', 'normal', 'aggressive'];
const DDOS = ['ddos', 'aggressive'];
const AGGRESSIVE = ['aggressive'];
/** Reasons that are the server's own trouble (xsasl_dovecot_server.c), never the client's. */
const SASL_SERVER_TROUBLE = "(?:Connection lost to authentication server|Can't connect to authentication server|Authentication backend error)";

export const postfixFilter: FilterDefinition = {
  id: 'postfix',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Postfix: rejected clients, RBL listings, SASL failures, connection floods (modes more, normal, rbl, auth, errors, ddos, aggressive)',
  modes: ['more', 'normal', 'rbl', 'auth', 'errors', 'ddos', 'aggressive'],
  rules: [
    { id: 'reject', modes: NORMAL, pattern: `${REJECT_HEAD}${CODE_ANY}${NAME}(?:${REASONS})(?:[;,].*)?$` },
    { id: 'reject-policy', modes: NORMAL, pattern: `${REJECT_HEAD}${POLICY_5XX}$` },
    { id: 'rbl', modes: [...NORMAL, 'rbl'], pattern: `${REJECT_HEAD}${CODE_ANY}Service unavailable; [Cc]lient (?:host )?\\[[^\\]]*\\] blocked using .*$` },
    { id: 'pipelining', modes: NORMAL, pattern: `^improper command pipelining after [A-Z]+ from ${CLIENT}:?(?: .*)?$` },
    { id: 'non-smtp', modes: NORMAL, pattern: `^warning: non-SMTP command from ${CLIENT}: .*$` },
    // postscreen(8): the client talked before its turn, sent HTTP or pipelined without permission,
    // failed a test (`550 5.5.1 Protocol error`), or is on the admin's deny list.
    { id: 'postscreen-pregreet', modes: NORMAL, pattern: `^PREGREET [0-9]+ after [0-9.]+ from \\[<ADDR>\\]:[0-9]+: .*$` },
    { id: 'postscreen-protocol', modes: NORMAL, pattern: `^(?:NON-SMTP COMMAND|COMMAND PIPELINING) from \\[<ADDR>\\]:[0-9]+ after .*$` },
    { id: 'postscreen-reject', modes: NORMAL, pattern: `^NOQUEUE: reject: RCPT from \\[<ADDR>\\]:[0-9]+: 5[0-9]{2} 5\\.5\\.1 Protocol error; .*$` },
    { id: 'postscreen-denylist', modes: NORMAL, pattern: '^(?:DENYLISTED|BLACKLISTED) \\[<ADDR>\\]:[0-9]+$' },
    // The server's own trouble comes first: the first matching rule wins, and an `info` rule counts nothing.
    {
      id: 'sasl-server-trouble',
      kind: 'info',
      modes: ['auth', 'aggressive'],
      pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: ${SASL_SERVER_TROUBLE}(?:, sasl_username=.*)?$`,
    },
    // A mechanism the server does not offer is a misconfigured client: counted in aggressive only.
    {
      id: 'sasl-mechanism-info',
      kind: 'info',
      modes: ['auth'],
      pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: Invalid authentication mechanism(?:, sasl_username=.*)?$`,
    },
    {
      id: 'sasl-mechanism',
      modes: AGGRESSIVE,
      pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: Invalid authentication mechanism(?:, sasl_username=.*)?$`,
    },
    {
      id: 'sasl',
      modes: ['auth', 'aggressive'],
      pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: ?(?:.*?)(?:, sasl_username=(?P<user>.*))?$`,
    },
    { id: 'sasl-aborted', modes: AGGRESSIVE, pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication aborted$` },
    { id: 'illegal-address', modes: AGGRESSIVE, pattern: `^warning: Illegal address syntax from ${CLIENT} in [A-Z]+ command: .*$` },
    {
      id: 'too-many-errors',
      modes: ['more', 'errors', 'aggressive'],
      pattern: `^${QID}too many errors after [A-Z]+(?: content)?(?: \\([0-9]+ bytes\\))? from ${CLIENT}$`,
    },
    {
      id: 'auth-summary',
      modes: DDOS,
      pattern: `^disconnect from ${CLIENT}(?: [a-z]+=[0-9]+(?:/[0-9]+)?)* auth=0/(?P<tries>[1-9][0-9]{0,3})(?: [a-z]+=[0-9]+(?:/[0-9]+)?)*$`,
    },
    { id: 'lost-after-connect', modes: DDOS, pattern: `^${QID}lost connection after CONNECT from ${CLIENT}$` },
    {
      id: 'rate-limit',
      modes: DDOS,
      pattern: `^warning: (?:Connection|Connection concurrency|Message delivery request|Recipient address|New TLS session|AUTH command) (?:rate )?limit exceeded: [0-9]+ from ${CLIENT} for service [A-Za-z0-9_./-]+$`,
    },
    { id: 'postscreen-connections', modes: DDOS, pattern: '^NOQUEUE: reject: CONNECT from \\[<ADDR>\\]:[0-9]+: too many connections$' },
    {
      id: 'postscreen-limits',
      modes: AGGRESSIVE,
      pattern: '^(?:HANGUP after [0-9.]+|BARE NEWLINE|COMMAND (?:TIME|COUNT|LENGTH) LIMIT) from \\[<ADDR>\\]:[0-9]+ (?:in|after) .*$',
    },
  ],
  createReducer(): Reducer {
    // SASL failures already counted per smtpd process (one connection at a time), so that the
    // `auth=0/N` summary at disconnect adds only what was not seen.
    const counted = new SessionMap<number>(60 * 60_000);
    const key = (p?: string, pid?: number) => `${p ?? ''}[${pid ?? ''}]`;
    const SASL = new Set(['sasl', 'sasl-mechanism', 'sasl-aborted']);
    return {
      reduce(m) {
        const e = m.entry;
        if (SASL.has(m.rule.id)) {
          if (e.pid !== undefined) counted.set(key(e.program, e.pid), (counted.get(key(e.program, e.pid)) ?? 0) + 1, m.time);
          return oneAttempt(m);
        }
        if (m.rule.id === 'auth-summary') {
          const k = key(e.program, e.pid);
          const seen = e.pid !== undefined ? (counted.get(k) ?? 0) : 0;
          counted.delete(k);
          const { tries, ...captures } = m.captures;
          const draft = oneAttempt(m, Math.max(0, Number(tries) - seen));
          return draft && { ...draft, captures };
        }
        return oneAttempt(m);
      },
      sweep: (now) => counted.sweep(now),
    };
  },
};
