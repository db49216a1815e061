/**
 * The built-in tracker (`tracker: { type: default }`, what a jail uses unless it names another):
 * findtime/maxretry windows and bantime expiry (tracker.ts). A plugin of the core like any other, so
 * a tracker plugin replaces it the way it would be written.
 */
import { Tracker } from '../tracker.js';
import type { F2bPlugin } from '../plugin.js';

export const DEFAULT_TRACKER = 'default';

export const defaultTrackerPlugin = {
  meta: { name: '@f2b/core:tracker', kind: 'tracker' },
  apply(api) {
    api.registerTracker({
      type: DEFAULT_TRACKER,
      schema: { type: 'object', additionalProperties: false, properties: {} },
      create: (_options, ctx) => new Tracker(ctx),
    });
  },
} satisfies F2bPlugin;
