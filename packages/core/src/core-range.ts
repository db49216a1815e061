/**
 * Does a plugin's `@f2b/core` range admit a core version? The ranges our packages state (`^0.2.0`)
 * are answered here by arithmetic; anything else by semver, loaded at the first such range: semver's
 * index is 47 modules, about a tenth of `f2b test-filter sshd`'s start-up on a small log, for one
 * comparison.
 */
import { createRequire } from 'node:module';

let semverModule: typeof import('semver') | undefined;
const semver = (): typeof import('semver') => (semverModule ??= createRequire(import.meta.url)('semver') as typeof import('semver'));

// A number as semver reads it in strict mode: no leading zero, at most 16 digits (its limit).
const NUM = '(0|[1-9][0-9]{0,15})';
const RELEASE = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}$`);
const CARET = new RegExp(`^\\^${NUM}\\.${NUM}\\.${NUM}$`);

/**
 * Whether `range` admits `version` (pre-releases count: 0.2.0-rc.1 satisfies ^0.2.0-0), or null when
 * `range` is no semver range — semver's `validRange` and `satisfies(…, { includePrerelease: true })`.
 */
export function coreRangeAdmits(range: string, version: string): boolean | null {
  const quick = caretAdmits(range, version);
  if (quick !== undefined) return quick;
  if (!semver().validRange(range)) return null;
  return semver().satisfies(version, range, { includePrerelease: true });
}

/**
 * `^X.Y.Z` against a release `A.B.C` (neither with a pre-release or build part), as semver
 * defines it: at least X.Y.Z, below the next change of the leftmost non-zero part. undefined:
 * another shape, for semver. Components beyond 2^53 are left to semver too.
 */
export function caretAdmits(range: string, version: string): boolean | undefined {
  const r = CARET.exec(range);
  const v = r ? RELEASE.exec(version) : null;
  if (!r || !v) return undefined;
  const [x, y, z] = [Number(r[1]), Number(r[2]), Number(r[3])];
  const [a, b, c] = [Number(v[1]), Number(v[2]), Number(v[3])];
  if (![x, y, z, a, b, c].every(Number.isSafeInteger)) return undefined;
  const atLeast = a !== x ? a > x : b !== y ? b > y : c >= z;
  if (!atLeast) return false;
  if (x > 0) return a === x;
  if (y > 0) return a === 0 && b === y;
  return a === 0 && b === 0 && c === z;
}
