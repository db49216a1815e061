import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyHttpAuthFilter } from '@f2b/filter-misc';
import { haproxyLabUnavailable, haproxyVersion, startHaproxyLab } from './haproxy.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'haproxy',
    pkg: 'packages/filter-misc',
    version: haproxyVersion,
    unavailable: haproxyLabUnavailable,
    filters: [haproxyHttpAuthFilter],
    start: startHaproxyLab,
  },
);
