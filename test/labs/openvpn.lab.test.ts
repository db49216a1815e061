import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openvpnFilter } from '@f2b/filter-misc';
import { openvpnLabUnavailable, openvpnVersion, startOpenvpnLab } from './openvpn.js';
import { serviceLab } from './service-lab.js';

serviceLab(
  { describe, it, expect, beforeAll, afterAll },
  {
    service: 'openvpn',
    pkg: 'packages/filter-misc',
    version: openvpnVersion,
    unavailable: openvpnLabUnavailable,
    filters: [openvpnFilter],
    start: startOpenvpnLab,
    settleMs: 1000,
  },
);
