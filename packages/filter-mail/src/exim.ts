/**
 * `exim`: failed SMTP AUTH (`authenticator failed`), and in modes `more`/`aggressive` clients that
 * misbehave (AUTH without it being offered, connections without MAIL, ACL drops, rejected recipients),
 * plus reverse-DNS failures in `aggressive`. Reads exim's mainlog (with or without `+pid` and message
 * ids) and exim through syslog or the journal (where exim's own date stays in the message).
 *
 * Exim writes the client as `H=name (helo) [address]:port I=[local]:port`; the HELO name is checked
 * by exim (no spaces or parentheses), so the address found after it is exim's. Text the client sends
 * before it (`SMTP protocol error in "<command>"`) is taken greedily up to the last `" H=` that is
 * followed by exim's fixed ending.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { SessionMap, oneAttempt } from './common.js';

/** exim's own date (journal/syslog), `[pid]`, and a message id (4.9x `1rnQZC-00000000Ai6-1Kxx`, older `1ahr79-0006jK-G9`). */
const PRE =
  '^(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?(?: [+-][0-9]{4})? )?(?:\\[[0-9]+\\] )?(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} )?';
/**
 * host_and_ident(): `name (helo) [address]:port I=[local]:port U=ident Ci=id` — every part but the
 * address optional; the ident (the client's identd) comes after the address.
 */
const HOST = '(?:[^ ()\\[\\]]+ )?(?:\\([^()]*\\) )?\\[<ADDR>\\](?::[0-9]+)?(?: I=\\[[^\\]]+\\](?::[0-9]+)?)?(?: U=[^ ]+)?(?: Ci=[0-9A-Za-z.-]+)?';
/** add_tls_info_for_log(): cipher, certificate verified, peer DN (the client's, quoted), SNI. */
const TLS = '(?: X=[^ ]+)?(?: CV=(?:yes|no))?(?: DN="[^"]*")?(?: SNI=[^ ]+)?';
const MORE = ['more', 'aggressive'];

export const eximFilter: FilterDefinition = {
  id: 'exim',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Exim: failed SMTP AUTH; modes more/aggressive: protocol abuse, ACL drops, rejected recipients, DNS failures',
  modes: ['normal', 'more', 'aggressive'],
  rules: [
    // 4.99 writes `for H=(helo) [address]…` (host_and_ident(TRUE)), earlier versions without `H=`.
    {
      id: 'auth-failed',
      pattern: `${PRE}[A-Za-z0-9_-]+ authenticator failed for (?:H=)?${HOST}(?: Ci=[0-9]+)?: 535 Incorrect authentication data(?: \\(set_id=(?P<user>.*)\\))?(?:: [0-9]+ Time\\(s\\))?$`,
    },
    { id: 'auth-not-advertised', modes: MORE, pattern: `${PRE}SMTP protocol error in ".*" H=${HOST} AUTH command used when not advertised$` },
    // A client that authenticated (` A=…` before the TLS fields) and sent nothing is not counted: a
    // mail program checking its settings.
    { id: 'no-mail', modes: MORE, pattern: `${PRE}no MAIL in (?:TFO\\*? )?SMTP connection from ${HOST}(?: D=[0-9hms.]+)?${TLS}(?: C=[A-Za-z,]+)?$` },
    { id: 'acl-drop', modes: MORE, pattern: `${PRE}SMTP connection from ${HOST}(?: D=[0-9hms]+)? closed by DROP in ACL$` },
    {
      id: 'rcpt-rejected',
      modes: MORE,
      pattern: `${PRE}H=${HOST}(?: Ci=[0-9]+)?${TLS}(?: A=[^ ]+)? F=<.*>(?: A=[^ ]+)? rejected RCPT <.*>: (?:Unrouteable address|relay not permitted|Unknown user|unknown user|Sender verify failed|.*[Rr]ejected .*)$`,
    },
    // smtp_handle_acl_fail(): an ACL of the admin's refused the connection, HELO, sender or a command
    // (4xx `temporarily rejected` is not counted: no `rejected` right after the host).
    {
      id: 'acl-rejected',
      modes: MORE,
      pattern: `${PRE}(?:DS )?H=${HOST}${TLS} rejected (?:connection in "connect" ACL|EHLO or HELO [^ ]*|MAIL <.*>|VRFY .*|EXPN .*|AUTH [A-Za-z0-9_-]+|ETRN .*)(?:: .*)?$`,
    },
    // smtp_in.c: the client talked before the banner (exim's pregreet check); the host comes before the input.
    {
      id: 'sync-greeting',
      modes: MORE,
      pattern: `${PRE}SMTP protocol synchronization error \\(input sent without waiting for greeting\\): rejected connection from H=${HOST} input=.*$`,
    },
    // `rejected "<command>" H=<host> next input="<input>"`: client text on both sides of the host, so
    // both are read without quotes (4.97+ escapes them as \"; 4.96 does not): a forged ` H=[…]` inside
    // the command would need the real host's part after it to end the line, and it never does.
    {
      id: 'sync-pipelining',
      modes: MORE,
      pattern: `${PRE}SMTP protocol synchronization error \\(next input sent too soon: pipelining was(?: not)? advertised\\): rejected "[^"]*" H=${HOST} next input="[^"]*"(?: \\([0-9]+ bytes\\))?$`,
    },
    { id: 'helo-invalid', modes: MORE, pattern: `${PRE}rejected (?:EHLO|HELO) from ${HOST}: syntactically invalid argument\\(s\\): .*$` },
    {
      id: 'too-many-errors',
      modes: MORE,
      pattern: `${PRE}SMTP call from ${HOST} dropped: too many (?:syntax or protocol errors|unrecognized commands|nonmail commands) \\(last (?:command was|was) .*$`,
    },
    { id: 'no-ptr', modes: ['aggressive'], pattern: `${PRE}no host name found for IP address <ADDR>$` },
    { id: 'ptr-mismatch', modes: ['aggressive'], pattern: `${PRE}no IP address found for host [^ ]+ \\(during SMTP connection from ${HOST}\\)$` },
    { id: 'acl-dropped', modes: ['aggressive'], pattern: `${PRE}H=${HOST} dropped by '[a-z_]+' ACL(?:: .*)?$` },
  ],
  createReducer(): Reducer {
    // syslog_duplication (default true): exim writes a line meant for both mainlog and rejectlog
    // (authenticator failures, ACL rejects) twice in a row to syslog. A syslog/journal line of the same
    // exim process identical to the one before it, which was not itself such a copy, is that copy.
    // (Two real identical failures in the same second of one connection count once where
    // syslog_duplication is off: the price of not counting every failure twice where it is on.)
    const last = new SessionMap<{ message: string; copy: boolean }>(10 * 60_000);
    return {
      reduce(m) {
        const e = m.entry;
        if (e.pid !== undefined) {
          const key = `${e.program ?? ''}[${e.pid}]`;
          const message = e.message.toString('latin1');
          const before = last.get(key);
          const copy = before !== undefined && !before.copy && before.message === message;
          last.set(key, { message, copy }, m.time);
          if (copy) return null;
        }
        return oneAttempt(m);
      },
      sweep: (now) => last.sweep(now),
    };
  },
};
