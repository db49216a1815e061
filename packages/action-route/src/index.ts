/**
 * `@f2b/action-route`: bans as routes. Each banned address or network gets a `blackhole`,
 * `unreachable` or `prohibit` route (IPv4 and IPv6), so the host's answers never reach it; no
 * firewall needed. Routes go in batches through `ip -batch -`, are marked as f2b's by their route
 * protocol, and are checked and repaired periodically.
 */
import type { F2bPlugin } from '@f2b/core';
import { RouteAction } from './action.js';
import { optionsSchema, type RouteOptions } from './options.js';

/**
 * The plugin (name, version and core range come from package.json). Its options (config
 * `plugins: [["@f2b/action-route", {...}]]`) are defaults for every jail; a jail's
 * `{ type: route, ... }` options override them.
 */
export default function routeAction(): F2bPlugin<RouteOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'route',
        schema: optionsSchema,
        create: (instanceOptions, ctx) => new RouteAction({ ...options, ...instanceOptions } as RouteOptions, ctx),
      });
    },
  };
}

export { RouteAction, type RouteStats, type CheckResult } from './action.js';
export { optionsSchema, normalizeOptions, jailMetric, type RouteOptions, type RouteConfig, type RouteType } from './options.js';
export { delLine, dstOf, failedLines, isAbsent, parseRoutes, replaceLine, type Dst } from './script.js';
export { routeErrors } from './errors.js';
