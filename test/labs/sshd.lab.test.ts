import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdFilter } from '@f2b/filter-sshd';
import { serviceLab } from './service-lab.js';
import { sshdLabUnavailable, sshdVersion, startSshdLab } from './sshd.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'sshd',
    pkg: 'packages/filter-sshd',
    version: sshdVersion,
    unavailable: sshdLabUnavailable,
    filters: [sshdFilter],
    modes: { sshd: 'aggressive' },
    start: startSshdLab,
    settleMs: 1000,
  },
);
