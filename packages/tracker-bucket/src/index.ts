/**
 * `@f2b/tracker-bucket`: a jail's `tracker: { type: bucket, capacity, leakspeed, … }` counts with
 * CrowdSec's leaky bucket instead of the findtime/maxretry window (see bucket-tracker.ts, README).
 */
import { parseDuration } from '@f2b/kit';
import type { F2bPlugin, TrackerContext } from '@f2b/core';
import { BucketTracker, type BucketSettings } from './bucket-tracker.js';

export { BucketTracker, type BucketSettings } from './bucket-tracker.js';

export interface BucketTrackerOptions {
  /** Units a bucket holds (default: the jail's maxretry − 1, so a burst of maxretry bans). */
  capacity?: number;
  /** One unit leaks out per this duration (default: the jail's findtime ÷ maxretry). */
  leakspeed?: number | string;
  /** Count only distinct values of this capture of the filter's rules (`user`). */
  distinct?: string;
  /** Rule ids whose reported successes empty the address's bucket (sshd: `accepted`). */
  cancelOn?: string[];
  /** After a ban, the address's failures are not counted for this long (default 0: off). */
  quiet?: number | string;
}

const duration = { oneOf: [{ type: 'number' }, { type: 'string', minLength: 1 }] };

export const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    capacity: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    leakspeed: duration,
    distinct: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
    cancelOn: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
    quiet: duration,
  },
};

/** The settings of one jail's bucket tracker: options checked by the schema, durations parsed here. */
export function bucketSettings(options: BucketTrackerOptions, ctx: Pick<TrackerContext, 'jail' | 'findtime' | 'maxretry'>): BucketSettings {
  const path = `jails.${ctx.jail}.tracker`;
  const capacity = options.capacity ?? Math.max(0, ctx.maxretry - 1);
  const leakspeed =
    options.leakspeed === undefined ? ctx.findtime / Math.max(1, ctx.maxretry) : parseDuration(options.leakspeed, `${path}.leakspeed`, { positive: true });
  const quiet = options.quiet === undefined ? 0 : parseDuration(options.quiet, `${path}.quiet`);
  return { capacity, leakspeed, distinct: options.distinct, cancelOn: options.cancelOn ?? [], quiet };
}

export default function bucketTracker(): F2bPlugin {
  return {
    apply(api) {
      api.registerTracker({
        type: 'bucket',
        schema,
        create(options, ctx) {
          return new BucketTracker(bucketSettings(options as BucketTrackerOptions, ctx), ctx);
        },
      });
    },
  };
}
