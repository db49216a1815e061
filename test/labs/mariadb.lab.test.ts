import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqldAuthFilter } from '@f2b/filter-misc';
import { mariadbLabUnavailable, mariadbVersion, startMariadbLab } from './mariadb.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'mariadb',
    pkg: 'packages/filter-misc',
    version: mariadbVersion,
    unavailable: mariadbLabUnavailable,
    filters: [mysqldAuthFilter],
    start: startMariadbLab,
  },
);
