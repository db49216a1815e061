import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AddressCache } from '../src/filter/address-cache.js';
import { parseIp } from '../src/ip.js';

// Texts at the parser's edges: addresses of both families, near-addresses, long runs.
const token = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.constantFrom('300.1.2.3', '192.0.2.01', '2001:db8::1::2', '::', '::ffff:192.0.2.9', '1'.repeat(70), ''),
  fc.stringMatching(/^[0-9a-f.:]{0,20}$/),
);

describe('AddressCache', () => {
  it('answers as parseIp does, by the token bytes, across resets', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 80 }), (tokens) => {
        const cache = new AddressCache(8);
        for (const t of tokens) {
          // Each token inside a larger buffer, as in a log line.
          const buf = Buffer.from(`from ${t} port`, 'latin1');
          const got = cache.parse(buf, 5, 5 + t.length);
          const want = parseIp(t);
          expect(got === null ? null : got.text).toBe(want === null ? null : want.text);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('hands out one object per address while it keeps it', () => {
    const cache = new AddressCache(8);
    const a = Buffer.from('x 192.0.2.1 y 192.0.2.1');
    expect(cache.parse(a, 2, 11)).toBe(cache.parse(a, 14, 23));
  });
});
