/**
 * A fail2ban filter.d file of the user's, imported as users import it: `f2b import fail2ban --write`
 * translates it into the config's `filters:` (the report lists the pattern RE2 cannot run), `f2b
 * config check` accepts the result, `f2b test-filter ID LOG -c CONFIG` matches through it, and a
 * running daemon bans from a line of that service. Then Debian's real /etc/fail2ban (the installed
 * `fail2ban` package, read as input, never copied into the repository) with a jail.local enabling
 * jails whose filters f2b has no package for.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { f2b, sshdLine, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-import-filters-e2e-');
afterAll(() => tmp.cleanup());

describe("f2b import fail2ban with the user's own filter.d file", () => {
  const root = join(tmp.dir, 'custom');
  mkdirSync(join(root, 'filter.d'), { recursive: true });
  const log = join(tmp.dir, 'shopd.log');
  writeFileSync(log, '');
  writeFileSync(
    join(root, 'jail.local'),
    ['[DEFAULT]', 'bantime = 2h', '[shop]', 'enabled = true', 'filter = shopd', `logpath = ${log}`, 'maxretry = 2'].join('\n'),
  );
  writeFileSync(join(root, 'filter.d', 'shopd-common.conf'), ['[DEFAULT]', '_daemon = \\S*', '__prefix_line = \\s*\\S+ %(_daemon)s\\[\\d+\\]:\\s+'].join('\n'));
  writeFileSync(
    join(root, 'filter.d', 'shopd.conf'),
    [
      '[INCLUDES]',
      'before = shopd-common.conf',
      '[Definition]',
      '_daemon = shopd',
      'failregex = ^%(__prefix_line)scheckout login failed for <F-USER>\\S+</F-USER> from <HOST>$',
      '            ^%(__prefix_line)s(?<!admin )token rejected from <HOST>$',
      'ignoreregex = ^%(__prefix_line)scheckout login failed for probe ',
    ].join('\n'),
  );
  const out = join(tmp.dir, 'f2b.config.yaml');

  it('writes the filter into filters: with its origin, reports the untranslatable pattern, and config check passes', () => {
    const r = f2b(['import', 'fail2ban', root, '--write', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // a pattern was left out
    expect(r.stdout).toContain(
      'Filter shopd: translated from filter.d/shopd-common.conf, filter.d/shopd.conf into filters.shopd: 1 failregex, 1 ignoreregex, 1 pattern(s) left out (see below)',
    );
    expect(r.stdout).toContain(
      '  filter.d/shopd.conf:5: [Definition] failregex: pattern 2 of 2 uses negative lookbehind "(?<!", which f2b cannot run; left out',
    );
    const yaml = readFileSync(out, 'utf8');
    expect(yaml).toContain('  shopd:  # fail2ban: filter.d/shopd-common.conf, filter.d/shopd.conf\n');
    expect(parse(yaml)).toMatchObject({
      filters: {
        shopd: {
          failregex: ['^checkout login failed for (?P<user>\\S+) from <HOST>$'],
          ignoreregex: ['^checkout login failed for probe'],
          programs: ['shopd'],
        },
      },
      jails: { shop: { filter: 'shopd', source: log, maxretry: 2 } },
    });
    const check = f2b(['config', 'check', '-c', out]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('1 jail(s) on: shop');
  });

  it("matches the service's lines with f2b test-filter ID LOG -c CONFIG, the ignored ones left out", () => {
    const sample = join(tmp.dir, 'sample.log');
    writeFileSync(
      sample,
      [
        sshdLine('checkout login failed for alice from 203.0.113.20', { program: 'shopd' }),
        sshdLine('checkout login failed for probe from 203.0.113.21', { program: 'shopd' }),
        sshdLine('checkout login failed for alice from 203.0.113.22', { program: 'otherd' }),
      ].join(''),
    );
    const r = f2b(['test-filter', 'shopd', sample, '-c', out, '--json']);
    expect(r.stderr).toBe('');
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { match: boolean; id?: string; rule?: string; captures?: Record<string, string> });
    expect(lines.map((l) => l.match)).toEqual([true, false, false]);
    expect(lines[0]).toMatchObject({ id: '203.0.113.20', rule: 'failregex-0', captures: { user: 'alice' } });
  });

  it('bans from a line of the service in a running daemon, through the imported filter', async () => {
    // The imported config as it is, with a test's state, socket and dry-run action on top.
    const run = join(tmp.dir, 'run.yaml');
    writeFileSync(
      run,
      JSON.stringify({
        extends: './f2b.config.yaml',
        state: { type: 'memory' },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: { shop: { actions: ['log'], ignoreself: false } },
      }),
    );
    const d = startF2b(['start', '--foreground', '--config', run]);
    try {
      await d.waitFor(/Started 1 jail/, 'stderr', 20_000);
      for (let i = 0; i < 2; i++) appendFileSync(log, sshdLine('checkout login failed for mallory from 198.51.100.30', { program: 'shopd', pid: 100 + i }));
      await d.waitFor(/NOTICE \[shop\] Ban 198\.51\.100\.30 until \S+ \(failures: 2, ban #1, rule: failregex-0, origin: local\)/m, 'stderr', 20_000);
    } finally {
      await d.stop();
    }
  }, 60_000);
});

const ETC = '/etc/fail2ban';
const have = existsSync(join(ETC, 'jail.conf'));
if (!have) console.log(`skipping the import of Debian's filter.d: ${ETC}/jail.conf is missing (apt-get install fail2ban)`);

describe.skipIf(!have)("f2b import fail2ban on Debian's real tree, with jails whose filters f2b has no package for", () => {
  it('translates their filter.d files, reports what it left out, and the config passes config check', () => {
    const root = join(tmp.dir, 'debian');
    mkdirSync(join(root, 'jail.d'), { recursive: true });
    mkdirSync(join(root, 'filter.d'), { recursive: true });
    for (const f of readdirSync(ETC)) if (/^(?:jail|paths-.*)\.conf$/.test(f)) copyFileSync(join(ETC, f), join(root, f));
    for (const f of readdirSync(join(ETC, 'jail.d'))) copyFileSync(join(ETC, 'jail.d', f), join(root, 'jail.d', f));
    for (const f of readdirSync(join(ETC, 'filter.d'))) if (f.endsWith('.conf')) copyFileSync(join(ETC, 'filter.d', f), join(root, 'filter.d', f));
    const log = join(tmp.dir, 'debian.log');
    writeFileSync(log, '');
    writeFileSync(
      join(root, 'jail.local'),
      [
        '[sshd]',
        `logpath = ${log}`,
        '[monit]',
        'enabled = true',
        `logpath = ${log}`,
        '[apache-auth]',
        'enabled = true',
        `logpath = ${log}`,
        '[nsd]',
        'enabled = true',
        `logpath = ${log}`,
      ].join('\n'),
    );
    const out = join(tmp.dir, 'debian.yaml');
    const r = f2b(['import', 'fail2ban', root, '--write', out]);
    expect(r.stderr).toBe('');
    // f2b's own filters stay f2b's: apache-auth and sshd are packaged, monit and nsd are translated.
    expect(r.stdout).toMatch(/^Filter monit: translated from (?:\S+, )*filter\.d\/monit\.conf into filters\.monit: [1-9]\d* failregex, \d+ ignoreregex/m);
    expect(r.stdout).toMatch(/^Filter nsd: translated from (?:\S+, )*filter\.d\/nsd\.conf into filters\.nsd: [1-9]\d* failregex/m);
    expect(r.stdout).not.toMatch(/^Filter (?:sshd|apache-auth):/m);
    const config = parse(readFileSync(out, 'utf8')) as { filters: Record<string, unknown>; jails: Record<string, { filter: string; enabled?: boolean }> };
    expect(Object.keys(config.filters).sort()).toEqual(['monit', 'nsd']);
    expect(config.jails).toMatchObject({
      sshd: { filter: 'sshd' },
      'apache-auth': { filter: 'apache-auth' },
      monit: { filter: 'monit' },
      nsd: { filter: 'nsd' },
    });
    // Every note about a left-out pattern names the construct.
    for (const line of r.stdout.split('\n').filter((l) => /^ {2}filter\.d\/.*: \[Definition\] (?:failregex|ignoreregex): pattern/.test(l)))
      expect(line).toMatch(/uses .+, which f2b cannot run; left out/);
    const check = f2b(['config', 'check', '-c', out]);
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/4 jail\(s\) on: /);
  });
});
