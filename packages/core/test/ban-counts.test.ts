/**
 * The daemon's memory of prior bans (src/ban-counts.ts, addresses in typed-array slots) against the
 * Map keyed by `jail\0id` and `*\0id` it replaced: random counts over addresses of both families and
 * network ids in a few jails give the same answers, per jail and over all jails.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BanCounts } from '../src/ban-counts.js';

const IDS = ['198.51.100.1', '198.51.100.2', '203.0.113.9', '2001:db8::1', '2001:db8::ffff:0:1', '198.51.100.0/24', '2001:db8::/64', 'not-an-address'];
const JAILS = ['sshd', 'nginx', 'recidive'];

describe('BanCounts', () => {
  it('counts as the Map of `jail\\0id` and `*\\0id` keys did', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(JAILS.length - 1), fc.nat(IDS.length - 1), fc.integer({ min: 1, max: 3 })), { maxLength: 60 }), (adds) => {
        const model = new Map<string, number>();
        const counts = new BanCounts();
        for (const [j, i, n] of adds) {
          for (const key of [`${JAILS[j]}\0${IDS[i]}`, `*\0${IDS[i]}`]) model.set(key, (model.get(key) ?? 0) + n);
          counts.add(JAILS[j]!, IDS[i]!, n);
        }
        for (const id of IDS) {
          for (const jail of JAILS) expect(counts.of(jail, id)).toBe(model.get(`${jail}\0${id}`) ?? 0);
          expect(counts.ofAll(id)).toBe(model.get(`*\0${id}`) ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('holds many addresses (the table grows) and answers 0 for one never banned', () => {
    const counts = new BanCounts();
    for (let i = 0; i < 5000; i++) counts.add('sshd', `2001:db8::${i.toString(16)}`, (i % 3) + 1);
    for (let i = 0; i < 5000; i++) expect(counts.of('sshd', `2001:db8::${i.toString(16)}`)).toBe((i % 3) + 1);
    expect(counts.of('sshd', '2001:db8::1:0')).toBe(0);
    expect(counts.of('nginx', '2001:db8::1')).toBe(0);
  });
});
