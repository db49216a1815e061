import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filters } from '@f2b/filter-apache';
import { apacheLabUnavailable, apacheVersion, startApacheLab } from './apache.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'apache',
    pkg: 'packages/filter-apache',
    version: apacheVersion,
    unavailable: apacheLabUnavailable,
    filters,
    start: async () => {
      const lab = await startApacheLab();
      return { episodes: lab.episodes, logs: () => [lab.errorLog(), lab.accessLog()], stop: lab.stop };
    },
  },
);
