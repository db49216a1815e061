/**
 * Proxies and load balancers: `squid`, `haproxy-http-auth`, `traefik-auth`.
 */
import type { FilterDefinition } from '@f2b/core';

/**
 * `squid`: requests squid denied (`TCP_DENIED/403`, `TCP_DENIED/407`) or refused as invalid
 * (`NONE/400`, `NONE/405`: CONNECT abuse), from access.log in squid's native format. The client address
 * is the third field, before anything the client sent.
 */
export const squidFilter: FilterDefinition = {
  id: 'squid',
  description: 'Squid access.log: denied and invalid requests (open-proxy probing)',
  rules: [
    { id: 'denied', pattern: '^(?:[0-9]{9,10}\\.[0-9]{3} +)?[0-9]+ <ADDR> (?:TCP_DENIED/40[37]|NONE(?:_NONE)?/40[05]) [0-9]+ [A-Z_]+ .*$' },
  ],
};

/**
 * `haproxy-http-auth`: requests haproxy itself answered 401 (`http-request auth`: the backend is
 * `<NOSRV>`), from haproxy's HTTP log format through syslog.
 */
export const haproxyHttpAuthFilter: FilterDefinition = {
  id: 'haproxy-http-auth',
  description: 'HAProxy: 401 answered by haproxy (http-request auth)',
  programs: ['haproxy'],
  rules: [
    { id: 'auth-required', pattern: '^<ADDR>:[0-9]+ \\[[^\\]]+\\] [^ ]+ [^ ]+/<NOSRV> [-+0-9/]+ 401 [0-9]+ .*$' },
  ],
};

const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
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
