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
import type { FilterDefinition } from '@f2b/core';

/** exim's own date (journal/syslog), `[pid]`, and a message id (4.9x `1rnQZC-00000000Ai6-1Kxx`, older `1ahr79-0006jK-G9`). */
const PRE = '^(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?(?: [+-][0-9]{4})? )?(?:\\[[0-9]+\\] )?(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4} )?';
/** `name (helo) [address]:port I=[local]:port` — every part but the address optional. */
const HOST = '(?:[^ ()\\[\\]]+ )?(?:\\([^()]*\\) )?\\[<ADDR>\\](?::[0-9]+)?(?: I=\\[[^\\]]+\\](?::[0-9]+)?)?';
const MORE = ['more', 'aggressive'];

export const eximFilter: FilterDefinition = {
  id: 'exim',
  description: 'Exim: failed SMTP AUTH; modes more/aggressive: protocol abuse, ACL drops, rejected recipients, DNS failures',
  modes: ['normal', 'more', 'aggressive'],
  rules: [
    {
      id: 'auth-failed',
      pattern: `${PRE}[A-Za-z0-9_-]+ authenticator failed for ${HOST}(?: Ci=[0-9]+)?: 535 Incorrect authentication data(?: \\(set_id=(?P<user>.*)\\))?(?:: [0-9]+ Time\\(s\\))?$`,
    },
    { id: 'auth-not-advertised', modes: MORE, pattern: `${PRE}SMTP protocol error in ".*" H=${HOST} AUTH command used when not advertised$` },
    { id: 'no-mail', modes: MORE, pattern: `${PRE}no MAIL in SMTP connection from ${HOST}(?: D=[0-9hms]+)?(?: C=[A-Za-z,]+)?$` },
    { id: 'acl-drop', modes: MORE, pattern: `${PRE}SMTP connection from ${HOST}(?: D=[0-9hms]+)? closed by DROP in ACL$` },
    {
      id: 'rcpt-rejected', modes: MORE,
      pattern: `${PRE}H=${HOST}(?: Ci=[0-9]+)?(?: CV=[a-z]+)?(?: SNI=[^ ]+)?(?: X=[^ ]+)?(?: A=[^ ]+)? F=<.*> rejected RCPT <.*>: (?:Unrouteable address|relay not permitted|Unknown user|unknown user|Sender verify failed|.*[Rr]ejected .*)$`,
    },
    // smtp_in.c: the client talked before the banner (exim's pregreet check); the host comes before the input.
    { id: 'sync-greeting', modes: MORE, pattern: `${PRE}SMTP protocol synchronization error \\(input sent without waiting for greeting\\): rejected connection from H=${HOST} input=.*$` },
    { id: 'helo-invalid', modes: MORE, pattern: `${PRE}rejected (?:EHLO|HELO) from ${HOST}: syntactically invalid argument\\(s\\): .*$` },
    { id: 'too-many-errors', modes: MORE, pattern: `${PRE}SMTP call from ${HOST} dropped: too many (?:syntax or protocol errors|unrecognized commands|nonmail commands) \\(last (?:command was|was) .*$` },
    { id: 'no-ptr', modes: ['aggressive'], pattern: `${PRE}no host name found for IP address <ADDR>$` },
    { id: 'ptr-mismatch', modes: ['aggressive'], pattern: `${PRE}no IP address found for host [^ ]+ \\(during SMTP connection from ${HOST}\\)$` },
    { id: 'acl-dropped', modes: ['aggressive'], pattern: `${PRE}H=${HOST} dropped by '[a-z_]+' ACL(?:: .*)?$` },
  ],
};
