/**
 * The standard tests of a filter package, in one call: every filter the plugin registers gets every
 * annotated line of its own sample log right — host, time, user and, where the annotation gives
 * them, attempts — (with negative cases among them), gives the same answers when the fields an
 * attacker writes carry bytes that are not UTF-8, and the plugin registers exactly the ids its
 * manifest declares. Registered on `FilterTester.describe`/`it` (the runner's hooks, see
 * filter-tester.ts); a runner's `{ describe, it }` may still be passed first.
 *
 *   import { describe, it } from 'vitest';
 *   FilterTester.describe = describe; FilterTester.it = it;
 *   testFilterPackage({
 *     plugin: myFilters(), manifest: new URL('../package.json', import.meta.url),
 *     fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: Date.parse('2024-12-31T12:00:00Z'),
 *   });
 */
import { AssertionError, deepStrictEqual } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core } from '../core.js';
import type { F2bPlugin } from '../plugin.js';
import { checkAnnotatedLog, type LineResult } from './annotated-check.js';
import { FilterTester, type DescribeFn, type ItFn } from './filter-tester.js';
import { checkInvalidBytes } from './invalid-bytes.js';
import { checkSampleLogVolatileAddresses } from './volatile-addresses.js';

/** A runner's hooks (`expect` is accepted for older callers and not needed). */
export interface TestRunner {
  describe: DescribeFn;
  it: ItFn;
  expect?: unknown;
}

export interface FilterPackageTestOptions {
  plugin: F2bPlugin;
  /** The package's package.json (its `f2b.filters` list is the contract). */
  manifest: URL | string;
  /** The annotated sample log of a filter id. */
  fixture(id: string): URL | string;
  /** "Now" for year inference, epoch ms. */
  now: number;
  timezone?: string;
  /** Fewest annotated lines a sample log must have (default 4). */
  minLines?: number;
  /**
   * Attacker-written fields of a filter's lines beyond user names and the Host/Referer headers
   * (group 1 of each match), which the invalid-bytes test fills with bytes that are not UTF-8.
   */
  attackerFields?: Record<string, readonly RegExp[]>;
  /**
   * Also require that every rule of every filter (`info` rules too) is the one that matched some
   * annotated line (in some mode): a rule without a sample is a message nobody checked against the
   * software's format.
   */
  everyRule?: boolean;
}

const path = (p: URL | string) => (typeof p === 'string' ? p : fileURLToPath(p));

function describeResult(r: LineResult): string {
  const got = r.failures.map((f) => `${f.id} (${f.rule}, ${f.attempts} attempts)`).join(', ') || 'nothing';
  return `${r.file.split('/').pop()}:${r.lineNo} ${JSON.stringify(r.run)}: ${r.problems.join('; ')}\n    ${r.text}\n    got ${got}`;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new AssertionError({ message, operator: 'testFilterPackage' });
}

export function testFilterPackage(runnerOrOpts: TestRunner | FilterPackageTestOptions, maybeOpts?: FilterPackageTestOptions): void {
  const opts = maybeOpts ?? (runnerOrOpts as FilterPackageTestOptions);
  const t = maybeOpts ? (runnerOrOpts as TestRunner) : { describe: FilterTester.describe, it: FilterTester.it };
  const core = new Core({ logLevel: 'silent' });
  core.use(opts.plugin);
  const defs = core.listFilters().map((f) => f.def);
  for (const def of defs) {
    t.describe(def.id, () => {
      t.it('gets every annotated line of its sample log right', () => {
        const file = path(opts.fixture(def.id));
        const report = checkAnnotatedLog(def, file, { now: opts.now, timezone: opts.timezone ?? 'UTC' });
        deepStrictEqual(report.skippedReasons, [], `${file}: option sets that could not run`);
        deepStrictEqual(report.results.filter((r) => !r.ok).map(describeResult), [], `${file}: lines the filter gets wrong`);
        check(report.total >= (opts.minLines ?? 4), `${file} has ${report.total} annotated lines, fewer than ${opts.minLines ?? 4}.`);
        check(
          report.results.some((r) => r.failures.length === 0),
          `${file} has no negative case (an annotated line the filter must not count).`,
        );
        if (opts.everyRule) {
          const sampled = new Set(report.results.map((r) => r.rule));
          const unsampled = [...new Set(def.rules.map((r) => r.id))].filter((id) => !sampled.has(id));
          deepStrictEqual(unsampled, [], `${file}: rules that match no annotated line`);
        }
      });
      t.it('gives the same answers when attacker-written fields carry invalid UTF-8', () => {
        const report = checkInvalidBytes(def, path(opts.fixture(def.id)), {
          now: opts.now,
          timezone: opts.timezone ?? 'UTC',
          fields: opts.attackerFields?.[def.id],
        });
        deepStrictEqual(report.differences, [], 'answers that changed with invalid bytes');
      });
      if (def.volatileAddresses === true)
        t.it('answers as its rules do afresh when the addresses change (volatileAddresses)', () => {
          const file = path(opts.fixture(def.id));
          deepStrictEqual(checkSampleLogVolatileAddresses(def, file, { now: opts.now }), [], `${file}: lines the memo answered otherwise than the rules`);
        });
    });
  }
  const manifest = JSON.parse(readFileSync(path(opts.manifest), 'utf8')) as { name?: string; f2b?: { filters?: string[] } };
  t.describe(manifest.name ?? opts.plugin.meta?.name ?? 'the plugin', () => {
    t.it('registers exactly the ids its manifest declares', () => {
      deepStrictEqual(defs.map((d) => d.id).sort(), [...(manifest.f2b?.filters ?? [])].sort(), "registered ids vs the manifest's f2b.filters");
    });
  });
}
