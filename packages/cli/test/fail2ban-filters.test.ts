/**
 * `f2b import fail2ban` on filter.d files f2b has no package for: hand-written ones (ours, written
 * here: includes, a .local over the .conf, %(name)s and <name> interpolation, [Init] values and the
 * jail's arguments, a prefix line naming the daemon) translated into config filters, each pattern RE2
 * cannot run reported with its construct; and Debian's real filter.d (the installed `fail2ban`
 * package, read as input) translated into nothing `f2b config check` would refuse.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { importFail2ban } from '../src/import/fail2ban/importer.js';
import { FilterFiles } from '../src/import/fail2ban/filter-file.js';
import { translatePattern } from '../src/import/fail2ban/regex.js';
import { renderReport, renderYaml } from '../src/import/fail2ban/render.js';
import { KnownIds, type KnownId } from '../src/known-ids.js';
import { CATALOGUE } from '../../core/src/catalogue.js';
import { resolveConfig } from '../../core/src/config.js';
import { resolveUserFilters } from '../../core/src/config/user-filters.js';
import { FilterRunner } from '../../core/src/filter/engine.js';
import { EntryParser } from '../../core/src/entry.js';

const tmp = mkdtempSync(join(tmpdir(), 'f2b-import-filters-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const known = KnownIds.of(CATALOGUE.flatMap((p) => p.ids.map((id): KnownId => ({ id, kind: p.kind, package: p.name, installed: true }))));

function tree(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'filter.d'), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, f), text);
  return root;
}

/** A service of ours, its filter written the way fail2ban users write theirs. */
function customTree(name: string, log: string): string {
  return tree(name, {
    'jail.local': ['[DEFAULT]', 'bantime = 1h', '[webapp]', 'enabled = true', 'filter = webapp[who=user]', `logpath = ${log}`, 'maxretry = 2'].join('\n'),
    'filter.d/prefix.conf': ['[DEFAULT]', '_daemon = \\S*', '__prefix_line = \\s*\\S+ %(_daemon)s(?:\\[\\d+\\])?:\\s+'].join('\n'),
    'filter.d/webapp.conf': [
      '[INCLUDES]',
      'before = prefix.conf',
      '',
      '[Definition]',
      '_daemon = webappd',
      '__verb = (?:failed|denied)',
      'failregex = ^%(__prefix_line)sLogin %(__verb)s for <F-USER>\\S+</F-USER> from <HOST>\\Z',
      '            ^%(__prefix_line)sRetry (?=soon) from <HOST>$',
      '            ^%(__prefix_line)sToken reused by <who> at <ADDR>(?: port \\d{,5})?$',
      '            ^%(__prefix_line)sSame (\\w+) twice \\1 from <HOST>$',
      'ignoreregex = ^%(__prefix_line)sLogin failed for monitor ',
      '',
      '[Init]',
      'who = someone',
    ].join('\n'),
    'filter.d/webapp.local': ['[Definition]', '__verb = (?:failed|denied|refused)'].join('\n'),
  });
}

describe('translating filter.d files into config filters', () => {
  it('interpolates includes, the .local, %(name)s, <name> from the jail arguments and [Init], and drops the syslog prefix', () => {
    const log = join(tmp, 'webapp.log');
    writeFileSync(log, '');
    const r = importFail2ban(customTree('custom', log), known);
    expect(r.config.jails.webapp).toEqual({ filter: 'webapp', source: log, maxretry: 2 });
    expect(r.config.filters).toEqual({
      webapp: {
        failregex: ['^Login (?:failed|denied|refused) for (?P<user>\\S+) from <HOST>\\z', '^Token reused by user at <ADDR>(?: port \\d{0,5})?$'],
        ignoreregex: ['^Login failed for monitor'],
        programs: ['webappd'],
      },
    });
    const left = r.notes.filter((n) => n.level === 'unmapped').map((n) => `${n.where} ${n.key}: ${n.problem}`);
    expect(left).toEqual([
      'filter.d/webapp.conf:7 failregex: pattern 2 of 4 uses lookahead "(?=", which f2b cannot run; left out',
      'filter.d/webapp.conf:7 failregex: pattern 4 of 4 uses backreference "\\1", which f2b cannot run; left out',
    ]);
    const report = renderReport(r);
    expect(report).toContain(
      'Filter webapp: translated from filter.d/prefix.conf, filter.d/webapp.conf, filter.d/webapp.local into filters.webapp: 2 failregex, 1 ignoreregex, 2 pattern(s) left out (see below)',
    );
    expect(report).toContain('    Fix: Rewrite it: match the repeated text with its own character class, e.g. [^ ]+.');
    // The YAML: where each filter and pattern came from, and values YAML reads back unchanged.
    const yaml = renderYaml(r);
    expect(yaml).toContain('  webapp:  # fail2ban: filter.d/prefix.conf, filter.d/webapp.conf, filter.d/webapp.local\n');
    expect(yaml).toContain('      - "^Login (?:failed|denied|refused) for (?P<user>\\\\S+) from <HOST>\\\\z"  # filter.d/webapp.conf:7, pattern 1\n');
    expect(parse(yaml)).toEqual(r.config);
    // What it wrote is a config f2b accepts, and matches the service's lines through the config filter.
    const resolved = resolveConfig(parse(yaml));
    const runner = new FilterRunner(resolved.filters[0]!);
    const parser = new EntryParser({ timezone: 'UTC', now: () => Date.UTC(2026, 0, 15) });
    const line = (text: string) => runner.process(parser.parse(Buffer.from(text)), Date.UTC(2026, 0, 15));
    expect(line('Jan 15 10:00:00 web webappd[41]: Login refused for bob from 192.0.2.9')).toMatchObject([{ id: '192.0.2.9', captures: { user: 'bob' } }]);
    expect(line('Jan 15 10:00:00 web webappd[41]: Login failed for monitor from 192.0.2.10')).toEqual([]);
    expect(line('Jan 15 10:00:00 web otherd[41]: Login refused for bob from 192.0.2.11')).toEqual([]);
  });

  it('names each construct RE2 cannot take, and rewrites the Python spellings that mean the same', () => {
    const refused = (p: string) => {
      const t = translatePattern(p);
      return t.ok ? `accepted ${t.pattern}` : t.construct;
    };
    expect(refused('^a (?=b) <HOST>$')).toBe('lookahead "(?="');
    expect(refused('^a (?!b) <HOST>$')).toBe('negative lookahead "(?!"');
    expect(refused('^(?<=a)b <HOST>$')).toBe('lookbehind "(?<="');
    expect(refused('^(\\w) \\1 <HOST>$')).toBe('backreference "\\1"');
    expect(refused('^(?P<x>\\w) (?P=x) <HOST>$')).toBe('backreference "(?P="');
    expect(refused('^(?>a+) <HOST>$')).toBe('atomic group "(?>"');
    expect(refused('^a++ <HOST>$')).toBe('possessive quantifier "++"');
    expect(refused('^(a)?(?(1)b|c) <HOST>$')).toBe('conditional group "(?("');
    expect(refused('^<F-NOFAIL>hello</F-NOFAIL> <HOST>$')).toContain('<F-NOFAIL>');
    expect(refused('^a <SKIPLINES>b <HOST>$')).toContain('<SKIPLINES>');
    expect(refused('^from <DNS>$')).toContain('<DNS>');
    expect(refused('^nobody to ban$')).toContain('no <HOST>');
    expect(refused('^(?P<host>\\S+) <HOST>$')).toContain('(?P<host>');
    expect(refused('^a [z-a] <HOST>$')).toMatch(/^Python syntax RE2 does not read \(.*invalid character class range/);
    expect(refused('^a\\Z(?#comment) x{,2} <F-ALT_USER>\\S+</F-ALT_USER> [{,]\\\\Z <HOST>$')).toBe(
      'accepted ^a\\z x{0,2} (?P<alt_user>\\S+) [{,]\\\\Z <HOST>$',
    );
    // An ignoreregex needs no address.
    expect(translatePattern('^health check$', false)).toMatchObject({ ok: true });
  });

  it("keeps f2b's own filter when it has one, and imports a jail whose filter file has nothing f2b can run disabled", () => {
    const log = join(tmp, 'mixed.log');
    writeFileSync(log, '');
    const root = tree('mixed', {
      'jail.local': ['[sshd]', 'enabled = true', `logpath = ${log}`, '[lookonly]', 'enabled = true', `logpath = ${log}`].join('\n'),
      'filter.d/sshd.local': ['[Definition]', 'failregex = ^mine <HOST>$'].join('\n'),
      'filter.d/lookonly.conf': ['[Definition]', 'failregex = ^(?!ok) <HOST>$'].join('\n'),
    });
    const r = importFail2ban(root, known);
    expect(r.config.jails.sshd).toMatchObject({ filter: 'sshd' });
    expect(r.config.filters).toBeUndefined();
    expect(r.config.jails.lookonly).toMatchObject({ enabled: false });
    expect(r.notes.map((n) => n.problem)).toContain('The filter "lookonly" has no pattern f2b can run, so its jail is imported disabled');
    expect(() => resolveConfig(r.config)).not.toThrow();
  });
});

const ETC = '/etc/fail2ban';
const haveFail2ban = existsSync(join(ETC, 'filter.d', 'common.conf'));
if (!haveFail2ban) console.log(`skipping the filter.d translation of Debian's tree: ${ETC}/filter.d/common.conf is missing (apt-get install fail2ban)`);

describe.skipIf(!haveFail2ban)("translating Debian's filter.d", () => {
  it('never writes a pattern f2b would refuse, and says why for each one it leaves out', () => {
    const files = new FilterFiles(ETC);
    const ours = new Set(CATALOGUE.filter((p) => p.kind === 'filter').flatMap((p) => p.ids));
    let translated = 0;
    for (const f of readdirSync(join(ETC, 'filter.d')).filter((x) => x.endsWith('.conf'))) {
      const name = f.slice(0, -'.conf'.length);
      if (ours.has(name)) continue;
      const { filter, notes } = files.translate(name, new Map());
      for (const n of notes.filter((x) => x.level === 'unmapped'))
        expect(n.problem).toMatch(
          /uses .+, which f2b cannot run; left out|has no pattern f2b can run|refers to .+, which nothing defines|matched several lines/,
        );
      if (!filter) continue;
      translated++;
      const input = { failregex: filter.failregex.map((p) => p.pattern), ignoreregex: filter.ignoreregex.map((p) => p.pattern) };
      expect(() => resolveUserFilters({ [filter.id]: input }), name).not.toThrow();
    }
    expect(translated).toBeGreaterThan(10);
  });
});
