import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filters } from '@f2b/filter-ftp';
import { ftpLabUnavailable, ftpVersions, startFtpLab } from './ftp.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'ftp',
    pkg: 'packages/filter-ftp',
    version: ftpVersions,
    unavailable: ftpLabUnavailable,
    filters,
    start: startFtpLab,
    settleMs: 1000,
  },
);
