import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidFilter } from '@f2b/filter-misc';
import { squidLabUnavailable, squidVersion, startSquidLab } from './squid.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'squid',
    pkg: 'packages/filter-misc',
    version: squidVersion,
    unavailable: squidLabUnavailable,
    filters: [squidFilter],
    start: startSquidLab,
    settleMs: 1500,
  },
);
