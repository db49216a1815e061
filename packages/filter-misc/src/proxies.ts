/**
 * Proxies and load balancers: `squid`, `haproxy-http-auth`, `traefik-auth`.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { JSON_PAIR, JSON_STRING_BODY, draft } from './common.js';

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
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Squid access.log: denied and invalid requests (open-proxy probing)',
  rules: [
    {
      id: 'denied',
      pattern: '^(?:[0-9]{9,10}\\.[0-9]{3} +)?[0-9]+ <ADDR> (?:TCP_DENIED(?:_ABORTED)?/40[37]|(?:NONE|NONE_NONE|TAG_NONE)/40[05]) [0-9]+ [A-Z_]+ .*$',
    },
    // logformat common/combined: the result tag is the last field, after everything the client sent
    {
      id: 'denied',
      pattern: `^<ADDR> [^ ]+ [^ ]+ \\[[^\\]]+\\] ${QUOTED} (?:40[37] [0-9]+(?: ${QUOTED} ${QUOTED})? TCP_DENIED(?:_ABORTED)?|40[05] [0-9]+(?: ${QUOTED} ${QUOTED})? (?:NONE|NONE_NONE|TAG_NONE)):HIER_NONE$`,
    },
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
  rules: [{ id: 'auth-required', pattern: '^<ADDR>:[0-9]+ \\[[^\\]]+\\] [^ ]+ [^ ]+/<NOSRV> [-+0-9/]+ 40[17] [0-9]+ .*$' }],
};

/** Traefik's CLF date (`02/Jan/2006:15:04:05 -0700`), or `-` when the request had none. */
const TRAEFIK_DATE = '\\[(?:[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}|-)\\]';
/**
 * Traefik's `common` and `genericCLF` lines: `addr - user [date] "method path proto" status size …`.
 * The path is written unescaped (it may hold `"`), so the request is read up to the last `" 401 `:
 * a client can only make its own request look like a 401, never another address.
 */
const traefikClf = (user: string) => `^<ADDR> - ${user} ${TRAEFIK_DATE} ".*" 401 [0-9-]+(?: .*)?$`;
/**
 * Traefik's `json` format: logrus' JSON with its keys sorted, so only `ClientPort`, `ClientUsername`
 * and `DownstreamContentSize` can stand between `ClientHost` and `DownstreamStatus`.
 */
const traefikJson = (user: string) =>
  `^\\{(?:${JSON_PAIR},)*"ClientHost":"<ADDR>",(?:"ClientPort":"[0-9]*",)?${user}(?:"DownstreamContentSize":[0-9]+,)?"DownstreamStatus":401(?:,${JSON_PAIR})*\\}$`;

/**
 * `traefik-auth`: requests answered 401 in traefik's access log (`common`, `genericCLF` or `json`
 * format), by the basicAuth/digestAuth middlewares or a forwardAuth server. The basicAuth and
 * digestAuth middlewares write the user name the client sent (`ClientUsername`), `-` or empty when it
 * sent none. Mode `normal` (default) counts wrong credentials (a user name was sent); `ddos` counts
 * 401s without any (a browser's first request gets one: many of them mean a flood, and forwardAuth
 * 401s have no user name); `aggressive` both.
 */
export const traefikAuthFilter: FilterDefinition = {
  id: 'traefik-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Traefik access log: 401 with credentials (normal), without (ddos), or both (aggressive)',
  modes: ['normal', 'ddos', 'aggressive'],
  rules: [
    { id: 'wrong-credentials', modes: ['normal', 'aggressive'], pattern: traefikClf('(?P<user>[^-].*?|-.+?)') },
    {
      id: 'wrong-credentials',
      modes: ['normal', 'aggressive'],
      pattern: traefikJson(`"ClientUsername":"(?P<user>(?:[^-"\\\\]|\\\\.|-(?:[^"\\\\]|\\\\.))${JSON_STRING_BODY})",`),
    },
    { id: 'no-credentials', modes: ['ddos', 'aggressive'], pattern: traefikClf('-') },
    { id: 'no-credentials', modes: ['ddos', 'aggressive'], pattern: traefikJson('(?:"ClientUsername":"-?",)?') },
  ],
  createReducer(): Reducer {
    return {
      reduce(m) {
        const d = draft(m);
        if (!d || m.entry.time !== undefined) return d;
        // a long JSON line's date may lie beyond where the entry parser looks: StartUTC is exact
        const t = /"StartUTC":"([0-9T:.-]+Z)"/.exec(m.entry.raw.toString('latin1'));
        const time = t ? Date.parse(t[1]!) : NaN;
        return Number.isNaN(time) ? d : { ...d, time };
      },
    };
  },
};
