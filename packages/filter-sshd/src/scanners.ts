/**
 * Captures of the most frequent sshd messages read from their fixed layout instead of RE2's exec
 * (`FilterRule.scan`): the engine calls a scanner only after RE2's test found the rule's pattern to
 * match, on ASCII messages, and falls back to exec when the scanner returns undefined.
 *
 * Each scanner reads the message from its ends inwards. The patterns are anchored at both ends, and
 * what follows the user name is sshd's own fixed tail: read from the right, every optional part of
 * it is either there or cannot be (a `[preauth]`, ` ssh2` or digits are never an address), so the
 * address and the end of the user name are fixed, and the greedy user is what lies between. Only
 * IPv4 addresses are read here (an IPv6 address has colons, which other parts of the patterns
 * treat specially): any other shape goes to exec. Every scanner is checked against exec by a
 * property test (test/scanners.test.ts), on generated hostile messages and on the sample logs.
 */
import { FROM, bytes, endingWith, hasAt, hasColon, ipv4After, ipv4Before, latin1, oneOfAt, portBefore, tokenEnd, withoutPreauth } from './scan-bytes.js';

type Groups = Record<string, string>;
export type Scanner = (message: Buffer) => Groups | undefined;

const lits = (...texts: string[]) => texts.map(bytes);

/** `^(?:Invalid|Illegal) user (?P<user>.*) from <ADDR>(?: port [0-9]+)?(?: \[preauth\])?$` */
export const scanInvalidUser: Scanner = (b) => {
  const userStart = oneOfAt(b, 0, INVALID_USER);
  if (userStart < 0) return undefined;
  let end = withoutPreauth(b, b.length);
  const port = portBefore(b, end);
  if (port >= 0) end = port;
  return userFromAddr(b, userStart, end);
};
const INVALID_USER = lits('Invalid user ', 'Illegal user ');

/**
 * `^(?:Connection (?:closed|reset) by|Disconnected from) <which> user (?P<user>.*) <ADDR> port [0-9]+(?: \[preauth\])?$`
 * for `which` = `invalid` (closed-invalid-user) or `authenticating` (closed-authenticating-user).
 */
function closedByUser(which: string): Scanner {
  const prefixes = lits(`Connection closed by ${which} user `, `Connection reset by ${which} user `, `Disconnected from ${which} user `);
  return (b) => {
    const userStart = oneOfAt(b, 0, prefixes);
    if (userStart < 0) return undefined;
    const port = portBefore(b, withoutPreauth(b, b.length));
    return port < 0 ? undefined : userSpaceAddr(b, userStart, port);
  };
}
export const scanClosedInvalidUser = closedByUser('invalid');
export const scanClosedAuthenticatingUser = closedByUser('authenticating');

/** `^Disconnecting (?:authenticating|invalid) user (?P<user>.*) <ADDR> port [0-9]+: Too many authentication failures(?: \[preauth\])?$` */
export const scanTooManyFailures: Scanner = (b) => {
  const userStart = oneOfAt(b, 0, DISCONNECTING_USER);
  if (userStart < 0) return undefined;
  const tail = endingWith(b, withoutPreauth(b, b.length), TOO_MANY);
  const port = tail < 0 ? -1 : portBefore(b, tail);
  return port < 0 ? undefined : userSpaceAddr(b, userStart, port);
};
const DISCONNECTING_USER = lits('Disconnecting authenticating user ', 'Disconnecting invalid user ');
const TOO_MANY = bytes(': Too many authentication failures');

/**
 * `^(?:(?:error|fatal): )?maximum authentication attempts exceeded for (?:invalid user )?(?P<user>.*) from <ADDR> port [0-9]+ ssh2(?: \[preauth\])?$`
 * The optional `invalid user ` is taken whenever the user can still end where sshd's tail starts.
 */
export const scanMaxAuthTries: Scanner = (b) => {
  const afterLevel = Math.max(0, oneOfAt(b, 0, LEVELS));
  let userStart = oneOfAt(b, afterLevel, MAX_EXCEEDED);
  if (userStart < 0) return undefined;
  const ssh2 = endingWith(b, withoutPreauth(b, b.length), SSH2);
  const port = ssh2 < 0 ? -1 : portBefore(b, ssh2);
  if (port < 0) return undefined;
  const host = ipv4Before(b, port);
  const userEnd = host < 0 ? -1 : endingWith(b, host, FROM);
  if (userEnd < 0) return undefined;
  if (hasAt(b, userStart, INVALID) && userStart + INVALID.length <= userEnd) userStart += INVALID.length;
  return userEnd < userStart ? undefined : { user: latin1(b, userStart, userEnd), host: latin1(b, host, port) };
};
const LEVELS = lits('error: ', 'fatal: ');
const MAX_EXCEEDED = lits('maximum authentication attempts exceeded for ');
const SSH2 = bytes(' ssh2');
const INVALID = bytes('invalid user ');

/**
 * `^(?:kernel: …)?Failed (?P<method>\S+) for [(?:invalid|illegal) user ](?P<user>NO_COLON_SPACE) from <ADDR>(?: port [0-9]+(?: ssh[12](?:: KEY_INFO)?)?)?(?: \[preauth\])?$`
 * read only when the message has no colon at all: then there is no kernel prefix, no key info, no
 * IPv6 address, and the user is any text.
 */
function failed(invalidUser: boolean): Scanner {
  return (b) => {
    if (!hasAt(b, 0, FAILED) || hasColon(b, 0)) return undefined;
    const methodEnd = tokenEnd(b, FAILED.length);
    let userStart = hasAt(b, methodEnd, FOR) ? methodEnd + FOR.length : -1;
    if (invalidUser && userStart >= 0) userStart = oneOfAt(b, userStart, INVALID_OR_ILLEGAL);
    if (userStart < 0 || methodEnd === FAILED.length) return undefined;
    let end = withoutPreauth(b, b.length);
    const ssh = endingWith(b, end, SSH1) >= 0 ? end - SSH1.length : endingWith(b, end, SSH2);
    const port = portBefore(b, ssh >= 0 ? ssh : end);
    if (ssh >= 0 && port < 0) return undefined;
    if (port >= 0) end = port;
    const groups = userFromAddr(b, userStart, end);
    if (groups !== undefined) groups.method = latin1(b, FAILED.length, methodEnd);
    return groups;
  };
}
export const scanFailedInvalidUser = failed(true);
export const scanFailed = failed(false);
const FAILED = bytes('Failed ');
const FOR = bytes(' for ');
const INVALID_OR_ILLEGAL = lits('invalid user ', 'illegal user ');
const SSH1 = bytes(' ssh1');

/**
 * PAM's `… ruser=(?P<ruser>\S*) rhost=<HOST>(?: +user=(?P<user>\S*))?(?: \[preauth\])? *$` after a
 * fixed run of `\S*` fields (pam-auth-failure; pam-more-failures, which does not capture ruser):
 * no field before it holds a space, so the first ` ruser=` is the one, and the host and user are
 * the runs of non-space after their keys.
 */
function pamFields(captureRuser: boolean): Scanner {
  return (b) => {
    const at = b.indexOf(RUSER);
    if (at < 0) return undefined;
    const ruserEnd = tokenEnd(b, at + RUSER.length);
    if (!hasAt(b, ruserEnd, RHOST)) return undefined;
    const hostStart = ruserEnd + RHOST.length;
    const hostEnd = tokenEnd(b, hostStart);
    const groups: Groups = captureRuser ? { ruser: latin1(b, at + RUSER.length, ruserEnd) } : {};
    groups.host = latin1(b, hostStart, hostEnd);
    let i = hostEnd;
    while (b[i] === 0x20) i++;
    if (i > hostEnd && hasAt(b, i, USER_KEY)) groups.user = latin1(b, i + USER_KEY.length, tokenEnd(b, i + USER_KEY.length));
    return groups;
  };
}
export const scanPamAuthFailure = pamFields(true);
export const scanPamMoreFailures = pamFields(false);
const RUSER = bytes(' ruser=');
const RHOST = bytes(' rhost=');
const USER_KEY = bytes('user=');

/**
 * `^(?:(?:error|fatal): )?Received disconnect from <ADDR>(?: port [0-9]+)?: ?…` (the disconnect
 * rules): the address is the IPv4 run right after `from `, read when a space or `: ` follows it —
 * then the address has no room for the two colons of an IPv6 one.
 */
export const scanReceivedDisconnect: Scanner = (b) => {
  const afterLevel = Math.max(0, oneOfAt(b, 0, LEVELS));
  const host = oneOfAt(b, afterLevel, RECEIVED);
  const hostEnd = host < 0 ? -1 : ipv4After(b, host);
  if (hostEnd < 0) return undefined;
  const next = b[hostEnd];
  if (next !== 0x20 && !(next === 0x3a && b[hostEnd + 1] === 0x20)) return undefined;
  return { host: latin1(b, host, hostEnd) };
};
const RECEIVED = lits('Received disconnect from ');

/** `(?P<user>.*) from <IPv4>` ending at `end`, the user starting at `userStart`. */
function userFromAddr(b: Buffer, userStart: number, end: number): Groups | undefined {
  const host = ipv4Before(b, end);
  const userEnd = host < 0 ? -1 : endingWith(b, host, FROM);
  return userEnd < userStart ? undefined : { user: latin1(b, userStart, userEnd), host: latin1(b, host, end) };
}

/** `(?P<user>.*) <IPv4>` ending at `end`, the user starting at `userStart`. */
function userSpaceAddr(b: Buffer, userStart: number, end: number): Groups | undefined {
  const host = ipv4Before(b, end);
  return host - 1 < userStart ? undefined : { user: latin1(b, userStart, host - 1), host: latin1(b, host, end) };
}
