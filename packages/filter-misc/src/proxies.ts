/**
 * Proxies and load balancers: `squid`, `haproxy-http-auth`, `traefik-auth`.
 */
import type { FilterDefinition } from '@f2b/core';

/** A double-quoted log field with backslash escapes. */
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';

/**
 * `squid`: requests squid denied (`TCP_DENIED/403`; `TCP_DENIED/407`: without or with wrong proxy
 * credentials) or refused as invalid (`NONE[_NONE]/400`, `/405`: garbage, web requests to the proxy port,
 * CONNECT abuse), from access.log in squid's native, common or combined format (file or syslog). The
 * client address comes before anything the client sent.
 */
export const squidFilter: FilterDefinition = {
  id: 'squid',
  description: 'Squid access.log: denied and invalid requests (open-proxy probing)',
  rules: [
    { id: 'denied', pattern: '^(?:[0-9]{9,10}\\.[0-9]{3} +)?[0-9]+ <ADDR> (?:TCP_DENIED(?:_ABORTED)?/40[37]|(?:NONE|NONE_NONE|TAG_NONE)/40[05]) [0-9]+ [A-Z_]+ .*$' },
    // logformat common/combined: the result tag is the last field, after everything the client sent
    { id: 'denied', pattern: `^<ADDR> [^ ]+ [^ ]+ \\[[^\\]]+\\] ${QUOTED} (?:40[37] [0-9]+(?: ${QUOTED} ${QUOTED})? TCP_DENIED(?:_ABORTED)?|40[05] [0-9]+(?: ${QUOTED} ${QUOTED})? (?:NONE|NONE_NONE|TAG_NONE)):HIER_NONE$` },
  ],
};

/**
 * `haproxy-http-auth`: requests haproxy itself answered 401 or 407 (`http-request auth`: the server
 * is `<NOSRV>`), from haproxy's HTTP log format through syslog. Without and with wrong credentials look
 * the same in haproxy's log, so a browser's first request counts too (maxretry must allow for it).
 */
export const haproxyHttpAuthFilter: FilterDefinition = {
  id: 'haproxy-http-auth',
  description: 'HAProxy: 401 answered by haproxy (http-request auth)',
  programs: ['haproxy'],
  rules: [
    { id: 'auth-required', pattern: '^<ADDR>:[0-9]+ \\[[^\\]]+\\] [^ ]+ [^ ]+/<NOSRV> [-+0-9/]+ 40[17] [0-9]+ .*$' },
  ],
};

const TRAEFIK = (user: string) => `^<ADDR> [^ ]+ ${user} \\[[^\\]]+\\] ${QUOTED} 401 [0-9-]+ .*$`;

/**
 * `traefik-auth`: requests traefik answered 401 (basic/digest auth middleware) in its access log
 * (common format). Mode `normal` (default) counts wrong credentials (a user name was sent); `ddos`
 * counts requests without any (`-`: normal for a browser's first request, many of them mean a
 * flood); `aggressive` both.
 */
export const traefikAuthFilter: FilterDefinition = {
  id: 'traefik-auth',
  description: 'Traefik access log: 401 with credentials (normal), without (ddos), or both (aggressive)',
  modes: ['normal', 'ddos', 'aggressive'],
  rules: [
    { id: 'wrong-credentials', modes: ['normal', 'aggressive'], pattern: TRAEFIK('(?P<user>[^ -][^ ]*|-[^ ]+)') },
    { id: 'no-credentials', modes: ['ddos', 'aggressive'], pattern: TRAEFIK('-') },
  ],
};
