/**
 * Filters written in the config (`filters:`): checked at resolve time with the key path of each bad
 * pattern, made into definitions that match like a packaged filter's, ignoreregex winning over
 * failregex, and the address taken only from the placeholder, as an address.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolveConfig, type F2bConfig } from '../src/config.js';
import { Core } from '../src/core.js';
import { FilterRunner } from '../src/filter/engine.js';
import { Daemon } from '../src/daemon.js';
import { definePlugin } from '../src/plugin.js';
import type { LogEntry } from '../src/types.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const T = Date.UTC(2026, 0, 15, 12, 0, 0);
const REPO = join(import.meta.dirname, '..', '..', '..');
const entry = (message: string): LogEntry => ({ raw: Buffer.from(`2026-01-15 12:00:00 ${message}`), message: Buffer.from(message), time: T });

function config(filters: F2bConfig['filters'], jail: Record<string, unknown> = { filter: 'myapp', source: '/var/log/myapp.log' }): F2bConfig {
  return { filters, jails: { myapp: jail } };
}

describe('config filters', () => {
  it('become filter definitions a jail uses by id: ignoreregex first (info), then failregex', () => {
    const r = resolveConfig(
      config({ myapp: { failregex: ['^Login failed for \\S+ from <HOST>$', '^Bad token from <ADDR>$'], ignoreregex: '^Login failed for monitor ' } }),
      '/etc/f2b/f2b.config.yaml',
    );
    expect(r.jails[0]!.filter.id).toBe('myapp');
    const def = r.filters.find((f) => f.id === 'myapp')!;
    expect(def.rules.map((x) => [x.id, x.kind ?? 'failure'])).toEqual([
      ['ignoreregex-0', 'info'],
      ['failregex-0', 'failure'],
      ['failregex-1', 'failure'],
    ]);
    const runner = new FilterRunner(def);
    expect(runner.process(entry('Login failed for bob from 192.0.2.7'), T)).toMatchObject([{ id: '192.0.2.7', rule: 'failregex-0', attempts: 1 }]);
    expect(runner.process(entry('Bad token from 2001:db8::7'), T)).toMatchObject([{ id: '2001:db8::7', rule: 'failregex-1' }]);
    expect(runner.process(entry('Login failed for monitor from 192.0.2.8'), T)).toEqual([]);
  });

  it('take an address only: <HOST> never accepts a host name in a config filter', () => {
    const r = resolveConfig(config({ myapp: { failregex: '^Login failed from <HOST>$' } }));
    const runner = new FilterRunner(r.filters[0]!);
    expect(runner.process(entry('Login failed from victim.example.org'), T)).toEqual([]);
    expect(runner.process(entry('Login failed from 198.51.100.4'), T)).toMatchObject([{ id: '198.51.100.4' }]);
  });

  it('refuse a failregex without exactly one address placeholder, naming its key path', () => {
    const none = thrown(() => resolveConfig(config({ myapp: { failregex: ['^ok from <HOST>$', '^Login failed for (?P<user>\\S+)$'] } }), '/etc/f2b/c.yaml'));
    expect(none.code).toBe('F2B_ERR_FILTER_NO_HOST');
    expect(none.path).toBe('filters.myapp.failregex.1');
    expect(none.file).toBe('/etc/f2b/c.yaml');
    expect(none.message).toBe('The pattern at "filters.myapp.failregex.1" has no <HOST>, so a match could never name whom to ban.');
    expect(none.fix).toContain('<HOST>');
    expect(thrown(() => resolveConfig(config({ myapp: { failregex: '^from <HOST> via <IP4>$' } }))).message).toContain('2 address placeholders');
    expect(thrown(() => resolveConfig(config({ myapp: { failregex: '^from (?P<host>\\S+) <HOST>$' } }))).message).toContain('comes only from <HOST>');
    expect(thrown(() => resolveConfig(config({ myapp: { failregex: '^from (?P<host>[0-9.]+)$' } }))).code).toBe('F2B_ERR_FILTER_NO_HOST');
  });

  it('refuse what RE2 cannot run (lookaround, backreferences) and syntax errors, naming the key path', () => {
    const look = thrown(() => resolveConfig(config({ myapp: { failregex: ['^a <HOST>$', '^failed (?=now) from <HOST>$'] } })));
    expect(look.code).toBe('F2B_ERR_PATTERN_UNSUPPORTED');
    expect(look.path).toBe('filters.myapp.failregex.1');
    expect(look.message).toContain('"(?=" lookahead is not supported by RE2');
    expect(look.fix).toBe('Rewrite the pattern without it: match the text itself, or use an ignoreregex for lines to leave out.');
    const back = thrown(() => resolveConfig(config({ myapp: { failregex: '^(\\w+) again \\1 from <HOST>$' } })));
    expect([back.code, back.path]).toEqual(['F2B_ERR_PATTERN_UNSUPPORTED', 'filters.myapp.failregex']);
    expect(back.message).toContain('backreference');
    const syntax = thrown(() => resolveConfig(config({ myapp: { failregex: '^from <HOST>$', ignoreregex: ['^(unclosed'] } })));
    expect([syntax.code, syntax.path]).toEqual(['F2B_ERR_PATTERN_INVALID', 'filters.myapp.ignoreregex.0']);
    expect(syntax.message).toMatch(/^The pattern at "filters\.myapp\.ignoreregex\.0" is not a valid RE2 pattern: .*missing \)/);
  });

  it('refuse unknown keys and bad ids through the schema, and a jail without a source', () => {
    const key = thrown(() => resolveConfig(config({ myapp: { failregex: '^x <HOST>$', maxlines: 2 } as never })));
    expect([key.code, key.path]).toEqual(['F2B_ERR_CONFIG_INVALID', 'filters.myapp.maxlines']);
    expect(thrown(() => resolveConfig(config({ 'my app': { failregex: '^x <HOST>$' } }))).path).toBe('filters.my app');
    const src = thrown(() => resolveConfig(config({ myapp: { failregex: '^x <HOST>$' } }, { filter: 'myapp' })));
    expect([src.code, src.path]).toEqual(['F2B_ERR_CONFIG_INVALID', 'jails.myapp.source']);
  });

  it('are what the core gives for their id, over a plugin filter of the same id, until the next load replaces them', () => {
    const core = new Core({ logLevel: 'silent' });
    core.use({ meta: { name: 'pkg' }, apply: (api) => api.registerFilter({ id: 'myapp', rules: [{ id: 'pkg-rule', pattern: '^pkg <HOST>$' }] }) });
    const r = resolveConfig(config({ myapp: { failregex: '^mine <HOST>$' } }));
    core.setConfigFilters(r.filters);
    expect(core.getFilter('myapp')).toMatchObject({ plugin: 'config', def: { rules: [{ id: 'failregex-0' }] } });
    expect(core.listFilters().filter((f) => f.def.id === 'myapp')).toHaveLength(1);
    core.setConfigFilters([]);
    expect(core.getFilter('myapp')!.plugin).toBe('pkg');
  });

  it("replace an installed package's filter of the same id in the daemon, with a warning naming the package", async () => {
    const quiet = definePlugin({
      meta: { name: 'f2b-test-quiet', version: '1.0.0', core: '*' },
      apply(api) {
        api.registerSource({ type: 'quiet', create: () => ({ start: async () => {}, stop: async () => {} }) });
        api.registerAction({ type: 'none', create: () => ({ ban: async () => {}, unban: async () => {} }) });
      },
    });
    const logged: string[] = [];
    // Searched from the repository: @f2b/filter-sshd is installed there and provides `sshd`.
    const daemon = new Daemon({ searchFrom: [REPO], plugins: [quiet], logLevel: 'warn', logSink: (_l, _n, msg) => logged.push(msg) });
    const config = resolveConfig({
      filters: { sshd: { failregex: '^my own sshd line from <HOST>$' } },
      state: { type: 'memory' },
      socket: false,
      jails: { sshd: { source: { type: 'quiet' }, actions: [{ type: 'none' }] } },
    });
    const [jail] = await daemon.load(config);
    expect(logged).toContain('The config\'s filter "sshd" (filters.sshd) is used instead of the one from @f2b/filter-sshd.');
    expect(daemon.core.getFilter('sshd')).toMatchObject({ plugin: 'config', def: { rules: [{ id: 'failregex-0' }] } });
    expect(jail!.info.filter).toBe('sshd');
  });
});
