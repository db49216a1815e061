import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropbearFilter } from '@f2b/filter-misc';
import { dropbearLabUnavailable, dropbearVersion, startDropbearLab } from './dropbear.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'dropbear',
    pkg: 'packages/filter-misc',
    version: dropbearVersion,
    unavailable: dropbearLabUnavailable,
    filters: [dropbearFilter],
    start: startDropbearLab,
  },
);
