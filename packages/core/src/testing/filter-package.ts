/**
 * The standard tests of a filter package, in one call: every filter the plugin registers gets every
 * annotated line of its own sample log right (with negative cases among them), and the plugin
 * registers exactly the ids its manifest declares, and gives the same answers when the fields an attacker
 * writes carry bytes that are not UTF-8. Test-runner agnostic: pass your runner's
 * `describe`, `it` and `expect` (ESLint's RuleTester does the same).
 *
 *   import { describe, expect, it } from 'vitest';
 *   testFilterPackage({ describe, it, expect }, {
 *     plugin: myFilters(), manifest: new URL('../package.json', import.meta.url),
 *     fixture: (id) => new URL(`./fixtures/${id}.log`, import.meta.url), now: Date.parse('2024-12-31T12:00:00Z'),
 *   });
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Core } from '../core.js';
import type { F2bPlugin } from '../plugin.js';
import { checkAnnotatedLog } from './filter-tester.js';
import { checkInvalidBytes } from './invalid-bytes.js';

type Fn = () => void;
interface Assertion { toEqual(v: unknown): void; toBe(v: unknown): void; toBeGreaterThanOrEqual(n: number): void }
export interface TestRunner {
  describe(name: string, fn: Fn): void;
  it(name: string, fn: Fn): void;
  expect(value: unknown): Assertion;
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
   * Also require that every rule of every filter is the one that matched some annotated line (in some
   * mode): a rule without a sample is a message nobody checked against the software's format.
   */
  everyRule?: boolean;
}

const path = (p: URL | string) => (typeof p === 'string' ? p : fileURLToPath(p));

export function testFilterPackage(t: TestRunner, opts: FilterPackageTestOptions): void {
  const core = new Core({ logLevel: 'silent' });
  core.use(opts.plugin);
  const defs = core.listFilters().map((f) => f.def);
  for (const def of defs) {
    t.describe(def.id, () => {
      t.it('gets every annotated line of its sample log right', () => {
        const report = checkAnnotatedLog(def, path(opts.fixture(def.id)), { now: opts.now, timezone: opts.timezone ?? 'UTC' });
        const wrong = report.results.filter((r) => !r.ok).map((r) => `${r.lineNo} ${JSON.stringify(r.run)}: ${r.problems.join('; ')}`);
        t.expect(wrong).toEqual([]);
        t.expect(report.total).toBeGreaterThanOrEqual(opts.minLines ?? 4);
        t.expect(report.results.some((r) => r.failures.length === 0)).toBe(true); // has negative cases
        if (opts.everyRule) {
          const sampled = new Set(report.results.flatMap((r) => r.failures.map((f) => f.rule)));
          t.expect([...new Set(def.rules.map((r) => r.id))].filter((id) => !sampled.has(id))).toEqual([]);
        }
      });
      t.it('gives the same answers when attacker-written fields carry invalid UTF-8', () => {
        const report = checkInvalidBytes(def, path(opts.fixture(def.id)), {
          now: opts.now, timezone: opts.timezone ?? 'UTC', fields: opts.attackerFields?.[def.id],
        });
        t.expect(report.differences).toEqual([]);
      });
    });
  }
  const manifest = JSON.parse(readFileSync(path(opts.manifest), 'utf8')) as { name?: string; f2b?: { filters?: string[] } };
  t.describe(manifest.name ?? opts.plugin.meta?.name ?? 'the plugin', () => {
    t.it('registers exactly the ids its manifest declares', () => {
      t.expect(defs.map((d) => d.id).sort()).toEqual([...(manifest.f2b?.filters ?? [])].sort());
    });
  });
}
