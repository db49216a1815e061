import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pamGenericFilter } from '@f2b/filter-misc';
import { pamLabUnavailable, pamVersions, startPamLab } from './pam.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'pam',
    pkg: 'packages/filter-misc',
    version: pamVersions,
    unavailable: pamLabUnavailable,
    filters: [pamGenericFilter],
    start: startPamLab,
    settleMs: 1000,
  },
);
