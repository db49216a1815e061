/**
 * The errors the kit's own helpers throw (a duration or an address that cannot be read), one row per
 * code. The core's table includes these rows, so `errors.F2B_ERR_ADDRESS_INVALID` is the same there.
 */
import { defineErrors, quote as q } from './errors.js';

export const kitErrors = defineErrors({
  /** `range`: the value is a duration, but out of range (`problem` says how, `fix` what is allowed). */
  F2B_ERR_DURATION_INVALID: {
    exit: 'usage',
    make: (value: unknown, path?: string, range?: { problem: string; fix: string }) =>
      range === undefined
        ? {
            message: `${JSON.stringify(value)} is not a duration.`,
            path,
            fix: 'Write a number of seconds or a number with a unit: 30s, 10m, 1h, 1d, 1w, 1mo, 1y (e.g. "1h30m"); -1 means forever where allowed.',
          }
        : { message: `The duration ${JSON.stringify(value)} ${range.problem}.`, path, fix: range.fix },
  },

  F2B_ERR_ADDRESS_INVALID: {
    exit: 'usage',
    make: (value: string, path?: string) => ({
      message: `${q(value)} is not an IP address or CIDR network.`,
      path,
      fix: 'Write an IPv4 or IPv6 address, optionally with a /prefix (e.g. 192.0.2.0/24, 2001:db8::/32).',
    }),
  },
});
