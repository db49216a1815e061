import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Core, EntryParser, FilterRunner, loadPlugin, searchDirs } from '@f2b/core';
import { FilterTester, parseAnnotatedLog, testFilterPackage } from '@f2b/core/testing';
import sshd, { RULE_SPECS, sshdFilter } from '../src/index.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/sshd.log', import.meta.url));
const CATALOGUE = fileURLToPath(new URL('./fixtures/sshd-catalogue.log', import.meta.url));
// Fixed (fixtures/fixtures.json), so that year inference and zone-less dates never depend on when the tests run.
const NOW = Date.parse('2024-06-01T12:00:00Z');
const TIMEZONE = 'Europe/Berlin';
FilterTester.describe = describe;
FilterTester.it = it;

// The same kit as every filter package: every annotated line right (host, time, user, attempts),
// the same answers with invalid bytes, the ids of the manifest.
testFilterPackage({
  plugin: sshd(),
  manifest: new URL('../package.json', import.meta.url),
  fixture: () => SAMPLE,
  now: NOW,
  timezone: TIMEZONE,
  minLines: 150,
});

describe('sshd sample log', () => {
  it('names the attempts of most lines (what the annotated-log check compares)', () => {
    const annotated = parseAnnotatedLog(SAMPLE)
      .flatMap((b) => b.lines)
      .filter((l) => typeof l.annotation?.extra.attempts === 'number');
    expect(annotated.length).toBeGreaterThan(100);
  });

  it('exercises every rule (here or in the catalogue samples)', () => {
    const matched = new Set<string>();
    for (const block of [SAMPLE, CATALOGUE].flatMap((f) => parseAnnotatedLog(f))) {
      for (const set of block.optionSets) {
        const runner = new FilterRunner(sshdFilter, { mode: typeof set.mode === 'string' ? set.mode : undefined });
        const parser = new EntryParser({ timezone: TIMEZONE, now: () => NOW, format: set.logtype === 'journal' ? 'journal-line' : 'text' });
        for (const line of block.lines) {
          const m = runner.match(parser.parse(Buffer.from(line.text)), Date.UTC(2024, 0, 15));
          if (m) matched.add(m.rule.id);
        }
      }
    }
    expect(RULE_SPECS.map((s) => s.id).filter((id) => !matched.has(id))).toEqual([]);
  });
});

describe('sshd plugin', () => {
  it('registers the sshd filter with its modes and options', async () => {
    const core = new Core({ logLevel: 'silent' });
    core.use(await loadPlugin('@f2b/filter-sshd', searchDirs([fileURLToPath(new URL('.', import.meta.url))])));
    const provided = core.getFilter('sshd');
    expect(provided?.plugin).toBe('@f2b/filter-sshd');
    expect(provided?.def.modes).toEqual(['normal', 'ddos', 'extra', 'aggressive']);
    expect(provided?.def.programs).toContain('sshd-session');
    expect(provided?.def.volatilePorts).toBe(true);
    // No default: unless the jail opts into padding, a MaxAuthTries disconnect counts what was logged.
    expect((provided?.def.schema?.properties as Record<string, { default?: number }>).maxauthtries.default).toBeUndefined();
  });

  it('takes its name, version, kind and core range from package.json, not from code', async () => {
    expect(sshd().meta).toBeUndefined();
    const loaded = await loadPlugin('@f2b/filter-sshd', searchDirs([fileURLToPath(new URL('.', import.meta.url))]));
    expect(loaded.meta).toEqual({ name: '@f2b/filter-sshd', version: expect.stringMatching(/^\d+\.\d+\.\d+/), core: '^0.2.0', kind: 'filter' });
  });

  it('uses only anchored patterns', () => {
    for (const r of sshdFilter.rules) {
      expect(r.pattern.startsWith('^') && r.pattern.endsWith('$'), r.id).toBe(true);
    }
  });
});
