/**
 * `@f2b/action-nftables`: real kernel bans with nftables. One table (default `inet f2b`) holds, per
 * jail and address family, a plain set of single addresses (`flags timeout`) and an interval set of
 * networks (`flags interval, timeout`), and a base chain whose rules drop or reject what they hold. Bans go to the kernel in batches (one `nft -f -` transaction each), with
 * the ban's remaining time as kernel timeout, and the table is checked and repaired periodically.
 */
import type { F2bPlugin } from '@f2b/core';
import { withJailPorts } from '@f2b/kit';
import { NftablesAction } from './action.js';
import { optionsSchema, type NftablesOptions } from './options.js';
import { listBannedElements } from './listing.js';

/**
 * The plugin (its name, version and core range are in package.json). Its options (config
 * `plugins: [["@f2b/action-nftables", {...}]]`) are defaults for every jail; a jail's
 * `{ type: nftables, ... }` options override them.
 */
export default function nftablesAction(): F2bPlugin<NftablesOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'nftables',
        schema: optionsSchema,
        create(instanceOptions, ctx) {
          // The jail's `port`/`protocol` where the action's own options name no ports.
          const action = new NftablesAction(withJailPorts({ ...options, ...instanceOptions } as NftablesOptions, ctx), ctx);
          // What the sets hold, for recovering bans when the state database was lost (listing.ts).
          return Object.assign(action, { listBanned: () => listBannedElements(action.config, ctx.clock.now()) });
        },
      });
    },
  };
}

export { NftablesAction, type CheckResult, type NftActionStats } from './action.js';
export { optionsSchema, normalizeOptions, setDefs, type NftablesOptions, type NftConfig, type SetDef, type Family, type Protocol } from './options.js';
export {
  parseBanId,
  banNetwork,
  banElement,
  widenText,
  elementText,
  addText,
  timeoutSeconds,
  ruleSpecs,
  structurePlan,
  teardownPlan,
  elementScript,
  locateErrors,
  parseListing,
  isOwnedTable,
  OWNED_TABLE_COMMENT,
  MAX_ELEMENT_TIMEOUT_S,
  type Net,
  type Listing,
  type RuleSpec,
  type StructurePlan,
  type SetChange,
  type ElementScript,
  type NftScriptError,
} from './script.js';
export { runNft, nftCommand, classifyFailure, NftRunError, type NftRunOptions, type NftResult } from './nft.js';
export { nftErrors } from './errors.js';
export { listBannedElements, parseSetElements } from './listing.js';
