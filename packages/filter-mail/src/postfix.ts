/**
 * `postfix`: smtpd/postscreen rejections, SASL authentication failures, and connection floods, with
 * fail2ban's modes:
 *
 * - `more` (default): `normal` + `too many errors`
 * - `normal`: rejected clients (relay denied, bad HELO, unknown sender domain/recipient, missing reverse
 *   DNS, milter rejects, RBL listings), `improper command pipelining`
 * - `rbl`: RBL listings only
 * - `auth`: SASL authentication failures (not `Connection lost to authentication server`, which is ours)
 * - `errors`: `too many errors` only
 * - `ddos`: `disconnect … auth=0/N` (failed logins counted from the summary), `lost connection after
 *   CONNECT`, rate-limit warnings
 * - `aggressive`: all of them (SASL failures and the `auth=0/N` summary of the same connection are not
 *   counted twice)
 *
 * Postfix's syslog names vary (`postfix/smtpd`, `postfix/submission/smtpd`, multi-instance
 * `postfix-out/smtpd`), so there is no program prefilter; every pattern starts with a literal that no
 * other postfix message has. The client is always `name[address]` written by postfix before any text
 * the client sent (HELO, envelope addresses), and names come from DNS, which cannot contain brackets.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { SessionMap, oneAttempt } from './common.js';

const CLIENT = '[^\\[\\] ]*\\[<ADDR>\\](?::[0-9]+)?';
const REJECT = `^(?:NOQUEUE|[0-9A-Za-z]+): (?:milter-)?reject: (?:RCPT|EHLO|HELO|VRFY|EXPN|ETRN|DATA|BDAT|MAIL|CONNECT|END-OF-MESSAGE) from ${CLIENT}: (?:[45][0-9]{2} )?[45](?:\\.[0-9]{1,3}){2} (?:<.*?>: |: )?`;
const REASONS = [
  'Relay access denied',
  'Helo command rejected: .*',
  'Sender address rejected: (?:Domain not found|Malformed DNS server reply|match .*|Access denied|not owned by user .*|need fully-qualified address|not logged in)',
  'Recipient address rejected: (?:User unknown.*|undeliverable address: .*|Access denied|match .*)',
  'Client host rejected: (?:cannot find your (?:reverse )?hostname.*|Access denied)',
  'Command rejected',
  'Data command rejected: .*',
].join('|');

const NORMAL = ['more', 'normal', 'aggressive'];

export const postfixFilter: FilterDefinition = {
  id: 'postfix',
  description: 'Postfix: rejected clients, RBL listings, SASL failures, connection floods (modes more, normal, rbl, auth, errors, ddos, aggressive)',
  modes: ['more', 'normal', 'rbl', 'auth', 'errors', 'ddos', 'aggressive'],
  rules: [
    { id: 'reject', modes: NORMAL, pattern: `${REJECT}(?:${REASONS})(?:[;,].*)?$` },
    { id: 'rbl', modes: [...NORMAL, 'rbl'], pattern: `${REJECT}Service unavailable; [Cc]lient (?:host )?\\[[^\\]]*\\] blocked using .*$` },
    { id: 'pipelining', modes: NORMAL, pattern: `^improper command pipelining after [A-Z]+ from ${CLIENT}:?(?: .*)?$` },
    {
      id: 'sasl', modes: ['auth', 'aggressive'],
      pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: ?(?:authentication failure|Password:|[A-Za-z0-9+/]+=*|\\(reason unavailable\\))?(?:, sasl_username=(?P<user>.*))?$`,
    },
    { id: 'sasl-mechanism', modes: ['aggressive'], pattern: `^warning: ${CLIENT}: SASL [A-Za-z0-9_-]+ authentication failed: Invalid authentication mechanism$` },
    { id: 'too-many-errors', modes: ['more', 'errors', 'aggressive'], pattern: `^too many errors after [A-Z]+(?: \\([0-9]+ bytes\\))? from ${CLIENT}$` },
    {
      id: 'auth-summary', modes: ['ddos', 'aggressive'],
      pattern: `^disconnect from ${CLIENT}(?: [a-z]+=[0-9]+(?:/[0-9]+)?)* auth=0/(?P<tries>[1-9][0-9]{0,3})(?: [a-z]+=[0-9]+(?:/[0-9]+)?)*$`,
    },
    { id: 'lost-after-connect', modes: ['ddos', 'aggressive'], pattern: `^(?:NOQUEUE: )?lost connection after CONNECT from ${CLIENT}$` },
    {
      id: 'rate-limit', modes: ['ddos', 'aggressive'],
      pattern: `^warning: (?:Connection|Connection concurrency|Message delivery request|Recipient address|New TLS session) (?:rate )?limit exceeded: [0-9]+ from ${CLIENT} for service [A-Za-z0-9_./-]+$`,
    },
  ],
  createReducer(): Reducer {
    // SASL failures already counted per smtpd process (one connection at a time), so that the
    // `auth=0/N` summary at disconnect adds only what was not seen.
    const counted = new SessionMap<number>(60 * 60_000);
    const key = (p?: string, pid?: number) => `${p ?? ''}[${pid ?? ''}]`;
    return {
      reduce(m) {
        const e = m.entry;
        if (m.rule.id === 'sasl' || m.rule.id === 'sasl-mechanism') {
          if (e.pid !== undefined) counted.set(key(e.program, e.pid), (counted.get(key(e.program, e.pid)) ?? 0) + 1, e.time ?? Date.now());
          return oneAttempt(m);
        }
        if (m.rule.id === 'auth-summary') {
          const k = key(e.program, e.pid);
          const seen = e.pid !== undefined ? counted.get(k) ?? 0 : 0;
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
