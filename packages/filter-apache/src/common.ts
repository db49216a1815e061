/**
 * The shapes of Apache httpd's error log, as f2b's entry parser leaves them (the date is taken off;
 * the level token is not a syslog header):
 *
 *   2.2:  [error] [client 192.0.2.1] user bob not found: /private
 *   2.4:  [auth_basic:error] [pid 17512:tid 1401] [client 192.0.2.1:51380] AH01618: user bob not found: /private
 *
 * The client address comes before anything the client wrote (user names, paths, the referer Apache
 * appends), so anchoring the start makes injection impossible. Apache 2.4 writes `address:port` without
 * brackets, also for IPv6 (`[client 2001:db8::1:51380]`): the port is taken off by the 2.4 rules, which
 * are told apart from 2.2 by the `module:` in the level token. The same shapes come through syslog
 * (`httpd[123]: [error] [client …]`), where the message is the same.
 */
import type { FilterRule } from '@f2b/core';
import { ACCESS_LOG_QUOTED, ACCESS_LOG_START } from '@f2b/kit';

/**
 * 2.4: `[module:level] [pid N:tid N] [file(line): ][(errno)text: ]` before the client (a level without
 * module needs the pid). The entry parser may take a bare `[level]` after the date for a program name
 * and leave the message starting at `[pid …]` or `[client …]`, so the level is optional where it has no
 * module.
 */
const PID = '\\[pid [0-9]+(?::tid [0-9]+)?\\] ';
const PRE24 = `^(?:\\[[A-Za-z0-9_.-]*:[a-z]+[0-9]?\\] (?:${PID})?|(?:\\[[a-z]+[0-9]?\\] )?${PID})(?:[A-Za-z0-9_.-]+\\([0-9]+\\): )?(?:\\([0-9-]+\\)[^\\[]*: )?\\[(?:client|remote) `;
/** 2.2: `[level] [client addr] ` (the level possibly taken off by the entry parser). */
const PRE22 = '^(?:\\[[a-z]+\\] )?\\[client <ADDR>\\] ';
/** Apache 2.4's message numbers. */
const AH = '(?:AH[0-9]{5}: )?';

/** The three rules (2.4 with port, 2.4 without, 2.2) for one message body (anchored at its end by the caller). */
export function errorRules(id: string, body: string, extra: Omit<FilterRule, 'id' | 'pattern'> = {}): FilterRule[] {
  return [
    { ...extra, id, pattern: `${PRE24}<ADDR>:[0-9]+\\] ${AH}${body}` },
    { ...extra, id, pattern: `${PRE24}<ADDR>\\] ${AH}${body}` },
    { ...extra, id, pattern: `${PRE22}${body}` },
  ];
}

/** What Apache may append to an error message: `, referer: <text>`. */
export const REFERER = '(?:, referer: .*)?$';

/** Start of an access-log line (common/combined, or `%v %h …` with the virtual host first). */
export const ACCESS_START = ACCESS_LOG_START;

/** A quoted access-log field: Apache escapes `"` as `\"`, nginx as `\x22`. */
export const QUOTED = ACCESS_LOG_QUOTED;
