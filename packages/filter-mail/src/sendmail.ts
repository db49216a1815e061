/**
 * Sendmail: `sendmail-auth` (SMTP AUTH failures and AUTH floods) and `sendmail-reject` (rejected
 * relaying, senders, recipients, pre-greeting traffic, EXPN/VRFY; modes `extra` and `aggressive` for
 * clients that never send mail or drop the connection).
 *
 * Sendmail writes the client (`$_`, srvrsmtp.c CurSmtpClient) as `[ident@]name [address]`, or
 * `[ident@][address]` without a name (IPv6 as `[IPv6:…]`), then ` (may be forged)` when the name does
 * not resolve back. Envelope addresses (`arg1=<…>`, `from=<…>`) and AUTH user names come before the
 * relay: the patterns either allow no spaces in them or take the last `relay=` anchored at the end.
 * Lines written before a transaction have no queue id. Every message, with its source, is in
 * CATALOGUE.md.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { SessionMap, oneAttempt } from './common.js';

export const SENDMAIL_PROGRAMS = ['sendmail', 'sm-mta', 'sm-acceptingconnections', 'sm-msp-queue'];
const QID = '(?P<qid>[0-9A-Za-z]{14,20}): ';
const ARG = '(?:<[^<> ]*>|\\[[0-9A-Fa-f.:IPv]+\\]|[^ ,<>\\[\\]]*)';
const RELAY = '(?:[^ \\[\\]]+ |[^ \\[\\]@]+@)?\\[(?:IPv6:)?<ADDR>\\](?: \\(may be forged\\))?';
/** The queue id, absent on lines sendmail writes before a transaction has one. */
const OPT_QID = `(?:${QID})?`;

export const sendmailAuthFilter: FilterDefinition = {
  id: 'sendmail-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Sendmail: failed SMTP AUTH and AUTH floods (possible SMTP attack: command=AUTH)',
  programs: SENDMAIL_PROGRAMS,
  rules: [
    { id: 'auth-flood', pattern: `^${OPT_QID}${RELAY}: possible SMTP attack: command=AUTH, count=[0-9]+$` },
    // `AUTH failure (LOGIN): authentication failure (-13) SASL(-13): …[, user=<u>], relay=<relay>`
    // (`, user=` since 8.16): the user name is the client's; the relay is last on the line. Cyrus
    // SASL's `transient failure (-8)` is the server's own trouble.
    { id: 'auth-transient', kind: 'info', pattern: `^${OPT_QID}AUTH failure \\([A-Za-z0-9_-]+\\): [^(]*\\(-8\\) .*, relay=${RELAY}$` },
    {
      id: 'auth-failure',
      pattern: `^${OPT_QID}AUTH failure \\([A-Za-z0-9_-]+\\): [^(]*\\(-[0-9]+\\) (?:SASL\\(-[0-9]+\\): .*?)?(?:, user=(?P<user>.*))?, relay=${RELAY}$`,
    },
  ],
  createReducer: (): Reducer => ({
    reduce(m) {
      const d = oneAttempt(m);
      if (d?.captures) delete d.captures.qid;
      return d;
    },
  }),
};

const EXTRA = ['extra', 'aggressive'];

export const sendmailRejectFilter: FilterDefinition = {
  id: 'sendmail-reject',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description:
    'Sendmail: rejected relaying/senders/recipients, RBL listings, rate limits, pre-greeting traffic, EXPN/VRFY; modes extra/aggressive add clients that send no mail',
  programs: SENDMAIL_PROGRAMS,
  modes: ['normal', 'extra', 'aggressive'],
  rules: [
    // ruleset rejections: 5xx (relaying denied, unknown sender domain or user, RBL) and 421 (limits).
    // arg1/arg2 come from the client: only whole `<address>` or bare tokens without spaces, commas or
    // brackets are read, so they cannot end early and present a forged `relay=`.
    {
      id: 'ruleset-reject',
      pattern: `^(?:${QID})?ruleset=check_[a-z]+, arg1=${ARG}(?:, arg2=${ARG})?, relay=${RELAY}, reject=(?:5[0-9]{2}|421) [0-9.]+ .*$`,
    },
    // The name is the peer's (DNS, `[address]`, or empty: `from  [address]`), then sendmail's `[address]`.
    {
      id: 'pregreet',
      pattern: `^${OPT_QID}rejecting commands from (?:[^ \\[\\]]* |\\[[0-9A-Fa-fIPv.:]+\\] )?\\[(?:IPv6:)?<ADDR>\\] due to pre-greeting traffic after [0-9]+ seconds$`,
    },
    { id: 'expn-vrfy', pattern: `^${OPT_QID}${RELAY}: (?:EXPN|VRFY) .* \\[rejected\\]$` },
    // checksmtpattack(): a command repeated past its limit (HELO, NOOP/VERB…, VRFY/EXPN, ETRN); AUTH
    // floods are sendmail-auth's.
    { id: 'auth-flood-elsewhere', kind: 'info', pattern: `^${OPT_QID}${RELAY}: possible SMTP attack: command=AUTH, count=[0-9]+$` },
    { id: 'command-flood', pattern: `^${OPT_QID}${RELAY}: possible SMTP attack: command=[A-Za-z]{1,40}, count=[0-9]+$` },
    { id: 'rcpt-flood', pattern: `^${OPT_QID}${RELAY}: Possible SMTP RCPT flood, (?:shutting down connection|throttling)\\.$` },
    // An HTTP/proxy request (GET, POST, CONNECT, USER) as the first command.
    { id: 'open-proxy', pattern: `^${OPT_QID}${RELAY}: probable open proxy: command=.*$` },
    // CMDLOGBOGUS: the DEBUG/WIZ/SHOWQ… commands of old exploits; the name is sendmail's, the
    // parenthesis its own copy of the address.
    { id: 'bogus-command', pattern: `^${OPT_QID}"[A-Za-z]+" command from ${RELAY} \\((?:IPv6:)?[0-9A-Fa-f.:]+\\)$` },
    // A milter refused the client at connect (5xx): host is the peer's name, addr sendmail's.
    { id: 'milter-connect', pattern: `^${OPT_QID}Milter: connect: host=[^ ,]*, addr=(?:IPv6:)?<ADDR>, reject=5[0-9]{2} .*$` },
    // `<user>... User unknown` then, for the same queue id, the summary of a message that got no
    // recipients: the client tried addresses that do not exist.
    { id: 'unknown-user', kind: 'info', pattern: `^${QID}<.*>\\.\\.\\. (?:No such user here|User unknown)$` },
    { id: 'no-recipients', pattern: `^${QID}from=.*, nrcpts=0, .*relay=${RELAY}$` },
    { id: 'no-mail', modes: EXTRA, pattern: `^${OPT_QID}${RELAY} did not issue MAIL/EXPN/VRFY/ETRN during connection to [A-Za-z0-9_-]+$` },
    { id: 'lost-input', modes: ['aggressive'], pattern: `^${OPT_QID}lost input channel from ${RELAY} to [A-Za-z0-9_-]+ after [a-z]+$` },
  ],
  createReducer(): Reducer {
    const unknownUser = new SessionMap<true>(60 * 60_000);
    return {
      reduce(m) {
        const qid = m.captures.qid;
        const draft = (): ReturnType<typeof oneAttempt> => {
          const d = oneAttempt(m);
          if (d?.captures) delete d.captures.qid;
          return d;
        };
        if (m.rule.id === 'unknown-user') {
          if (qid) unknownUser.set(qid, true, m.time);
          return null;
        }
        if (m.rule.id === 'no-recipients') {
          if (!qid || !unknownUser.get(qid)) return null;
          unknownUser.delete(qid);
          return draft();
        }
        return draft();
      },
      sweep: (now) => unknownUser.sweep(now),
    };
  },
};
