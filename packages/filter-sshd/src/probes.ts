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
    id: 'connection-from',
    effect: 'connect',
    info: ALL,
    pattern: '^Connection from <ADDR>(?: port [0-9]+(?: on \\S+ port [0-9]+(?: rdomain ".*")?)?)?$',
  },
  {
    id: 'postponed',
    effect: 'address',
    info: ALL,
    pattern: `^(?:Postponed|Partial) (?P<method>\\S+) for (?:invalid user )?${USER_NO_COLON_SPACE}${AUTH_TAIL}$`,
  },
  {
    // A vendor patch's connection banner: `SSH: Server;Ltype: Version;Remote: A-port;…`.
    id: 'ssh-ltype',
    effect: 'address',
    info: ALL,
    pattern: '^SSH: Server;Ltype: [A-Za-z]+;Remote: <ADDR>-[0-9]+;.*$',
  },

  // --- probes: connections that never try to authenticate (ddos) -------------------------------------
  {
    id: 'kex-identification',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}kex_exchange_identification: .*$`,
  },
  {
    id: 'banner-exchange',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}banner exchange: Connection from <ADDR> port [0-9]+: .*$`,
  },
  {
    id: 'no-identification',
    effect: 'close',
    failure: DDOS,
    pattern: `^Did not receive identification string from <ADDR>${PORT}$`,
  },
  {
    // The client's version string is free text before the address: greedy, the address is last.
    id: 'bad-protocol-version',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}Bad protocol version identification '.*' from <ADDR>${PORT}$`,
  },
  {
    // OpenSSH ≤ 7.x (sshd.c): `… differ for A port P: <ours> vs. <theirs>`; 8.0+ (kex.c): `… differ: 2 vs. 1`.
    id: 'protocol-mismatch',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}Protocol major versions differ(?: for <ADDR>${PORT})?: .*$`,
  },
  {
    // kex.c 8.0+: no address; the connection's `banner exchange: Connection from A …` or close names it.
    id: 'bad-remote-version',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}Bad remote protocol version identification: '.*'${PREAUTH}$`,
  },
  {
    // compat.c's SSH_BUG_PROBE / SSH_BUG_SCANNER banners (ssh-scan, probes): the version follows the address.
    id: 'scanner-banner',
    effect: 'close',
    failure: DDOS,
    pattern: `^(?:probed|scanned) from <ADDR> port [0-9]+ with .*${PREAUTH}$`,
  },
  {
    // sshd.c ≤ 7.x: the client closed before reading our banner.
    id: 'ident-write-failed',
    effect: 'close',
    failure: DDOS,
    pattern: '^Could not write ident string to <ADDR>(?: port [0-9]+)?$',
  },
  {
    // sshd.c ≤ 7.x (SSH_BUG_DERIVEKEY): a client too old, or a scanner posing as one; no address.
    id: 'unsafe-client',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}Client version ".*" uses unsafe key agreement; refusing connection${PREAUTH}$`,
  },
  {
    id: 'negotiation-failed',
    effect: 'close',
    failure: PROBE_OR_EXTRA,
    pattern: `^${LEVEL}Unable to negotiate with <ADDR>${PORT}: no matching .*$`,
  },
  {
    id: 'negotiation-failed-old',
    effect: 'close',
    failure: PROBE_OR_EXTRA,
    pattern: `^fatal: (?:Unable to negotiate a key exchange method|no matching [a-z ]+ found: client .* server .*|no (?:kex|hostkey) alg)${PREAUTH}$`,
  },
  {
    // sshpkt_fatal's default form `<where>: Connection from <remote id>: <error>` (10.5 adds `read`).
    id: 'dispatch-fatal',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}(?:ssh_dispatch_run_fatal|dispatch_protocol_error|read|send DEBUG): Connection from (?:(?:authenticating|invalid) user ${GREEDY_USER} )?<ADDR> port [0-9]+: .*$`,
  },
  {
    id: 'auth-timeout',
    effect: 'close',
    failure: DDOS,
    pattern: `^${LEVEL}Timeout before authentication for <ADDR>${PORT}$`,
  },
  {
    // OpenSSH 9.8+: the listener reports LoginGraceTime for its child (`connection from A to B, pid = N`),
    // under its own pid: stateless. The suffix is the child's state (` (early)`, ` (sending config)`).
    id: 'auth-timeout-listener',
    effect: 'close',
    stateless: true,
    failure: DDOS,
    pattern: '^Timeout before authentication for connection from <ADDR>(?: to \\S+)?, pid = [0-9]+(?: \\([a-z ]+\\))?$',
  },
  {
    // packet.c: a corrupt packet before authentication (garbage, CBC/MAC attacks); the
    // `ssh_dispatch_run_fatal: Connection from A …` that follows names the connection.
    id: 'corrupt-packet',
    effect: 'close',
    failure: DDOS,
    pattern:
      '^(?:error: )?(?:Bad packet length [0-9]+\\.|Corrupted MAC on input\\.|padding error: need [0-9]+ block [0-9]+ mod [0-9]+' +
      '|non-transport message [0-9]+ received from peer during key exchange|RekeyLimit exceeded before authentication completed' +
      '|Finished discarding for <ADDR> port [0-9]+) \\[preauth\\]$',
  },
  {
    // packet.c ssh_packet_disconnect for protocol abuse (Terrapin-style strict KEX, repeated KEXINIT,
    // sequence number wrap) — sshd's own text after the address, so the user (if any) is greedy.
    id: 'disconnect-protocol',
    effect: 'close',
    failure: DDOS,
    pattern:
      `^Disconnecting (?:(?:authenticating|invalid) user ${GREEDY_USER} )?<ADDR> port [0-9]+: ` +
      '(?:strict KEX violation: [a-zA-Z0-9 ()]+|multiple KEXINIT received from peer' +
      `|(?:incoming|outgoing) sequence number wrapped during initial key exchange)${PREAUTH}$`,
  },
  {
    // auth2.c input_service_request: before any user name, so no preamble; the service is client text
    // after the address (anchored on the left).
    id: 'bad-service-request',
    effect: 'close',
    failure: DDOS,
    pattern: '^Disconnecting <ADDR> port [0-9]+: bad service request .*$',
  },
  {
    // OpenSSH ≤ 7.x writes no address: the connection's other lines give it.
    id: 'bad-service-request-old',
    effect: 'close',
    failure: DDOS,
    pattern: '^Disconnecting: bad service request .*$',
  },
  {
    id: 'socket-reset',
    effect: 'close',
    failure: DDOS,
    pattern: `^fatal: (?:Read from socket failed|Write failed): Connection reset by peer${PREAUTH}$`,
  },
  {
    // The listener, one line per refused connection: OpenSSH 9.8+'s PerSourcePenalties (`penalty: <why>`),
    // and MaxStartups (`past MaxStartups` before 9.8, `Maxstartups` since) — a source beyond the server's
    // capacity of unauthenticated connections.
    id: 'penalty-drop',
    effect: 'close',
    stateless: true,
    failure: DDOS,
    pattern: '^drop connection #[0-9]+ from \\[<ADDR>\\]:[0-9]+ on \\[\\S+\\]:[0-9]+ ' + '(?:penalty: .*|past MaxStartups|Maxstartups|PerSourcePenalties)$',
  },
];
