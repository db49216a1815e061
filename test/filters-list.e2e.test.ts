/**
 * `f2b filters -c CONFIG` lists the config's own `filters:` beside the installed ones, says which
 * installed filter a config filter of the same id takes the place of, and refuses a config whose
 * filters are invalid with the key path, as `f2b config check` does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-filters-list-');
afterAll(() => tmp.cleanup());

describe('f2b filters -c CONFIG', () => {
  const cfg = join(tmp.dir, 'f2b.config.yaml');
  writeFileSync(
    cfg,
    [
      'filters:',
      '  shopd:',
      '    failregex:',
      "      - '^login failed for \\S+ from <HOST>$'",
      '  sshd:',
      '    failregex:',
      "      - '^my own failure from <HOST>$'",
      'jails: {}',
      '',
    ].join('\n'),
  );

  it('lists the config filters, marked as the config’s, with the one an id replaces', () => {
    const r = f2b(['filters', '-c', cfg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; package: string; overrides?: string }[];
    expect(rows.find((x) => x.id === 'shopd')).toMatchObject({ package: `(config ${cfg})` });
    expect(rows.find((x) => x.id === 'shopd')).not.toHaveProperty('overrides');
    const sshd = rows.filter((x) => x.id === 'sshd');
    expect(sshd.map((x) => x.package)).toEqual(['@f2b/filter-sshd', `(config ${cfg})`]);
    expect(sshd[1]).toMatchObject({ overrides: '@f2b/filter-sshd' });
    const text = f2b(['filters', '-c', cfg]).stdout;
    expect(text).toMatch(/^sshd +\(config .*\) {2}-  +normal {2}\(in place of @f2b\/filter-sshd's\)$/m);
    // Without -c: the installed filters only.
    expect(f2b(['filters', '--json']).stdout).not.toContain('shopd');
  });

  it('refuses invalid config filters with the key path (exit 2)', () => {
    const bad = join(tmp.dir, 'bad.yaml');
    writeFileSync(bad, ['filters:', '  shopd:', '    failregex: 7', 'jails: {}', ''].join('\n'));
    const r = f2b(['filters', '-c', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('filters.shopd.failregex');
  });
});
