/**
 * Connection facts (where a connection comes from) and probes: connections that never try to
 * authenticate — banner garbage, failed key exchange, timeouts (ddos mode; negotiation failures are
 * extra failures too).
 */
import { GREEDY_USER, LEVEL, PORT, PREAUTH, USER_NO_COLON_SPACE, AUTH_TAIL } from './patterns.js';
import { ALL, DDOS, PROBE_OR_EXTRA, type RuleSpec } from './rule-spec.js';

export const PROBE_RULES: readonly RuleSpec[] = [
  // --- connection facts ------------------------------------------------------------------------------
  {
    id: 'connection-from', effect: 'connect', info: ALL,
    pattern: '^Connection from <ADDR>(?: port [0-9]+(?: on \\S+ port [0-9]+(?: rdomain ".*")?)?)?$',
  },
  {
    id: 'postponed', effect: 'address', info: ALL,
    pattern: `^(?:Postponed|Partial) (?P<method>\\S+) for (?:invalid user )?${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    // A vendor patch's connection banner: `SSH: Server;Ltype: Version;Remote: A-port;…`.
    id: 'ssh-ltype', effect: 'address', info: ALL,
    pattern: '^SSH: Server;Ltype: [A-Za-z]+;Remote: <ADDR>-[0-9]+;.*$',
  },

  // --- probes: connections that never try to authenticate (ddos) -------------------------------------
  {
    id: 'kex-identification', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}kex_exchange_identification: .*$`,
  },
  {
    id: 'banner-exchange', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}banner exchange: Connection from <ADDR> port [0-9]+: .*$`,
  },
  {
    id: 'no-identification', effect: 'close', failure: DDOS,
    pattern: `^Did not receive identification string from <ADDR>${PORT}$`,
  },
  {
    // The client's version string is free text before the address: greedy, the address is last.
    id: 'bad-protocol-version', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}Bad protocol version identification '.*' from <ADDR>${PORT}$`,
  },
  {
    id: 'protocol-mismatch', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}Protocol major versions differ(?: for <ADDR>)?: .*$`,
  },
  {
    id: 'negotiation-failed', effect: 'close', failure: PROBE_OR_EXTRA,
    pattern: `^${LEVEL}Unable to negotiate with <ADDR>${PORT}: no matching .*$`,
  },
  {
    id: 'negotiation-failed-old', effect: 'close', failure: PROBE_OR_EXTRA,
    pattern: `^fatal: (?:Unable to negotiate a key exchange method|no matching [a-z ]+ found: client .* server .*|no (?:kex|hostkey) alg)${PREAUTH}$`,
  },
  {
    id: 'dispatch-fatal', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}ssh_dispatch_run_fatal: Connection from (?:(?:authenticating|invalid) user ${GREEDY_USER} )?<ADDR> port [0-9]+: .*$`,
  },
  {
    id: 'auth-timeout', effect: 'close', failure: DDOS,
    pattern: `^${LEVEL}Timeout before authentication for <ADDR>${PORT}$`,
  },
  {
    id: 'socket-reset', effect: 'close', failure: DDOS,
    pattern: `^fatal: (?:Read from socket failed|Write failed): Connection reset by peer${PREAUTH}$`,
  },
  {
    // OpenSSH 9.8+ listener (PerSourcePenalties): one line per refused connection of a penalised source.
    id: 'penalty-drop', effect: 'close', stateless: true, failure: DDOS,
    pattern: '^drop connection #[0-9]+ from \\[<ADDR>\\]:[0-9]+ on \\[\\S+\\]:[0-9]+ penalty: .*$',
  },
];
