/**
 * `asterisk`: failed SIP/IAX2/AMI registrations and authentications, calls to unknown extensions,
 * security events (res_security_log), from Asterisk's `messages` log or syslog/the journal.
 *
 * Asterisk's prefix (`[date] NOTICE[pid][C-call] chan_sip.c:123 in func: `) is partly read by f2b's
 * entry parser as a syslog header and partly not, depending on the version's format, so every pattern
 * accepts all of it as optional. Text the caller chooses (From display names, user names, extensions,
 * Call-IDs) is either before the address with Asterisk's fixed ending after it, or read strictly.
 */
import type { FilterDefinition, FilterRule } from '@f2b/core';

const PRE = '^ *(?:\\[[^\\]]+\\] )?(?:[A-Z]+\\[[0-9]+\\](?:\\[C-[0-9a-f]+\\])?:? +)?(?:[A-Za-z0-9_/.-]+\\.c(?::[0-9]+)?(?: in)?(?: [A-Za-z0-9_]+)?: +)?';
/**
 * An address that may carry `:port`: two rules, with the port first. One pattern with an optional port
 * would leave the split to the address shape (`1.2.3.4:5060` also looks like IPv6 text), so the rule
 * that requires the port runs first and the plain one catches the rest.
 */
function withPort(id: string, before: string, after: string): FilterRule[] {
  // `\\[??`: an IPv6 address takes its own brackets (the placeholder allows them); IPv4 in brackets
  // (`TCP:[192.0.2.1]:5060`) needs ours.
  return [
    { id, pattern: `${before}\\[??<ADDR>\\]?:[0-9]+${after}` },
    { id, pattern: `${before}\\[??<ADDR>\\]?${after}` },
  ];
}
const REG_REASON =
  '(?:Wrong password|No matching peer found|Username/auth name mismatch|Device does not match ACL|Peer is not supposed to register|ACL error \\(permit/deny\\)|Not a local domain)';
// pjsip_distributor.c check_endpoint adds ` after %u tries in %.3f ms` once unidentified requests pass the threshold
const PJSIP_REASON =
  '(?:No matching endpoint found|Not match Endpoint(?: Contact)? ACL|Failed to authenticate|Error to authenticate)(?: after [0-9]+ tries in [0-9.]+ ms)?';
const SEC_EVENTS =
  '(?:InvalidAccountID|InvalidPassword|FailedACL|ChallengeResponseFailed|RequestBadFormat|AuthMethodNotAllowed|RequestNotAllowed|InvalidTransport)';
/** Fields res_security_log writes after RemoteAddress (the header's keys may not appear again). */
const SEC_TAIL =
  '(?:,(?:Challenge|ReceivedChallenge|ReceivedHash|Response|ExpectedResponse|ACLName|SessionTV|Module|AuthMethod|RequestType|RequestParams|AttemptedTransport|UsingPassword)="[^"]*")*$';

export const asteriskFilter: FilterDefinition = {
  id: 'asterisk',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Asterisk: failed SIP/IAX2/AMI authentication, unknown peers/endpoints/extensions, security events',
  rules: [
    ...withPort('sip-registration', `${PRE}Registration from '.*' failed for '`, `' - ${REG_REASON}$`),
    ...withPort('pjsip-request', `${PRE}Request (?:'[A-Z]+' )?from '.*' failed for '`, `' \\(callid: [^ ]*\\) - ${PJSIP_REASON}$`),
    // the peer name is quoted in current versions, bare in older ones
    {
      id: 'iax2-auth',
      pattern: `${PRE}Host <ADDR> failed (?:to authenticate as|MD5 authentication for) (?:'[^']*'|[^' ]+)(?: \\([0-9a-f]* != [0-9a-f]*\\))?$`,
    },
    { id: 'iax2-no-peer', pattern: `${PRE}No registration for peer '[^']*' \\(from <ADDR>\\)$` },
    { id: 'ami-auth', pattern: `${PRE}<ADDR> (?:tried to authenticate with nonexistent user|failed to authenticate as|failed to pass IP ACL as) '.*'$` },
    // caller name and extension are the caller's: read only without quotes
    ...withPort(
      'unknown-extension',
      `${PRE}Call from '[^']*' \\((?:(?:UDP|TCP|TLS|WS|WSS):)?`,
      `\\) to extension '[^']*' rejected because extension not found in context '[^']*'\\.$`,
    ),
    ...withPort(
      'unknown-extension',
      `${PRE}[A-Za-z0-9_.@-]+: Call \\((?:UDP|TCP|TLS|WS|WSS):`,
      `\\) to extension '[^']*' rejected because extension not found in context '[^']*'\\.$`,
    ),
    { id: 'hacking-attempt', pattern: `${PRE}hacking attempt detected '<ADDR>'$` },
    ...withPort('unknown-sip-connection', `${PRE}Ext\\. [^"]*: "Rejecting unknown SIP connection from `, '"$'),
    // res_security_log: every header field read strictly and in Asterisk's order, and no header key
    // after RemoteAddress, so a quote in AccountID/SessionID cannot forge a RemoteAddress. AccountID is
    // optional (RequestBadFormat may have none).
    {
      id: 'security-event',
      pattern: `${PRE}SecurityEvent="${SEC_EVENTS}",EventTV="[^"]*",Severity="[^"]*",Service="[^"]*",EventVersion="[^"]*",(?:AccountID="[^"]*",)?SessionID="[^"]*",LocalAddress="[^"]*",RemoteAddress="IPV[46]/[A-Z]+/<ADDR>/[0-9]+"${SEC_TAIL}`,
    },
  ],
};
