/**
 * The mapping of `f2b import fail2ban` on Debian's real fail2ban configuration (a copy of
 * /etc/fail2ban's jail.conf and paths files, from the installed `fail2ban` package) plus jail.local
 * and jail.d files written here: defaults, jails, sources, actions, recidive, and the notes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { importFail2ban } from '../src/import/fail2ban/importer.js';
import { renderYaml } from '../src/import/fail2ban/render.js';
import { KnownIds, type KnownId } from '../src/known-ids.js';
import { CATALOGUE } from '../../core/src/catalogue.js';

const ETC = '/etc/fail2ban';
const haveFail2ban = existsSync(join(ETC, 'jail.conf'));
if (!haveFail2ban) console.log(`skipping the fail2ban import tests: ${ETC}/jail.conf is missing (apt-get install fail2ban)`);

const tmp = mkdtempSync(join(tmpdir(), 'f2b-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Installed: the catalogue's ids, with sshd's and postfix's modes; nginx's package "not installed". */
const known = KnownIds.of(
  CATALOGUE.flatMap((p) =>
    p.ids.map((id): KnownId => ({
      id,
      kind: p.kind,
      package: p.name,
      installed: p.name !== '@f2b/filter-nginx',
      ...(id === 'sshd'
        ? { modes: ['normal', 'ddos', 'extra', 'aggressive'] }
        : id === 'postfix'
          ? { modes: ['more', 'normal', 'rbl', 'auth', 'errors', 'ddos', 'aggressive'] }
          : {}),
    })),
  ),
);

/** A copy of Debian's shipped tree (jail.conf, paths-*.conf, jail.d, filter.d) plus `files`. */
function debianTree(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'jail.d'), { recursive: true });
  mkdirSync(join(root, 'filter.d'), { recursive: true });
  for (const f of readdirSync(ETC)) if (/^(?:jail|paths-.*)\.conf$/.test(f)) copyFileSync(join(ETC, f), join(root, f));
  for (const f of readdirSync(join(ETC, 'jail.d'))) copyFileSync(join(ETC, 'jail.d', f), join(root, 'jail.d', f));
  for (const f of readdirSync(join(ETC, 'filter.d'))) if (f.endsWith('.conf')) copyFileSync(join(ETC, 'filter.d', f), join(root, 'filter.d', f));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(root, f), text);
  return root;
}

describe.skipIf(!haveFail2ban)("f2b import fail2ban on Debian's configuration", () => {
  it('imports the stock tree: the sshd jail Debian enables, on its log, banned with nftables (defaults.actions) on port ssh', () => {
    const root = debianTree('stock', {});
    const r = importFail2ban(root, known);
    expect(r.files.map((f) => f.slice(root.length + 1))).toEqual(['paths-common.conf', 'paths-debian.conf', 'jail.conf', 'jail.d/defaults-debian.conf']);
    expect(r.config.defaults).toEqual({ bantime: '10m', findtime: '10m', maxretry: 5, usedns: 'warn', actions: [{ type: 'nftables' }] });
    expect(r.config.jails.sshd).toMatchObject({ filter: 'sshd', source: '/var/log/auth.log', port: ['ssh'] });
    expect(r.config.jails.sshd!.actions).toBeUndefined();
    expect(Object.keys(r.config.jails)).toEqual(['sshd']);
    expect(r.notEnabled.length).toBeGreaterThan(80);
    expect(r.notes.filter((n) => n.level === 'unmapped')).toEqual([]);
  });

  it('imports a typical jail.local: [DEFAULT] overrides, banaction, ports, modes, the journal, recidive', () => {
    const log = join(tmp, 'typical-nginx-error.log');
    writeFileSync(log, '');
    const root = debianTree('typical', {
      'jail.local': [
        '[DEFAULT]',
        'bantime  = 1h',
        'findtime = 20m',
        'maxretry = 4',
        'ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24,198.51.100.7',
        'banaction = nftables-multiport',
        'banaction_allports = nftables-allports',
        'bantime.increment = true',
        'bantime.maxtime = 1mo',
        '',
        '[sshd]',
        'enabled = true',
        'port = ssh,2222',
        'mode = aggressive',
        'backend = systemd',
        'maxretry = 3',
        '',
        '[nginx-http-auth]',
        'enabled = true',
        `logpath = ${log}`,
        '',
        '[recidive]',
        'enabled = true',
        'bantime = 1y',
        '',
      ].join('\n'),
      'jail.d/postfix.local': `[postfix-sasl]\nenabled = true\nlogpath = ${log}\nbantime = 2d\n`,
    });
    const r = importFail2ban(root, known);
    expect(r.config.defaults).toEqual({
      bantime: '1h',
      findtime: '20m',
      maxretry: 4,
      ignoreip: ['127.0.0.1/8', '::1', '192.0.2.0/24', '198.51.100.7'],
      usedns: 'warn',
      bantimeIncrement: { enabled: true, maxtime: '1mo' },
      // banaction once, the ports per jail (fail2ban's shape): no action list repeated per jail.
      actions: [{ type: 'nftables' }],
    });
    expect(r.config.jails.sshd).toEqual({
      filter: { id: 'sshd', mode: 'aggressive' },
      source: { type: 'journald', preset: 'sshd' },
      port: ['ssh', 2222],
      maxretry: 3,
      ...(r.config.jails.sshd!.waitForLog ? { waitForLog: true } : {}),
    });
    expect(r.config.jails['nginx-http-auth']).toEqual({ filter: 'nginx-http-auth', source: log, port: ['http', 'https'] });
    expect(r.config.jails['postfix-sasl']).toEqual({
      filter: { id: 'postfix', mode: 'auth' },
      source: log,
      bantime: '2d',
      port: ['smtp', 465, 'submission', 'imap', 'imaps', 'pop3', 'pop3s'],
    });
    expect(r.config.recidive).toEqual({ maxbans: 4, findtime: '1d', bantime: '1y' }); // the defaults' actions

    // Where each value came from, as comments; the YAML reads back as the same config.
    const yaml = renderYaml(r);
    expect(yaml).toMatch(/^ {4}maxretry: 3 +# fail2ban: maxretry \(jail\.local:16\)$/m);
    expect(yaml).toMatch(/^ {2}actions: .*# fail2ban: action \(jail\.conf:\d+\), action_ \(jail\.conf:\d+\), banaction \(jail\.local:6\)/m);
    expect(yaml).toMatch(/^ {4}port: \[ssh, 2222\] +# fail2ban: port \(jail\.local:13\)$/m);
    expect(parse(yaml)).toEqual(JSON.parse(JSON.stringify(r.config)));
    // Checks, not losses: nginx's package is not installed here, bantime.increment has a cap now.
    expect(r.notes.filter((n) => n.level === 'unmapped')).toEqual([]);
    expect(r.notes.map((n) => `${n.where} [${n.section}] ${n.key}`)).toContain('jail.conf:167 [nginx-http-auth] filter');
    expect(r.notes.find((n) => n.key === 'filter')).toMatchObject({
      level: 'warning',
      problem: expect.stringContaining('@f2b/filter-nginx, which is not installed'),
      fix: expect.stringContaining('npm i @f2b/filter-nginx'),
    });
  });

  it('reports what has no equivalent, with file:line, and imports jails without a filter disabled', () => {
    const log = join(tmp, 'lossy.log');
    writeFileSync(log, '');
    const root = debianTree('lossy', {
      'jail.local': [
        '[DEFAULT]',
        'ignoreip = 192.0.2.0/24 office.example.org',
        'action = %(action_mwl)s',
        'usedns = raw',
        '[sshd]',
        'enabled = true',
        'filter = shd',
        `logpath = ${log}`,
        'ignorecommand = /usr/local/bin/is-friend <ip>',
        '[apache-fakegooglebot]',
        'enabled = true',
        `logpath = ${log}`,
        'failregex = ^<HOST> -.*evil',
        '[nsd]',
        'enabled = true',
        `logpath = ${log}`,
        'logtimezone = UTC+0530',
        'mytag = x',
      ].join('\n'),
    });
    const r = importFail2ban(root, known);
    const notes = r.notes.filter((n) => n.level === 'unmapped').map((n) => `${n.where} [${n.section}] ${n.key}: ${n.problem}`);
    expect(notes).toEqual(
      expect.arrayContaining([
        'jail.local:2 [DEFAULT] ignoreip: "office.example.org" is a host name; f2b matches addresses and ranges only (a name would be resolved by DNS, which an attacker may control)',
        'jail.local:4 [DEFAULT] usedns: "raw" (ids that are not addresses) has no equivalent in f2b, which bans addresses only',
        'jail.local:7 [sshd] filter: names the fail2ban filter "shd", which no f2b filter package provides. Did you mean "sshd"?',
        'jail.local:9 [sshd] ignorecommand: runs a command to decide whom not to ban; f2b runs no such command',
        'jail.local:13 [apache-fakegooglebot] failregex: adds patterns to the jail; f2b jails take patterns only from their filter',
        'jail.local:17 [nsd] logtimezone: "UTC+0530" is not an offset f2b can name as a time zone',
        'jail.local:18 [nsd] mytag: is set but no imported setting uses it',
      ]),
    );
    // A jail whose filter f2b lacks is kept, off, so the config stays loadable.
    // action_mwl: the firewall, and mail with whois and the lines (through the local sendmail).
    expect(r.config.jails.sshd).toMatchObject({ enabled: false, source: log, port: ['ssh'] });
    expect(r.config.defaults).toMatchObject({
      ignoreip: ['192.0.2.0/24'],
      usedns: 'no',
      actions: [{ type: 'nftables' }, { type: 'mail', to: 'root@localhost', transport: 'sendmail', whois: 'local' }],
    });
  });

  it('imports a custom action whose commands are plain argv as an exec action, and reports one that needs a shell', () => {
    const log = join(tmp, 'custom.log');
    writeFileSync(log, '');
    const root = debianTree('custom', {
      'jail.local': ['[DEFAULT]', 'action = %(action_)s', '         blocker', '         piped', '[sshd]', 'enabled = true', `logpath = ${log}`].join('\n'),
    });
    mkdirSync(join(root, 'action.d'));
    writeFileSync(
      join(root, 'action.d', 'blocker.conf'),
      ['[Definition]', 'actionban = /usr/local/sbin/block --jail <name> <ip> <bantime>', 'actionunban = /usr/local/sbin/unblock <ip>'].join('\n'),
    );
    writeFileSync(join(root, 'action.d', 'piped.conf'), ['[Definition]', 'actionban = echo <ip> | logger -t f2b'].join('\n'));
    const r = importFail2ban(root, known);
    expect(r.config.jails.sshd?.port).toEqual(['ssh']);
    expect(r.config.defaults?.actions).toEqual([
      { type: 'nftables' },
      { type: 'exec', ban: ['/usr/local/sbin/block', '--jail', '{jail}', '{ip}', '{bantime}'], unban: ['/usr/local/sbin/unblock', '{ip}'] },
    ]);
    const notes = r.notes.filter((n) => n.level === 'unmapped').map((n) => `${n.key}: ${n.problem}`);
    expect(notes).toContain('action: piped: actionban needs a shell (pipes, redirections, quotes, variables or several commands)');
    expect(notes.some((n) => n.includes('blocker'))).toBe(false);
    expect(r.notes.find((n) => n.problem.startsWith('blocker:'))).toMatchObject({
      level: 'warning',
      problem: 'blocker: was imported as an exec action running its commands (argv, no shell)',
    });
  });

  it('keeps the actions per jail when the jails do not share them (an action of its own, two sets of ports)', () => {
    const log = join(tmp, 'own.log');
    writeFileSync(log, '');
    const root = debianTree('own-actions', {
      'jail.local': [
        '[DEFAULT]',
        'banaction = nftables-multiport',
        '[sshd]',
        'enabled = true',
        `logpath = ${log}`,
        '[nginx-http-auth]',
        'enabled = true',
        `logpath = ${log}`,
        'action = route[blocktype=blackhole]',
      ].join('\n'),
    });
    const r = importFail2ban(root, known);
    expect(r.config.defaults?.actions).toBeUndefined();
    expect(r.config.jails.sshd).toMatchObject({ actions: [{ type: 'nftables', ports: ['ssh'] }] });
    expect(r.config.jails.sshd!.port).toBeUndefined();
    expect(r.config.jails['nginx-http-auth']).toMatchObject({ actions: [{ type: 'route', blocktype: 'blackhole' }] });
  });
});
