/**
 * The pieces of `f2b import fail2ban` that read fail2ban's format: the INI reader, the layering of
 * files with [INCLUDES], interpolation (%(name)s, default/, known/, __name__) and name[args] items.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIni } from '../src/import/fail2ban/ini.js';
import { readLayers } from '../src/import/fail2ban/layers.js';
import { InterpolationError, JailValues } from '../src/import/fail2ban/interpolate.js';
import { parseItems } from '../src/import/fail2ban/items.js';
import { duration, ports, timezone, addressList } from '../src/import/fail2ban/values.js';
import { closeMatches, didYouMean, editDistance } from '../../core/src/suggest.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-f2bparse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

describe('parseIni', () => {
  it('reads sections, = and : pairs, continuation lines and both kinds of comments', () => {
    const ini = parseIni(
      [
        '# a comment',
        '[DEFAULT]',
        'bantime = 1h ; inline comment',
        'ignoreip: 192.0.2.1',
        '',
        '[web]',
        'logpath = /var/log/a.log',
        '          /var/log/b.log',
        '   ; an indented comment',
        'url = http://x;y',
        'junk line',
      ].join('\n'),
      'jail.local',
    );
    expect(ini.sections.map((s) => s.name)).toEqual(['DEFAULT', 'web']);
    expect(ini.sections[0]!.entries.map((e) => [e.key, e.value.text, e.value.line])).toEqual([
      ['bantime', '1h', 3],
      ['ignoreip', '192.0.2.1', 4],
    ]);
    expect(ini.sections[1]!.entries.map((e) => [e.key, e.value.text])).toEqual([
      ['logpath', '/var/log/a.log\n/var/log/b.log'],
      ['url', 'http://x;y'],
    ]);
    expect(ini.problems).toEqual([{ file: 'jail.local', line: 11, problem: expect.stringContaining('neither') }]);
  });
});

describe('readLayers and interpolation', () => {
  const root = tree('layers', {
    'paths-common.conf': '[DEFAULT]\nweb_log = /var/log/web.log\n',
    'paths-debian.conf': '[INCLUDES]\nbefore = paths-common.conf\nafter = paths-overrides.local\n[DEFAULT]\nweb_log = /var/log/web/%(__name__)s.log\n',
    'jail.conf': [
      '[INCLUDES]',
      'before = paths-debian.conf',
      '[DEFAULT]',
      'port = 0:65535',
      'banaction = iptables-multiport',
      'action_ = %(banaction)s[port="%(port)s"]',
      'action = %(action_)s',
      'bantime = 10m',
      '[web]',
      'port = http,https',
      'logpath = %(web_log)s',
      '[nsd]',
      'port = 53',
      'action_ = %(default/action_)s[name=%(__name__)s-udp, protocol="udp"]',
      '',
    ].join('\n'),
    'jail.d/10-more.conf': '[web]\nmaxretry = 2\n',
    'jail.local': '[DEFAULT]\nbanaction = nftables-multiport\n[web]\nenabled = true\naction = %(known/action)s\n         mail\nbad = %(nothing)s\n',
    'jail.d/zz.local': '[web]\nmaxretry = 3\n',
  });
  const layers = readLayers(root);

  it("reads the files in fail2ban's order, includes before and after, missing includes skipped", () => {
    expect(layers.files.map((f) => f.slice(root.length + 1))).toEqual([
      'paths-common.conf',
      'paths-debian.conf',
      'jail.conf',
      'jail.d/10-more.conf',
      'jail.local',
      'jail.d/zz.local',
    ]);
  });

  it('lets later files win and keeps the replaced value as known/', () => {
    const web = new JailValues(layers, 'web');
    expect(web.get('maxretry')).toMatchObject({ text: '3', def: { file: join(root, 'jail.d/zz.local'), line: 2 } });
    expect(web.get('maxretry')!.def.known).toMatchObject({ text: '2' });
    expect(web.get('bantime')!.text).toBe('10m');
  });

  it("interpolates in the jail's context: [DEFAULT] shorthands take the jail's port and the latest banaction", () => {
    const web = new JailValues(layers, 'web');
    expect(web.get('action')!.text).toBe('nftables-multiport[port="http,https"]\nmail');
    expect(web.get('logpath')!.text).toBe('/var/log/web/web.log');
    expect(web.get('action')!.used.map((u) => u.name)).toEqual(expect.arrayContaining(['action', 'action_', 'banaction', 'port']));
    expect(new JailValues(layers, 'nsd').get('action')!.text).toBe('nftables-multiport[port="53"][name=nsd-udp, protocol="udp"]');
  });

  it('names the definition that refers to what nothing defines', () => {
    const web = new JailValues(layers, 'web');
    let err: unknown;
    try {
      web.get('bad');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InterpolationError);
    expect((err as InterpolationError).problem).toBe('refers to %(nothing)s, which nothing defines');
    expect((err as InterpolationError).def).toMatchObject({ line: 7 });
  });

  it('stops reference loops', () => {
    const loop = readLayers(tree('loop', { 'jail.conf': '[DEFAULT]\na = %(b)s\nb = %(a)s\n' }));
    expect(() => new JailValues(loop, 'DEFAULT').get('a')).toThrow(/deeper than 20/);
  });
});

describe('parseItems', () => {
  it('splits actions, merges bracket groups, keeps quoted commas and multi-line arguments', () => {
    const { items, problems } = parseItems(
      'iptables-multiport[port="ssh,2222", protocol=tcp][name=x]\n  sendmail-whois[dest="a@b", sender=\'c\',\n    chain=INPUT]\ndummy',
    );
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.name, Object.fromEntries(i.args)])).toEqual([
      ['iptables-multiport', { port: 'ssh,2222', protocol: 'tcp', name: 'x' }],
      ['sendmail-whois', { dest: 'a@b', sender: 'c', chain: 'INPUT' }],
      ['dummy', {}],
    ]);
  });

  it('reports an unclosed bracket', () => {
    expect(parseItems('sshd[mode=aggressive').problems).toEqual([{ text: 'sshd[mode=aggressive', problem: 'has a "[" without its "]"' }]);
  });
});

describe('values', () => {
  it('reads fail2ban durations, including months and years, and negative bantimes as forever', () => {
    expect(duration('10m')).toEqual({ ok: true, value: '10m' });
    expect(duration('600')).toEqual({ ok: true, value: 600 });
    expect(duration('1mo')).toEqual({ ok: true, value: '1mo' });
    expect(duration('1y')).toEqual({ ok: true, value: '1y' });
    expect(duration('-1', { forever: true })).toEqual({ ok: true, value: -1 });
    expect(duration('soon')).toMatchObject({ ok: false });
  });

  it("turns port lists into the nftables action's, the full range into every port", () => {
    expect(ports('ssh,2222')).toEqual({ ok: true, value: ['ssh', 2222] });
    expect(ports('0:65535')).toEqual({ ok: true, value: undefined });
    expect(ports('6000:6010')).toEqual({ ok: true, value: ['6000-6010'] });
    expect(ports('a b;c')).toMatchObject({ ok: false });
  });

  it('maps fixed offsets to IANA zones and leaves host names out of ignoreip', () => {
    expect(timezone('UTC+0200')).toEqual({ ok: true, value: 'Etc/GMT-2' });
    expect(timezone('UTC+0530')).toMatchObject({ ok: false });
    expect(addressList('127.0.0.1/8 ::1, 192.0.2.0/24 office.example.org')).toMatchObject({
      value: ['127.0.0.1/8', '::1', '192.0.2.0/24'],
      left: [{ entry: 'office.example.org' }],
    });
  });
});

describe('did you mean', () => {
  it('finds close names by edit distance and prefixes', () => {
    expect(editDistance('shd', 'sshd')).toBe(1);
    expect(editDistance('sshd', 'sdhs')).toBe(2);
    expect(closeMatches('shd', ['sshd', 'nginx-http-auth', 'postfix'])).toEqual(['sshd']);
    expect(closeMatches('nginx-http', ['nginx-http-auth', 'nginx-limit-req'])).toEqual(['nginx-http-auth']);
    expect(didYouMean('iptables-multiport', ['nftables', 'log', 'cloudflare'])).toBe('');
    expect(didYouMean('nftable', ['nftables', 'log'])).toBe(' Did you mean "nftables"?');
  });
});
