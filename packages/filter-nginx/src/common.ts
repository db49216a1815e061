/**
 * Pieces shared by the nginx filters.
 *
 * nginx writes two kinds of logs:
 * - error.log: `2023/12/09 21:35:20 [error] 983478#983478: *3 <text>, client: <addr>, server: <name>,
 *   request: "<line>", host: "<host>", referrer: "<referrer>"`. f2b's entry parser takes the date off,
 *   and reads `[error] 983478#983478:` as a syslog `host prog:` header, so the message starts at `*3`.
 *   When nginx logs to syslog or the journal (`error_log syslog:…`, stderr under systemd) the message
 *   still carries nginx's own date, level and pid, so every error-log pattern accepts them as an
 *   optional prefix.
 * - access.log (combined format): `<addr> - <user> [<date>] "<request>" <status> <bytes> "<referrer>"
 *   "<user agent>"`. The date sits inside the line, so the message is the whole line and the client
 *   address is its first field: anchoring there makes request, referrer and user agent harmless.
 */
import type { FailureDraft, Reducer, RuleMatch } from '@f2b/core';
import { ACCESS_LOG_QUOTED, ACCESS_LOG_START, oneAttempt } from '@f2b/kit';

/**
 * nginx's own `date [level] pid#tid: *connection ` prefix, every part optional: depending on how the
 * line arrived (file, syslog, journal) and on the entry parser's reading of `[level]`/`pid#tid:` as a
 * header, the message starts at any of them.
 */
export const ERR_PREFIX = '^(?:[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} )?(?:\\[[a-z]+\\] )?(?:[0-9]+#[0-9]+: )?(?:\\*[0-9]+ )?';

/**
 * The request line as nginx writes it after `request: `: a method, a URI without spaces (nginx rejects
 * spaces in the request line; the URI may contain a raw `"`), a protocol. Anything else that has no `"`
 * (a garbled line nginx could not parse) is accepted too.
 */
export const REQUEST = '"(?:[A-Z]+ [^ ]+ HTTP/[0-9.]+|[^"]*)"';

/**
 * What nginx appends after the request line, strictly: no field may contain a `"`. A strict end is
 * what makes a quote in client text (a decoded path, a user name) unable to end a field early and
 * present a later, forged `client:` segment: the real tail that follows the forgery has quotes.
 */
export const AFTER_REQUEST = '(?:, subrequest: "[^"]*")?(?:, upstream: "[^"]*")?(?:, host: "[^"]*")?(?:, referrer: "[^"]*")?$';

/** Everything nginx appends after `client: <addr>`, strictly. */
export const ERR_TAIL = `, server: [^,]*(?:, request: ${REQUEST})?${AFTER_REQUEST}`;

/** Start of an access-log line: optional virtual host (`$host $remote_addr …` formats), then the client. */
export const ACCESS_START = ACCESS_LOG_START;

/**
 * A quoted access-log field: nginx escapes `"` as `\x22`, Apache as `\"`, so a field ends at the first
 * unescaped quote.
 */
export const QUOTED = ACCESS_LOG_QUOTED;

/**
 * A reducer that counts one attempt per failure match, except when `suspicious(captures)` says the
 * line is ambiguous: text a client controls (a user name, a path) that contains what looks like a
 * second `client:` segment. Then nobody is counted rather than the wrong address.
 */
export function guardedReducer(suspicious: (captures: Readonly<Record<string, string>>) => boolean): () => Reducer {
  return () => ({
    reduce(m: RuleMatch): FailureDraft | null {
      return suspicious(m.captures) ? null : oneAttempt(m);
    },
  });
}

/** Fields nginx writes after the client address; in a capture before it, they betray an injection. */
export function carriesLaterFields(text: string | undefined): boolean {
  return text !== undefined && (text.includes('", referrer: "') || text.includes('", upstream: "') || text.includes('", subrequest: "'));
}
