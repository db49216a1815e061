/**
 * What every real-daemon lab shares (`test/labs/<service>.lab.test.ts`, run by `npm run lab --
 * <service>` and by CI): the ground truth of an episode script, counting a filter's verdicts on a
 * captured log, and writing the capture as a fixture when asked to (F2B_LAB_CAPTURE=1).
 *
 * A capture is two files in the filter package's `test/fixtures/lab/`: `<name>.log` (the lines the real
 * daemon wrote, unchanged) and `<name>.truth.json` (what the episode script did: per mode, how many
 * attempts each source must count, and which sources are innocent). The package's `lab-captures` test
 * re-checks every committed capture without root.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { LabTruth } from '@f2b/core/testing';

/** True when the lab should write its capture into the repository (`npm run lab -- <service>`). */
export const capturing = () => process.env.F2B_LAB_CAPTURE === '1';

/** Writes `<name>.log` and `<name>.truth.json` into `fixturesDir/lab/`. */
export function writeCapture(fixturesDir: URL, name: string, log: string, truth: LabTruth): string {
  const dir = join(fixturesDir.pathname, 'lab');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.log`), log);
  writeFileSync(join(dir, `${name}.truth.json`), `${JSON.stringify(truth, null, 2)}\n`);
  return join(dir, name);
}

/** The installed version of a Debian package, or undefined. */
export function debianVersion(pkg: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout.trim() : undefined;
}

/** Safe file-name form of a version (`1:2.3.19.1+dfsg1-2.1+deb12u1` → `2.3.19.1`). */
export const shortVersion = (v: string) => v.replace(/^[0-9]+:/, '').replace(/[-+~].*$/, '');

/** Resolves once `check()` is true, or rejects after `ms` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
