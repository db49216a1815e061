/**
 * Config composition: `extends` (files and packages), `hosts` blocks, `${env:NAME}` references, the
 * origin of every value, and errors that name the file and key path where the bad value was written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, resolveConfig } from '../packages/core/src/config.js';
import { loadConfigChain } from '../packages/core/src/config/chain.js';
import { globMatch, matchingHostPatterns } from '../packages/core/src/config/hosts.js';
import { tempDir } from './helpers.js';
import { rejectedF2bError as rejected, thrownF2bError as thrown } from '../packages/core/src/testing/thrown.js';

const tmp = tempDir('f2b-config-');
afterAll(() => tmp.cleanup());
let n = 0;
/** A fresh directory with these files (objects are written as JSON). */
function project(files: Record<string, unknown>): string {
  const dir = join(tmp.dir, `p${++n}`);
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

describe('host patterns', () => {
  it('globs with * and ?, case-insensitive, whole name', () => {
    expect(globMatch('web-*', 'web-1')).toBe(true);
    expect(globMatch('web-*', 'WEB-12')).toBe(true);
    expect(globMatch('web-?', 'web-12')).toBe(false);
    expect(globMatch('web-?', 'web-1')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('*.example.com', 'a.b.example.com')).toBe(true);
    expect(globMatch('web', 'web-1')).toBe(false);
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
  });

  it('stays linear on hostile patterns', () => {
    const started = Date.now();
    expect(globMatch('*a*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(253))).toBe(false);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('applies the least specific first, exact names last, ties in file order', () => {
    expect(matchingHostPatterns(['web-1', '*', 'web-*', 'w*', 'db-*', '*-1'], 'web-1')).toEqual(['*', 'w*', '*-1', 'web-*', 'web-1']);
    // The first label of a fully qualified name matches too.
    expect(matchingHostPatterns(['web-1', 'web-1.example.com', 'db'], 'web-1.example.com')).toEqual(['web-1', 'web-1.example.com']);
  });
});

describe('extends', () => {
  it('merges files key by key: objects deep, arrays replaced, jails by name, later wins', async () => {
    const dir = project({
      'base.yaml':
        'defaults:\n  bantime: 1h\n  maxretry: 5\n  ignoreip: [192.0.2.0/24]\njails:\n  sshd:\n    source: /var/log/auth.log\n    maxretry: 4\n  postfix:\n    source: /var/log/mail.log\n',
      'team.json': { extends: './base.yaml', defaults: { findtime: '5m' }, jails: { sshd: { filter: { id: 'sshd', mode: 'aggressive' } } } },
      'f2b.config.json': {
        extends: ['./team.json'],
        defaults: { ignoreip: ['198.51.100.7'] },
        jails: { sshd: { maxretry: 2 }, web: { source: '/var/log/web.log', filter: 'sshd' } },
      },
    });
    const found = await loadConfig(undefined, dir);
    expect(found!.file).toBe(join(dir, 'f2b.config.json'));
    expect(found!.config).toEqual({
      defaults: { bantime: '1h', maxretry: 5, ignoreip: ['198.51.100.7'], findtime: '5m' },
      jails: {
        sshd: { source: '/var/log/auth.log', maxretry: 2, filter: { id: 'sshd', mode: 'aggressive' } },
        postfix: { source: '/var/log/mail.log' },
        web: { source: '/var/log/web.log', filter: 'sshd' },
      },
    });
    expect(found!.chain.files.map((f) => f.file)).toEqual(['base.yaml', 'team.json', 'f2b.config.json'].map((f) => join(dir, f)));
    const o = found!.chain.origins;
    expect(o.get(['defaults', 'bantime'])).toMatchObject({ file: join(dir, 'base.yaml'), path: 'defaults.bantime' });
    expect(o.get(['jails', 'sshd', 'maxretry'])).toMatchObject({ file: join(dir, 'f2b.config.json'), path: 'jails.sshd.maxretry' });
    expect(o.get(['jails', 'sshd', 'filter', 'mode'])).toMatchObject({ file: join(dir, 'team.json') });
    expect(o.get(['defaults', 'ignoreip'])).toMatchObject({ file: join(dir, 'f2b.config.json') });
    const r = resolveConfig(found!.config, found!.file);
    expect(r.jails.map((j) => [j.name, j.maxretry, j.bantime, j.findtime])).toEqual([
      ['sshd', 2, 3600, 300],
      ['postfix', 5, 3600, 300],
      ['web', 5, 3600, 300],
    ]);
  });

  it('null removes an inherited key or jail; source and sources replace each other; a filter object keeps the id', async () => {
    const dir = project({
      'base.json': { jails: { a: { sources: ['/x', '/y'], filter: 'sshd', maxretry: 3 }, b: { source: '/b' } } },
      'f2b.config.json': { extends: './base.json', jails: { a: { source: '/z', filter: { mode: 'ddos' }, maxretry: null }, b: null } },
    });
    const { config } = (await loadConfig(undefined, dir))!;
    expect(config.jails).toEqual({ a: { source: '/z', filter: { id: 'sshd', mode: 'ddos' } } });
  });

  it('extends a package: resolved from the extending file like an import, nested extends inside the package', async () => {
    const dir = project({
      'node_modules/@acme/f2b-config/package.json': {
        name: '@acme/f2b-config',
        version: '1.0.0',
        type: 'module',
        exports: { '.': './index.js', './strict': './strict.yaml' },
      },
      'node_modules/@acme/f2b-config/index.js':
        "export default { extends: './common.json', defaults: { bantime: '2h' }, jails: { sshd: { source: '/var/log/auth.log' } } };\n",
      'node_modules/@acme/f2b-config/common.json': { defaults: { maxretry: 7 } },
      'node_modules/@acme/f2b-config/strict.yaml': 'defaults:\n  maxretry: 2\n',
      'etc/f2b.config.yaml': 'extends: ["@acme/f2b-config", "@acme/f2b-config/strict"]\njails:\n  sshd:\n    maxretry: 9\n',
    });
    const chain = await loadConfigChain(join(dir, 'etc/f2b.config.yaml'));
    expect(chain.config).toEqual({ defaults: { maxretry: 2, bantime: '2h' }, jails: { sshd: { source: '/var/log/auth.log', maxretry: 9 } } });
    expect(chain.files.map((f) => f.package ?? null)).toEqual(['@acme/f2b-config', '@acme/f2b-config', '@acme/f2b-config', null]);
    expect(chain.origins.get(['defaults', 'bantime'])).toMatchObject({ package: '@acme/f2b-config', path: 'defaults.bantime' });
  });

  it('a missing file or package names the extending file, the key path and the fix', async () => {
    const dir = project({ 'f2b.config.json': { extends: ['./nope.yaml'], jails: {} }, 'b/f2b.config.json': { extends: '@acme/not-installed', jails: {} } });
    const file = await rejected(loadConfig(undefined, dir));
    expect(file).toMatchObject({ code: 'F2B_ERR_CONFIG_NOT_FOUND', file: join(dir, 'f2b.config.json'), path: 'extends.0' });
    expect(file.message).toContain(join(dir, 'nope.yaml'));
    const pkg = await rejected(loadConfig(undefined, join(dir, 'b')));
    expect(pkg).toMatchObject({ code: 'F2B_ERR_CONFIG_NOT_FOUND', path: 'extends' });
    expect(pkg.fix).toContain('npm i @acme/not-installed');
  });

  it('refuses cycles', async () => {
    const dir = project({ 'a.json': { extends: './b.json', jails: {} }, 'b.json': { extends: './a.json' } });
    const err = await rejected(loadConfigChain(join(dir, 'a.json')));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(err.message).toMatch(/cycle/);
  });

  it('a bad value is reported at the file and key path that wrote it', async () => {
    const dir = project({
      'base.yaml': 'jails:\n  sshd:\n    source: /var/log/auth.log\n    maxretry: 0\n',
      'f2b.config.yaml': 'extends: ./base.yaml\nhosts:\n  "web-*":\n    jails:\n      sshd:\n        ignoreip: [not-an-ip]\n',
    });
    const found = await loadConfig(undefined, dir, { host: 'db-1' });
    const e1 = thrown(() => resolveConfig(found!.config, found!.file));
    expect(e1).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', file: join(dir, 'base.yaml'), path: 'jails.sshd.maxretry' });
    const web = await loadConfig(undefined, dir, { host: 'web-3' });
    web!.config.jails.sshd!.maxretry = 3; // only the host block's value is wrong now
    const e2 = thrown(() => resolveConfig(web!.config, web!.file));
    expect(e2).toMatchObject({ code: 'F2B_ERR_ADDRESS_INVALID', file: join(dir, 'f2b.config.yaml'), path: 'hosts.web-*.jails.sshd.ignoreip.0' });
    // A key missing from a jail points at the layer that defined the jail (no filter "x": the filter, named after the jail).
    const d2 = project({ 'f2b.config.json': { hosts: { '*': { jails: { x: { maxretry: 2 } } } }, jails: {} } });
    const missing = await loadConfig(undefined, d2, { host: 'h' });
    expect(thrown(() => resolveConfig(missing!.config, missing!.file))).toMatchObject({ file: join(d2, 'f2b.config.json'), path: 'hosts.*.jails.x.filter' });
  });
});

describe('hosts', () => {
  const files = {
    'f2b.config.yaml': [
      'defaults: { maxretry: 5 }',
      'jails:',
      '  sshd: { source: /var/log/auth.log }',
      'hosts:',
      '  "web-1": { jails: { sshd: { maxretry: 1 } } }',
      '  "*": { defaults: { bantime: 1d }, jails: { sshd: { maxretry: 4 } } }',
      '  "web-*":',
      '    jails:',
      '      sshd: { maxretry: 2 }',
      '      nginx-http-auth: { source: /var/log/nginx/error.log }',
      '',
    ].join('\n'),
  };

  it('applies matching blocks after the base, most specific last', async () => {
    const dir = project(files);
    const at = async (host: string) => (await loadConfig(undefined, dir, { host }))!;
    expect((await at('db-1')).config.jails).toEqual({ sshd: { source: '/var/log/auth.log', maxretry: 4 } });
    const web2 = await at('web-2');
    expect(web2.config.jails.sshd!.maxretry).toBe(2);
    expect(Object.keys(web2.config.jails)).toEqual(['sshd', 'nginx-http-auth']);
    expect(web2.chain.files.at(-1)!.hosts).toEqual(['*', 'web-*']);
    const web1 = await at('web-1.example.com');
    expect(web1.config.jails.sshd!.maxretry).toBe(1);
    expect(web1.chain.origins.get(['jails', 'sshd', 'maxretry'])!.path).toBe('hosts.web-1.jails.sshd.maxretry');
    expect(web1.config).not.toHaveProperty('hosts');
  });

  it('rejects bad patterns and nested extends/hosts, naming the key', async () => {
    const bad = project({ 'f2b.config.json': { jails: {}, hosts: { 'web[1]': {} } } });
    expect(await rejected(loadConfig(undefined, bad))).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', path: 'hosts.web[1]' });
    const nested = project({ 'f2b.config.json': { jails: {}, hosts: { '*': { extends: './x.json' } } } });
    expect(await rejected(loadConfig(undefined, nested))).toMatchObject({ path: 'hosts.*.extends' });
  });
});

describe('environment references', () => {
  const files = {
    'base.json': {
      jails: {
        web: {
          source: '/var/log/web.log',
          filter: 'sshd',
          actions: [{ type: 'hook', url: 'https://hooks.example/${env:F2B_T_HOOK}', token: { env: 'F2B_T_TOKEN' } }],
        },
      },
    },
    'f2b.config.json': { extends: './base.json', socket: '${env:F2B_T_SOCKET}', state: { path: '$${env:LITERAL}' } },
  };

  it('resolves ${env:NAME} and { env: NAME } at load; origins list the variables, display keeps the references', async () => {
    const dir = project(files);
    const env = { F2B_T_HOOK: 'abc', F2B_T_TOKEN: 's3cret', F2B_T_SOCKET: '/run/x.sock' };
    const { config, chain } = (await loadConfig(undefined, dir, { env }))!;
    expect(config.jails.web!.actions).toEqual([{ type: 'hook', url: 'https://hooks.example/abc', token: 's3cret' }]);
    expect(config.socket).toBe('/run/x.sock');
    expect(config.state!.path).toBe('${env:LITERAL}');
    expect(chain.origins.get(['jails', 'web', 'actions'])).toMatchObject({ file: join(dir, 'base.json'), env: ['F2B_T_HOOK', 'F2B_T_TOKEN'] });
    expect(JSON.stringify(chain.display)).not.toContain('s3cret');
    expect(JSON.stringify(chain.display)).toContain('${env:F2B_T_TOKEN}');
  });

  it('a missing variable names the file, the key path and the variable, never a value', async () => {
    const dir = project(files);
    const err = await rejected(loadConfig(undefined, dir, { env: { F2B_T_HOOK: 'abc', F2B_T_SOCKET: 'x' } }));
    expect(err).toMatchObject({ code: 'F2B_ERR_CONFIG_INVALID', file: join(dir, 'base.json'), path: 'jails.web.actions.0.token' });
    expect(err.message).toContain('"F2B_T_TOKEN"');
    expect(err.describe()).not.toContain('abc');
  });

  it('only the values that end up in the config need their variables', async () => {
    const dir = project({ 'base.json': { socket: '${env:F2B_T_UNSET}', jails: {} }, 'f2b.config.json': { extends: './base.json', socket: false } });
    expect((await loadConfig(undefined, dir, { env: {} }))!.config.socket).toBe(false);
  });
});

describe('enabledIf', () => {
  it('turns a jail off unless one of its paths exists, re-evaluated at every resolve', () => {
    const dir = project({ 'present.log': '' });
    const r = resolveConfig({
      jails: {
        a: { source: 'x', enabledIf: { exists: [join(dir, 'missing.log'), join(dir, 'present.log')] } },
        b: { source: 'x', enabledIf: { exists: join(dir, 'missing.log') } },
        c: { source: 'x', enabled: false, enabledIf: { exists: join(dir, 'present.log') } },
      },
    });
    expect(r.jails.map((j) => [j.name, j.enabled])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ]);
    expect(r.jails[1]!.disabledBecause).toContain('missing.log does not exist');
    expect(thrown(() => resolveConfig({ jails: { a: { source: 'x', enabledIf: { file: 'x' } as never } } })).path).toMatch(/^jails\.a\.enabledIf\./);
  });
});

describe('backwards compatibility', () => {
  it('a config without extends/hosts/env loads exactly as written', async () => {
    const plain = { jails: { sshd: { source: '/var/log/auth.log', maxretry: 3, actions: [{ type: 'log', note: 'a ${b} c' }] } } };
    const dir = project({ 'f2b.config.json': plain });
    const found = await loadConfig(undefined, dir);
    expect(found!.config).toEqual(plain);
    expect(found!.file).toBe(join(dir, 'f2b.config.json'));
  });
});
