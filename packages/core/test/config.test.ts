import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, loadConfig, JAIL_DEFAULTS, type F2bConfig } from '../src/config.js';
import { rejected } from './helpers.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const one = (jail: F2bConfig['jails'][string], extra: Partial<F2bConfig> = {}) => resolveConfig({ jails: { sshd: jail }, ...extra }).jails[0]!;

describe('resolveConfig: defaults and normalisation', () => {
  it('fills in the fail2ban defaults', () => {
    const j = one({ source: '/var/log/auth.log' });
    expect(j).toMatchObject({
      name: 'sshd',
      enabled: true,
      findtime: 600,
      maxretry: 5,
      bantime: 600,
      actions: [{ type: 'log', options: {} }],
      ignoreself: true,
      ignoreip: [],
      usedns: 'warn',
    });
    expect(j.timezone).toBeUndefined();
  });

  it('top-level defaults: no plugins, logLevel info, file undefined', () => {
    const r = resolveConfig({ jails: { sshd: { source: 'x' } } });
    expect(r.plugins).toEqual([]);
    expect(r.logLevel).toBe('info');
    expect(r.file).toBeUndefined();
  });

  it.each([
    ['10m', 600],
    ['1h', 3600],
    ['1h30m', 5400],
    [30, 30],
    ['45', 45],
    ['1mo', 2_629_800],
  ])('findtime %s → %d seconds', (value, seconds) => {
    expect(one({ source: 'x', findtime: value }).findtime).toBe(seconds);
  });

  it.each([
    ['2d', 172800],
    [120, 120],
    [-1, -1],
    ['-1', -1],
    ['forever', -1],
  ])('bantime %s → %d', (value, seconds) => {
    expect(one({ source: 'x', bantime: value }).bantime).toBe(seconds);
  });

  it('findtime -1 is not allowed (only bantime may be forever)', () => {
    const err = thrown(() => one({ source: 'x', findtime: -1 }));
    expect(err.code).toBe('F2B_ERR_DURATION_INVALID');
    expect(err.path).toBe('jails.sshd.findtime');
  });

  it('a string source is a file source with that path', () => {
    expect(one({ source: '/var/log/auth.log' }).sources).toEqual([{ type: 'file', options: { paths: ['/var/log/auth.log'] } }]);
  });

  it('object sources: type defaults to file, the other keys are its options', () => {
    expect(one({ source: { paths: ['/a'], encoding: 'latin1' } }).sources).toEqual([{ type: 'file', options: { paths: ['/a'], encoding: 'latin1' } }]);
    expect(one({ sources: ['/a', { type: 'journald', matches: ['_SYSTEMD_UNIT=sshd.service'] }] }).sources).toEqual([
      { type: 'file', options: { paths: ['/a'] } },
      { type: 'journald', options: { matches: ['_SYSTEMD_UNIT=sshd.service'] } },
    ]);
  });

  it('the filter defaults to the jail name', () => {
    const r = resolveConfig({ jails: { 'nginx-http-auth': { source: 'x' } } });
    expect(r.jails[0]!.filter).toEqual({ id: 'nginx-http-auth', mode: undefined, options: {} });
  });

  it('filter as a string, as {id, mode}, and as {mode} (id from the jail name)', () => {
    expect(one({ source: 'x', filter: 'sshd-custom' }).filter).toEqual({ id: 'sshd-custom', mode: undefined, options: {} });
    expect(one({ source: 'x', filter: { id: 'other', mode: 'aggressive' } }).filter).toEqual({ id: 'other', mode: 'aggressive', options: {} });
    expect(one({ source: 'x', filter: { mode: 'ddos', options: { maxlines: 3 } } }).filter).toEqual({ id: 'sshd', mode: 'ddos', options: { maxlines: 3 } });
  });

  it('actions: names and {type, ...options}', () => {
    expect(one({ source: 'x', actions: ['log', { type: 'nftables', table: 'f2b', family: 'inet' }] }).actions).toEqual([
      { type: 'log', options: {} },
      { type: 'nftables', options: { table: 'f2b', family: 'inet' } },
    ]);
  });

  it('ignoreip as a list or as a space/comma separated string', () => {
    expect(one({ source: 'x', ignoreip: ['10.0.0.0/8', '2001:db8::/32'] }).ignoreip).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(one({ source: 'x', ignoreip: '127.0.0.1/8  192.0.2.1,198.51.100.0/24' }).ignoreip).toEqual(['127.0.0.1/8', '192.0.2.1', '198.51.100.0/24']);
  });

  it('defaults are inherited by every jail and overridden per jail', () => {
    const r = resolveConfig({
      defaults: { bantime: '1h', maxretry: 3, ignoreip: ['10.0.0.0/8'], actions: ['nftables'] },
      jails: {
        a: { source: 'x' },
        b: { source: 'y', maxretry: 10, actions: ['log'] },
      },
    });
    const [a, b] = r.jails;
    expect(a).toMatchObject({ name: 'a', bantime: 3600, maxretry: 3, ignoreip: ['10.0.0.0/8'], findtime: 600, actions: [{ type: 'nftables', options: {} }] });
    expect(b).toMatchObject({ name: 'b', bantime: 3600, maxretry: 10, ignoreip: ['10.0.0.0/8'], actions: [{ type: 'log', options: {} }] });
  });

  it('enabled: false is kept (the daemon skips the jail)', () => {
    expect(one({ source: 'x', enabled: false }).enabled).toBe(false);
  });

  it('plugins: names and [name, options]', () => {
    const r = resolveConfig({ plugins: ['f2b-plugin-a', ['f2b-plugin-b', { x: 1 }]], jails: { sshd: { source: 'x' } } });
    expect(r.plugins).toEqual([
      { name: 'f2b-plugin-a', options: {} },
      { name: 'f2b-plugin-b', options: { x: 1 } },
    ]);
  });

  it('a valid timezone is kept', () => {
    expect(one({ source: 'x', timezone: 'Europe/Berlin' }).timezone).toBe('Europe/Berlin');
  });

  it('resolving does not hand out the shared defaults: changing one result does not change the next', () => {
    const first = one({ source: 'x' });
    first.ignoreip.push('192.0.2.1');
    first.actions.push({ type: 'evil', options: {} });
    const second = one({ source: 'x' });
    expect(second.ignoreip).toEqual([]);
    expect(second.actions).toEqual([{ type: 'log', options: {} }]);
    expect(JAIL_DEFAULTS.ignoreip).toEqual([]);
  });
});

describe('resolveConfig: errors name the key path', () => {
  it('unknown jail key → F2B_ERR_CONFIG_INVALID at jails.sshd.maxretyr', () => {
    const err = thrown(() => resolveConfig({ jails: { sshd: { source: 'x', maxretyr: 3 } as never } }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jails.sshd.maxretyr');
    expect(err.message).toContain('jails.sshd.maxretyr');
    expect(err.fix).toContain('maxretry'); // lists the known keys
  });

  it('unknown top-level key is reported at its own name', () => {
    const err = thrown(() => resolveConfig({ jails: { sshd: { source: 'x' } }, jail: {} } as never));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jail');
  });

  it('unknown key in defaults', () => {
    const err = thrown(() => resolveConfig({ defaults: { bantme: 5 } as never, jails: { sshd: { source: 'x' } } }));
    expect(err.path).toBe('defaults.bantme');
  });

  it.each([0, -3, 2.5])('maxretry %s → F2B_ERR_CONFIG_INVALID at jails.sshd.maxretry', (n) => {
    const err = thrown(() => one({ source: 'x', maxretry: n }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jails.sshd.maxretry');
  });

  // Issue 13: values that used to be accepted and made no sense.
  it.each([Infinity, -Infinity, NaN])('maxretry %s (YAML .inf, .nan) is refused, not silently replaced', (n) => {
    const err = thrown(() => one({ source: 'x', maxretry: n }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jails.sshd.maxretry');
    expect(err.message).toContain('is not a finite number');
    expect(err.fix).toContain('whole number');
  });

  it('maxretry: .inf in a YAML file names the file and the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-inf-'));
    try {
      writeFileSync(join(dir, 'f2b.config.yaml'), 'jails:\n  sshd:\n    source: x\n    maxretry: .inf\n');
      const found = (await loadConfig(join(dir, 'f2b.config.yaml')))!;
      const err = thrown(() => resolveConfig(found.config, found.file));
      expect(err.path).toBe('jails.sshd.maxretry');
      expect(err.file).toContain('f2b.config.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ findtime: 0 }, 'jails.sshd.findtime', 'is zero'],
    [{ bantime: 0 }, 'jails.sshd.bantime', 'is zero'],
    [{ bantime: '0s' }, 'jails.sshd.bantime', 'is zero'],
    [{ bantime: 9_999_999_999_999 }, 'jails.sshd.bantime', '100 years'],
    [{ bantime: '200000w' }, 'jails.sshd.bantime', '100 years'],
    [{ bantimeIncrement: { maxtime: 0 } }, 'jails.sshd.bantimeIncrement.maxtime', 'is zero'],
  ])('%j is refused at %s (%s)', (extra, path, problem) => {
    const err = thrown(() => one({ source: 'x', ...extra } as never));
    expect(err.code).toBe('F2B_ERR_DURATION_INVALID');
    expect(err.path).toBe(path);
    expect(err.message).toContain(problem);
  });

  it('bantime -1 (forever), 1mo and 1y are accepted', () => {
    expect(one({ source: 'x', bantime: -1 }).bantime).toBe(-1);
    expect(one({ source: 'x', bantime: '1mo' }).bantime).toBe(2_629_800);
    expect(one({ source: 'x', bantime: '1y' }).bantime).toBe(31_557_600);
  });

  it('state.purgeAge 0 and recidive.findtime 0 are refused', () => {
    expect(thrown(() => resolveConfig({ jails: { sshd: { source: 'x' } }, state: { purgeAge: 0 } })).path).toBe('state.purgeAge');
    expect(thrown(() => resolveConfig({ jails: { sshd: { source: 'x' } }, recidive: { findtime: 0 } })).path).toBe('recidive.findtime');
  });

  it('a socket path longer than 107 bytes (sun_path) is refused before anything runs', () => {
    const long = `/tmp/${'s'.repeat(98)}.sock`; // 108 bytes
    const err = thrown(() => resolveConfig({ jails: { sshd: { source: 'x' } }, socket: long }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('socket');
    expect(err.message).toContain('108 bytes');
    const ok = `/tmp/${'s'.repeat(97)}.sock`; // 107 bytes
    expect(resolveConfig({ jails: { sshd: { source: 'x' } }, socket: ok }).socket).toBe(ok);
  });

  it('maxretry of the wrong type', () => {
    const err = thrown(() => one({ source: 'x', maxretry: '5' as never }));
    expect(err.path).toBe('jails.sshd.maxretry');
  });

  it('bad duration → F2B_ERR_DURATION_INVALID at jails.sshd.findtime', () => {
    const err = thrown(() => one({ source: 'x', findtime: '10 parsecs' }));
    expect(err.code).toBe('F2B_ERR_DURATION_INVALID');
    expect(err.path).toBe('jails.sshd.findtime');
    expect(err.message).toContain('10 parsecs');
  });

  it('bad bantime names bantime', () => {
    expect(thrown(() => one({ source: 'x', bantime: 'soon' })).path).toBe('jails.sshd.bantime');
  });

  it('bad duration inherited from defaults is reported at the jail that uses it', () => {
    const err = thrown(() => resolveConfig({ defaults: { findtime: 'bogus' }, jails: { web: { source: 'x' } } }));
    expect(err.code).toBe('F2B_ERR_DURATION_INVALID');
    expect(err.path).toBe('jails.web.findtime');
  });

  it('bad ignoreip entry → F2B_ERR_ADDRESS_INVALID at jails.sshd.ignoreip.1', () => {
    const err = thrown(() => one({ source: 'x', ignoreip: ['10.0.0.0/8', '10.0.0.300', '192.0.2.1'] }));
    expect(err.code).toBe('F2B_ERR_ADDRESS_INVALID');
    expect(err.path).toBe('jails.sshd.ignoreip.1');
    expect(err.message).toContain('10.0.0.300');
  });

  it('bad ignoreip entry in the string form is indexed after splitting', () => {
    expect(thrown(() => one({ source: 'x', ignoreip: '192.0.2.1 example.com' })).path).toBe('jails.sshd.ignoreip.1');
  });

  it('bad timezone → F2B_ERR_TIMEZONE_INVALID at jails.sshd.timezone', () => {
    const err = thrown(() => one({ source: 'x', timezone: 'Mars/Olympus_Mons' }));
    expect(err.code).toBe('F2B_ERR_TIMEZONE_INVALID');
    expect(err.path).toBe('jails.sshd.timezone');
  });

  it('missing source, and no package provides the filter that would say where it logs → F2B_ERR_FILTER_NOT_FOUND', () => {
    // Defaults from the filter's declared log paths: default-source.test.ts.
    const err = thrown(() => one({ filter: 'no-such-filter' }));
    expect(err.code).toBe('F2B_ERR_FILTER_NOT_FOUND');
    expect(err.path).toBe('jails.sshd.filter');
  });

  it('empty sources list is rejected', () => {
    expect(thrown(() => one({ sources: [] })).code).toBe('F2B_ERR_CONFIG_INVALID');
  });

  it('missing jails → F2B_ERR_CONFIG_INVALID at "jails"', () => {
    const err = thrown(() => resolveConfig({} as F2bConfig));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jails');
    expect(err.message).toContain('"jails"');
  });

  it('an invalid jail name is rejected', () => {
    const err = thrown(() => resolveConfig({ jails: { 'bad name': { source: 'x' } } }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.path).toBe('jails.bad name');
  });

  it('usedns must be one of yes/warn/no', () => {
    const err = thrown(() => one({ source: 'x', usedns: 'maybe' as never }));
    expect(err.path).toBe('jails.sshd.usedns');
    expect(err.message).toContain('"warn"');
  });

  it.each([
    ['schema error', { jails: { sshd: { source: 'x', maxretyr: 1 } } }, 'F2B_ERR_CONFIG_INVALID'],
    ['duration', { jails: { sshd: { source: 'x', findtime: 'x' } } }, 'F2B_ERR_DURATION_INVALID'],
    ['ignoreip', { jails: { sshd: { source: 'x', ignoreip: ['nope'] } } }, 'F2B_ERR_ADDRESS_INVALID'],
    ['timezone', { jails: { sshd: { source: 'x', timezone: 'No/Where' } } }, 'F2B_ERR_TIMEZONE_INVALID'],
    ['missing source', { jails: { x: { filter: 'no-such-filter' } } }, 'F2B_ERR_FILTER_NOT_FOUND'],
  ])('the error names the file when one is given (%s)', (_label, config, code) => {
    const err = thrown(() => resolveConfig(config as F2bConfig, '/etc/f2b/f2b.config.json'));
    expect(err.code).toBe(code);
    expect(err.file).toBe('/etc/f2b/f2b.config.json');
    expect(err.describe()).toContain('/etc/f2b/f2b.config.json');
    // without a file, none is invented
    expect(thrown(() => resolveConfig(config as F2bConfig)).file).toBeUndefined();
  });

  it('resolved config records the file', () => {
    expect(resolveConfig({ jails: { sshd: { source: 'x' } } }, '/x/f2b.config.json').file).toBe('/x/f2b.config.json');
  });
});

describe('loadConfig', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = realpathSync(mkdtempSync(join(tmpdir(), 'f2b-')));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const config = { jails: { sshd: { source: '/var/log/auth.log', maxretry: 3 } } };

  it('finds f2b.config.json by search from cwd', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f2b.config.json'), JSON.stringify(config));
    const found = await loadConfig(undefined, dir);
    expect(found).not.toBeNull();
    expect(found!.file).toBe(join(dir, 'f2b.config.json'));
    expect(found!.config).toEqual(config);
  });

  it('finds .f2brc.yaml', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.f2brc.yaml'), 'jails:\n  sshd:\n    source: /var/log/auth.log\n    maxretry: 3\n');
    const found = await loadConfig(undefined, dir);
    expect(found!.file).toBe(join(dir, '.f2brc.yaml'));
    expect(found!.config).toEqual(config);
  });

  it('finds f2b.config.mjs and uses its default export', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f2b.config.mjs'), `export default ${JSON.stringify(config)};\n`);
    const found = await loadConfig(undefined, dir);
    expect(found!.file).toBe(join(dir, 'f2b.config.mjs'));
    expect(found!.config).toEqual(config);
  });

  it('returns null when there is no config in the directory', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'empty'));
    expect(await loadConfig(undefined, join(dir, 'empty'))).toBeNull();
  });

  it('--config: loads the named file, relative to cwd', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'custom.json'), JSON.stringify(config));
    const found = await loadConfig('custom.json', dir);
    expect(found!.file).toBe(join(dir, 'custom.json'));
    expect(found!.config).toEqual(config);
  });

  it('--config path that does not exist → F2B_ERR_CONFIG_NOT_FOUND naming the absolute path', async () => {
    const dir = tempDir();
    const err = await rejected(loadConfig('missing.json', dir));
    expect(err.code).toBe('F2B_ERR_CONFIG_NOT_FOUND');
    expect(err.file).toBe(join(dir, 'missing.json'));
  });

  it('invalid JSON → F2B_ERR_CONFIG_PARSE (named with --config, and found by search)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f2b.config.json'), '{ "jails": { "sshd": ');
    const named = await rejected(loadConfig(join(dir, 'f2b.config.json'), dir));
    expect(named.code).toBe('F2B_ERR_CONFIG_PARSE');
    expect(named.file).toContain('f2b.config.json');
    const searched = await rejected(loadConfig(undefined, dir));
    expect(searched.code).toBe('F2B_ERR_CONFIG_PARSE');
  });

  it('invalid YAML → F2B_ERR_CONFIG_PARSE', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.f2brc.yaml'), 'jails:\n  sshd: [unclosed\n');
    expect((await rejected(loadConfig(undefined, dir))).code).toBe('F2B_ERR_CONFIG_PARSE');
  });

  it('a loaded config resolves', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f2b.config.json'), JSON.stringify(config));
    const found = await loadConfig(undefined, dir);
    const r = resolveConfig(found!.config, found!.file);
    expect(r.file).toBe(join(dir, 'f2b.config.json'));
    expect(r.jails[0]!.maxretry).toBe(3);
  });
});
