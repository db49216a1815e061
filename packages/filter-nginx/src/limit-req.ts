/**
 * `nginx-limit-req`: requests and connections nginx rejected because a client exceeded a
 * `limit_req`/`limit_conn` zone. Only rejections count: `delaying request` is a warning about a burst
 * that nginx let through (`limit_req … burst=N` without `nodelay`) and is not an attack by itself.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { ERR_PREFIX } from './common.js';

export interface NginxLimitReqOptions {
  /** Count only these zones (default: all). */
  zones?: string[];
}

export const nginxLimitReqFilter: FilterDefinition = {
  id: 'nginx-limit-req',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'nginx error.log: requests/connections rejected by limit_req / limit_conn',
  rules: [
    // Everything up to the client address is written by nginx (the zone name comes from the config),
    // so the first `client:` is the right one whatever the request, host or referrer say.
    { id: 'limit-req', pattern: `${ERR_PREFIX}limiting requests(?:, excess: [0-9.]+,?)? by zone "(?P<zone>[^"]*)", client: <ADDR>, .*$` },
    { id: 'limit-conn', pattern: `${ERR_PREFIX}limiting connections by zone "(?P<zone>[^"]*)", client: <ADDR>, .*$` },
  ],
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { zones: { type: 'array', items: { type: 'string' } } },
  },
  createReducer(ctx): Reducer {
    const zones = Array.isArray(ctx.options.zones) ? new Set(ctx.options.zones as string[]) : null;
    return {
      reduce(m) {
        if (m.host === undefined) return null;
        if (zones && !zones.has(m.captures.zone ?? '')) return null;
        return { id: m.host, attempts: 1, rule: m.rule.id, captures: { ...m.captures } };
      },
    };
  },
};
