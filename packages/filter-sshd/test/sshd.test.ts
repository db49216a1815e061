import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { Core } from '@f2b/core';
import { FilterTester, parseAnnotatedLog, testFilterPackage } from '@f2b/core/testing';
import sshd, { sshdFilter } from '../src/index.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/sshd.log', import.meta.url));
// Fixed (fixtures/fixtures.json), so that year inference and zone-less dates never depend on when the tests run.
const NOW = Date.parse('2024-06-01T12:00:00Z');
FilterTester.describe = describe;
FilterTester.it = it;

// The same kit as every filter package: every annotated line right (host, time, user, attempts),
// every rule sampled, the same answers with invalid bytes, the ids of the manifest.
testFilterPackage({
  plugin: sshd(), manifest: new URL('../package.json', import.meta.url),
  fixture: () => SAMPLE, now: NOW, timezone: 'Europe/Berlin', minLines: 150, everyRule: true,
});

describe('sshd sample log', () => {
  it('names the attempts of most lines (what the annotated-log check compares)', () => {
    const annotated = parseAnnotatedLog(SAMPLE).flatMap((b) => b.lines).filter((l) => typeof l.annotation?.extra.attempts === 'number');
    expect(annotated.length).toBeGreaterThan(100);
  });
});

describe('sshd plugin', () => {
  it('registers the sshd filter with its modes and options', () => {
    const core = new Core({ logLevel: 'silent' });
    core.use(sshd());
    const provided = core.getFilter('sshd');
    expect(provided?.plugin).toBe('@f2b/filter-sshd');
    expect(provided?.def.modes).toEqual(['normal', 'ddos', 'extra', 'aggressive']);
    expect(provided?.def.programs).toContain('sshd-session');
    expect(provided?.def.volatilePorts).toBe(true);
    // No default: unless the jail opts into padding, a MaxAuthTries disconnect counts what was logged.
    expect((provided?.def.options?.properties as Record<string, { default?: number }>).maxauthtries.default).toBeUndefined();
  });

  it('declares the core range and its own version', () => {
    const p = sshd();
    expect(p.meta).toMatchObject({ name: '@f2b/filter-sshd', core: '^0.1.0', kind: 'filter' });
    expect(p.meta.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('uses only anchored patterns', () => {
    for (const r of sshdFilter.rules) {
      expect(r.pattern.startsWith('^') && r.pattern.endsWith('$'), r.id).toBe(true);
    }
  });
});
