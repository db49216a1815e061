/**
 * `@f2b/action-ipset`: kernel bans with ipset and iptables, for hosts that use iptables (legacy or
 * iptables-nft) rather than nftables. Per jail, an IPv4 and an IPv6 set with kernel timeouts and one
 * iptables / ip6tables rule that drops or rejects what they hold; bans go in batches through
 * `ipset restore`, and sets, rules and elements are checked and repaired periodically.
 */
import type { F2bPlugin } from '@f2b/core';
import { withJailPorts } from '@f2b/kit';
import { IpsetAction } from './action.js';
import { optionsSchema, type IpsetOptions } from './options.js';

/**
 * The plugin (name, version and core range come from package.json). Its options (config
 * `plugins: [["@f2b/action-ipset", {...}]]`) are defaults for every jail; a jail's
 * `{ type: ipset, ... }` options override them.
 */
export default function ipsetAction(): F2bPlugin<IpsetOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'ipset',
        schema: optionsSchema,
        // The jail's `port`/`protocol` where the action's own options name no ports.
        create: (instanceOptions, ctx) => new IpsetAction(withJailPorts({ ...options, ...instanceOptions } as IpsetOptions, ctx), ctx),
      });
    },
  };
}

export { IpsetAction, type IpsetStats, type CheckResult } from './action.js';
export { optionsSchema, normalizeOptions, type IpsetOptions, type IpsetConfig, type Backend, type Protocol } from './options.js';
export { choosePrograms, type Programs } from './backend.js';
export {
  MAX_TIMEOUT_S,
  addLine,
  createLine,
  delLine,
  elementOf,
  endComment,
  headerProblem,
  listedBans,
  parseSave,
  ruleSpecs,
  timeoutFor,
  type SavedSet,
} from './script.js';
export { ipsetErrors } from './errors.js';
