import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filters } from '@f2b/filter-nginx';
import { nginxLabUnavailable, nginxVersion, startNginxLab } from './nginx.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'nginx',
    pkg: 'packages/filter-nginx',
    version: nginxVersion,
    unavailable: nginxLabUnavailable,
    filters,
    start: startNginxLab,
  },
);
