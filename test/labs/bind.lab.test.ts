import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedRefusedFilter } from '@f2b/filter-misc';
import { bindLabUnavailable, bindVersion, startBindLab } from './bind.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'bind',
    pkg: 'packages/filter-misc',
    version: bindVersion,
    unavailable: bindLabUnavailable,
    filters: [namedRefusedFilter],
    start: startBindLab,
  },
);
