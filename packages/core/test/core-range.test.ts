/**
 * The caret ranges checked without semver (core-range.ts) are answered as semver answers them:
 * generated ranges and versions around the bounds (zeros, equal and neighbouring parts, leading
 * zeros, pre-releases, other range shapes), against semver's validRange and satisfies.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import semver from 'semver';
import { caretAdmits, coreRangeAdmits } from '../src/core-range.js';

const part = fc.oneof(fc.constantFrom('0', '1', '2', '9', '10', '01', '9007199254740993'), fc.nat({ max: 3 }).map(String));
const triple = fc.tuple(part, part, part).map((p) => p.join('.'));
const version = fc.oneof(
  triple,
  fc.tuple(triple, fc.constantFrom('-rc.1', '-0', '+build', '')).map(([t, s]) => t + s),
);
const range = fc.oneof(
  triple.map((t) => `^${t}`),
  fc.tuple(fc.constantFrom('^', '~', '>=', '<', '', '=', ' ^', '^ '), version).map(([op, v]) => op + v),
  fc.constantFrom('*', '', 'x', '^0.2.0 || ^1.0.0', 'not a range', '^0.2.0-0', '^0.2'),
);

const bySemver = (r: string, v: string): boolean | null => (semver.validRange(r) ? semver.satisfies(v, r, { includePrerelease: true }) : null);

describe('coreRangeAdmits', () => {
  it('answers as semver does, for any range and version', () => {
    fc.assert(
      fc.property(range, version, (r, v) => {
        expect(coreRangeAdmits(r, v)).toBe(bySemver(r, v));
      }),
      { numRuns: 5000 },
    );
  });

  it('answers the ranges our packages state without semver', () => {
    for (const [r, v] of [
      ['^0.2.0', '0.2.0'],
      ['^0.2.0', '0.2.7'],
      ['^0.2.0', '0.3.0'],
      ['^0.2.1', '0.2.0'],
      ['^1.2.3', '1.9.0'],
      ['^1.2.3', '2.0.0'],
      ['^0.0.3', '0.0.3'],
      ['^0.0.3', '0.0.4'],
    ] as const) {
      expect(caretAdmits(r, v), `${r} ${v}`).toBe(bySemver(r, v));
    }
    expect(caretAdmits('^0.2.0', '0.2.0-rc.1')).toBeUndefined();
    expect(caretAdmits('~0.2.0', '0.2.0')).toBeUndefined();
  });
});
