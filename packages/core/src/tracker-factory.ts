/**
 * The tracker a jail names (`tracker: { type, ...options }`), made by the plugin that registered that
 * type: its options checked against the type's schema, then `create(options, ctx)`.
 */
import { errors } from './errors.js';
import { checkOptions } from './validate.js';
import type { Core } from './core.js';
import type { JailConfig } from './config.js';
import type { TrackerContext, TrackerInstance } from './plugin.js';

export function createTracker(core: Core, config: JailConfig, ctx: TrackerContext): TrackerInstance {
  const path = `jails.${config.name}.tracker`;
  const { type, options } = config.tracker;
  const provided = core.getTracker(type);
  if (!provided) throw errors.F2B_ERR_PLUGIN_NOT_FOUND(type, `@f2b/tracker-${type}`, `${path}.type`);
  if (provided.def.schema) checkOptions(provided.def.schema, options, path, provided.plugin);
  return provided.def.create(options, ctx);
}
