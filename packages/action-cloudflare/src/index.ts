/**
 * `@f2b/action-cloudflare`: bans at Cloudflare's edge, for sites behind Cloudflare where a local
 * firewall never sees the attacker's address. Two modes, chosen per jail: IP Access Rules (zone or
 * account) or items of an account IP list used by a WAF custom rule. Requests are paced by a
 * client-side rate limiter; failures are retried within bounds and then left to f2b's durable
 * outbox; what Cloudflare holds is reconciled with f2b's bans after start.
 */
import type { F2bPlugin } from '@f2b/core';
import { CloudflareAction } from './action.js';
import { optionsSchema, type CloudflareOptions } from './options.js';
import { Registry } from './registry.js';

/**
 * The plugin (its name, version and core range are in package.json). Its options (config
 * `plugins: [["@f2b/action-cloudflare", {...}]]`) are defaults for every jail; a jail's
 * `{ type: cloudflare, ... }` options override them.
 */
export default function cloudflareAction(): F2bPlugin<CloudflareOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      const registry = new Registry(api.clock);
      api.registerAction({
        type: 'cloudflare',
        schema: optionsSchema,
        create(instanceOptions, ctx) {
          return new CloudflareAction({ ...options, ...instanceOptions } as CloudflareOptions, ctx, registry);
        },
      });
    },
  };
}

export { CloudflareAction, scrubbing } from './action.js';
export {
  optionsSchema,
  normalizeOptions,
  DEFAULT_API_BASE,
  DEFAULT_LIST_NAME,
  RULE_MODES,
  type CloudflareOptions,
  type CloudflareConfig,
  type CloudflareMode,
  type RuleMode,
} from './options.js';
export { CloudflareClient, parseRetryAfter, type Envelope, type ResultInfo, type ClientOptions, type ClientStats } from './client.js';
export { TokenBucket } from './rate-limit.js';
export { accessRuleKey, accessRuleTarget, listKey, keyOfRule, keyOfItem, type AccessTarget } from './targets.js';
export { CloudflareError, cfErrors, CF_CODES, scrub, describeCfErrors, type CfApiError } from './errors.js';
export { Scope, type ReconcileResult, type Present, type SyncPlan, type Backend } from './scope.js';
export { AccessRulesBackend, DUPLICATE_RULE, runLimited, type AccessRule } from './access-rules.js';
export { ListBackend, Mutex, type IpList, type ListItem, type BulkOperation } from './lists.js';
