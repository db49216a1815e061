/**
 * The api one plugin receives in `apply(api, options)` (Rollup's per-plugin context): what it
 * registers is attributed to it, its logger carries its name, and the rest of the core stays out of
 * reach. Built by the core for each plugin it loads.
 */
import { errors, F2bError, type F2bErrorDetails } from './errors.js';
import { checkOptions } from './validate.js';
import type { Core, Provided, Registries } from './core.js';
import type { PluginApi, PluginErrors } from './plugin.js';

/** The core's error factories plus `create`, shared by every plugin (frozen: no plugin can change them). */
export const pluginErrors: PluginErrors = Object.freeze({
  ...errors,
  create: (code: `F2B_ERR_${string}`, message: string, details?: F2bErrorDetails) => new F2bError(code, message, details),
});

export function createPluginApi(name: string, core: Core, registries: Registries): PluginApi {
  const register = <T>(map: Map<string, Provided<T>>, key: string, def: T, kind: string) => {
    const existing = map.get(key);
    if (existing && existing.plugin !== name) {
      core.logger.warn(`The ${kind} "${key}" from ${name} replaces the one from ${existing.plugin}.`);
    }
    map.set(key, { def, plugin: name });
  };
  return Object.freeze({
    name,
    coreVersion: core.version,
    // The core makes its hooks at their first use (tapable loaded then): a plugin that registers
    // only a filter, as for `f2b test-filter`, never has them made.
    get hooks() {
      return core.hooks;
    },
    logger: core.getLogger(name),
    clock: core.clock,
    errors: pluginErrors,
    validate: (schema, value, path) => checkOptions(schema, value, path, name),
    registerFilter: (def) => register(registries.filters, def.id, def, 'filter'),
    registerSource: (def) => register(registries.sources, def.type, def, 'source'),
    registerAction: (def) => register(registries.actions, def.type, def, 'action'),
    registerTracker: (def) => register(registries.trackers, def.type, def, 'tracker'),
    registerStore: (def) => register(registries.stores, def.type, def, 'store'),
    registerFleet: (def) => register(registries.fleets, def.type, def, 'fleet'),
  } satisfies PluginApi);
}
