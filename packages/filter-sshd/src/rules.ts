/**
 * The sshd rules: one entry per OpenSSH message (or family), with the modes in which it is a failure,
 * the modes in which it only tells the reducer something (an address, a success, a connection end),
 * and what it means for the connection's attempt count (`effect`, see rule-spec.ts and reducer.ts).
 *
 * Order matters only where two patterns can match one message (the engine takes the first in this
 * order): specific before generic. Otherwise the most frequent messages of a real auth.log come
 * first. Connection facts and probes are in probes.ts.
 */
import { AUTH_TAIL, CLOSED_BY, GREEDY_USER, KERNEL_PREFIX, LEVEL, NO_COLON_SPACE, PORT, PREAUTH, USER_NO_COLON_SPACE } from './patterns.js';
import { PROBE_RULES } from './probes.js';
import { ALL, AUTH_MODES, DDOS, PROBE_OR_EXTRA, type RuleSpec } from './rule-spec.js';
import {
  scanClosedAuthenticatingUser,
  scanClosedInvalidUser,
  scanFailed,
  scanFailedInvalidUser,
  scanInvalidUser,
  scanMaxAuthTries,
  scanPamAuthFailure,
  scanPamMoreFailures,
  scanReceivedDisconnect,
  scanTooManyFailures,
} from './scanners.js';

const CHANGE_OF_USER = `Change of username or service not allowed: ${NO_COLON_SPACE}:*`;
const RD = `${LEVEL}Received disconnect from <ADDR>${PORT}: ?`;
/** rsyslog's `message repeated N times: [ …]` around a message (the closing `]` ends the pattern). */
const REPEATED = 'message repeated (?P<repeat>[0-9]+) times: \\[ ';
/** auth_log()'s methods other than publickey (plus SSH-1's and old daemons'). */
const NOT_PUBLICKEY = 'password|keyboard-interactive(?:/[a-z]+)?|none|hostbased|gssapi-with-mic|gssapi-keyex|challenge-response|rhosts-rsa|rsa';

const AUTH_RULES: readonly RuleSpec[] = [
  // --- authentication attempts (auth.c auth_log, getpwnamallow, auth-pam.c) -------------------------
  {
    id: 'failed-invalid-user',
    effect: 'failed',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanFailedInvalidUser,
    pattern: `^${KERNEL_PREFIX}Failed (?P<method>\\S+) for (?:invalid|illegal) user ${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    id: 'failed-publickey',
    effect: 'soft-key',
    info: ALL,
    pattern: `^${KERNEL_PREFIX}Failed (?P<method>publickey) for ${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    id: 'failed',
    effect: 'failed',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanFailed,
    pattern: `^${KERNEL_PREFIX}Failed (?P<method>\\S+) for ${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    // rsyslog's RepeatedMsgReduction (on by default on Ubuntu) folds identical lines of one connection
    // into `message repeated N times: [ <message>]`: N more attempts. Refused keys of a valid user
    // stay pending (see failed-publickey), so that method is only read for invalid users.
    id: 'failed-invalid-user-repeated',
    effect: 'failed',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^${REPEATED}Failed (?P<method>\\S+) for (?:invalid|illegal) user ${USER_NO_COLON_SPACE}${AUTH_TAIL}\\]$`,
  },
  {
    id: 'failed-repeated',
    effect: 'failed',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^${REPEATED}Failed (?P<method>${NOT_PUBLICKEY}) for ${USER_NO_COLON_SPACE}${AUTH_TAIL}\\]$`,
  },
  {
    id: 'invalid-user',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanInvalidUser,
    pattern: `^(?:Invalid|Illegal) user ${GREEDY_USER} from <ADDR>${PORT}${PREAUTH}$`,
  },
  {
    // pam_unix/pam_sss/…: `authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=A  user=U`.
    // ruser and user are client-controlled and come on both sides of rhost: neither may hold a space.
    id: 'pam-auth-failure',
    effect: 'pam-soft',
    info: ALL,
    scan: scanPamAuthFailure,
    pattern:
      '^pam_[A-Za-z0-9_]+\\(sshd?:auth\\): authentication failure; logname=\\S* uid=[0-9]* euid=[0-9]* ' +
      `tty=\\S* ruser=(?P<ruser>\\S*) rhost=<HOST>(?: +user=(?P<user>\\S*))?${PREAUTH} *$`,
  },
  {
    id: 'accepted',
    effect: 'success',
    info: ALL,
    pattern: `^Accepted (?P<method>\\S+) for ${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    id: 'pam-more-failures',
    effect: 'pam-more',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanPamMoreFailures,
    pattern:
      '^(?:pam_[A-Za-z0-9_]+\\(sshd?:auth\\): )?PAM [0-9]+ more authentication failures?; logname=\\S* ' +
      `uid=[0-9]* euid=[0-9]* tty=\\S* ruser=\\S* rhost=<HOST>(?: +user=(?P<user>\\S*))?${PREAUTH} *$`,
  },

  // --- how connections end (packet.c sshpkt_fatal, ssh_packet_read_poll2) ---------------------------
  {
    // JSch and others send disconnect reason 3 with "Auth fail" when their authentication failed.
    id: 'disconnect-auth-fail',
    effect: 'close',
    failure: AUTH_MODES,
    scan: scanReceivedDisconnect,
    pattern: `^${RD}3: .*Auth fail(?:ed|ure)?${PREAUTH}$`,
  },
  {
    id: 'disconnect-no-auth-methods',
    effect: 'close',
    failure: PROBE_OR_EXTRA,
    scan: scanReceivedDisconnect,
    pattern: `^${RD}14: No (?:supported |more )?(?:user )?authentication methods available\\.?${PREAUTH}$`,
  },
  {
    id: 'disconnect-preauth',
    effect: 'close',
    failure: DDOS,
    scan: scanReceivedDisconnect,
    pattern: `^${RD}[0-9]+: .* \\[preauth\\]$`,
  },
  {
    id: 'disconnect',
    effect: 'close',
    info: ALL,
    scan: scanReceivedDisconnect,
    pattern: `^${RD}[0-9]+: .*$`,
  },
  {
    id: 'closed-invalid-user',
    effect: 'close',
    final: true,
    failure: ALL,
    scan: scanClosedInvalidUser,
    pattern: `^${CLOSED_BY} invalid user ${GREEDY_USER} <ADDR> port [0-9]+${PREAUTH}$`,
  },
  {
    id: 'closed-authenticating-user',
    effect: 'close',
    final: true,
    failure: PROBE_OR_EXTRA,
    info: ['normal'],
    scan: scanClosedAuthenticatingUser,
    pattern: `^${CLOSED_BY} authenticating user ${GREEDY_USER} <ADDR> port [0-9]+${PREAUTH}$`,
  },
  {
    id: 'closed-preauth',
    effect: 'close',
    final: true,
    failure: DDOS,
    info: ['normal', 'extra'],
    pattern: `^${CLOSED_BY} <ADDR>${PORT} \\[preauth\\]$`,
  },
  {
    id: 'closed',
    effect: 'close',
    final: true,
    info: ALL,
    // OpenSSH 10.0+ marks what the post-authentication child logs with ` [postauth]`.
    pattern: `^${CLOSED_BY}(?: user ${GREEDY_USER})? <ADDR>${PORT}(?: \\[postauth\\])?$`,
  },

  // --- MaxAuthTries (auth.c auth_maxtries_exceeded, then packet_disconnect) -------------------------
  {
    id: 'max-auth-tries',
    effect: 'max',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanMaxAuthTries,
    pattern: `^${LEVEL}maximum authentication attempts exceeded for (?:invalid user )?${GREEDY_USER} from <ADDR> port [0-9]+ ssh2${PREAUTH}$`,
  },
  {
    id: 'too-many-failures',
    effect: 'max',
    failure: AUTH_MODES,
    info: ['ddos'],
    scan: scanTooManyFailures,
    pattern: `^Disconnecting (?:authenticating|invalid) user ${GREEDY_USER} <ADDR> port [0-9]+: Too many authentication failures${PREAUTH}$`,
  },
  {
    // OpenSSH < 7.x: no address; the reducer takes it from the connection's other lines.
    id: 'too-many-failures-old',
    effect: 'max',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^Disconnecting: Too many authentication failures(?: for (?:(?:invalid|illegal) user )?(?P<user>.*?))?${PREAUTH}$`,
  },

  // --- refused before any password is checked -------------------------------------------------------
  {
    id: 'user-not-allowed',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern:
      `^User ${GREEDY_USER} from <HOST> not allowed because (?:not listed in AllowUsers|listed in DenyUsers|` +
      `not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)${PREAUTH}$`,
  },
  {
    id: 'user-not-allowed-local',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^User (?P<user>\\S+) not allowed because (?:account is locked|shell \\S+ (?:does not exist|is not executable))${PREAUTH}$`,
  },
  {
    id: 'input-userauth-invalid-user',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^input_userauth_request: (?:invalid|illegal) user (?P<user>.*?)${PREAUTH}$`,
  },
  {
    // OpenSSH 10.0+ RefuseConnection (usually in a Match block): the admin refuses this user or source.
    id: 'refused-by-config',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^administratively prohibited connection for (?:invalid user )?${GREEDY_USER} from <ADDR> port [0-9]+${PREAUTH}$`,
  },
  {
    id: 'root-login-refused',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^ROOT LOGIN REFUSED FROM <HOST>${PORT}${PREAUTH}$`,
  },
  {
    // auth-pam.c: `PAM: <pam_strerror> for [illegal user ]U from H` (macOS adds ` via <local address>`).
    id: 'pam-error',
    effect: 'pre',
    failure: AUTH_MODES,
    info: ['ddos'],
    // The text is pam_strerror() of Linux-PAM (`Authentication failure`, `User not known to the underlying
    // authentication module`, `Have exhausted maximum number of retries for service.`, `Permission denied`
    // — pam_access and the like refusing the user), OpenPAM (`authentication error`, `unknown user`,
    // `maximum number of tries exceeded`) or Solaris (`Authentication failed`, `No account present for user`).
    pattern:
      '^error: PAM: (?:[Aa]uthentication (?:failure|error|failed)|User not known to the underlying authentication module' +
      '|Have exhausted maximum number of retries for service\\.|[Pp]ermission denied|unknown user|maximum number of tries exceeded' +
      '|No account present for user) ' +
      `for (?:(?:illegal|invalid) user )?${GREEDY_USER} from <HOST>(?: via \\S+)?${PREAUTH} *$`,
  },
  {
    // `(user,service) -> (user2,service2)` is all client text: no field may hold ': ' (patterns.ts, rule 2).
    id: 'change-of-user',
    effect: 'close',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^Disconnecting (?:authenticating|invalid) user ${USER_NO_COLON_SPACE} <ADDR> port [0-9]+: ` + `${CHANGE_OF_USER}${PREAUTH}$`,
  },
  {
    // OpenSSH ≤ 7.x: no address (the connection's other lines give it).
    id: 'change-of-user-old',
    effect: 'close',
    failure: AUTH_MODES,
    info: ['ddos'],
    pattern: `^Disconnecting: ${CHANGE_OF_USER}${PREAUTH}$`,
  },
  {
    // tcp_wrappers: `refused connect from <client> (<addr>)`; the client part may carry an ident user.
    id: 'refused-connect',
    effect: 'close',
    stateless: true,
    failure: AUTH_MODES,
    pattern: '^refused connect from .* \\(<ADDR>\\)$',
  },
  {
    // libwrap's own refuse(): `refused connect from <eval_client>` — `[ident@]host name or address` —
    // without the address in parentheses. An ident user is the client's text: the host is after the last `@`.
    id: 'refused-connect-plain',
    effect: 'close',
    stateless: true,
    failure: AUTH_MODES,
    pattern: '^refused connect from (?:\\S*@)?<HOST>$',
  },
];

export const RULE_SPECS: readonly RuleSpec[] = [...AUTH_RULES, ...PROBE_RULES];

export const SPECS_BY_ID: ReadonlyMap<string, RuleSpec> = new Map(RULE_SPECS.map((s) => [s.id, s]));
