/**
 * `f2b import fail2ban` run as users run it, on copies of Debian's real fail2ban configuration (the
 * installed `fail2ban` package's /etc/fail2ban) plus jail.local files written here: the dry summary,
 * --print, --write (never over an existing file without --force), exit codes, and the imported
 * config passing `f2b config check`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { f2b, tempDir } from './helpers.js';

const ETC = '/etc/fail2ban';
const have = existsSync(join(ETC, 'jail.conf'));
if (!have) console.log(`skipping the fail2ban import e2e: ${ETC}/jail.conf is missing (apt-get install fail2ban)`);

const tmp = tempDir('f2b-import-e2e-');
afterAll(() => tmp.cleanup());

function debianCopy(name: string, jailLocal?: string): string {
  const root = join(tmp.dir, name);
  mkdirSync(join(root, 'jail.d'), { recursive: true });
  mkdirSync(join(root, 'filter.d'), { recursive: true });
  for (const f of readdirSync(ETC)) if (/^(?:jail|paths-.*)\.conf$/.test(f)) copyFileSync(join(ETC, f), join(root, f));
  for (const f of readdirSync(join(ETC, 'jail.d'))) copyFileSync(join(ETC, 'jail.d', f), join(root, 'jail.d', f));
  for (const f of readdirSync(join(ETC, 'filter.d'))) if (f.endsWith('.conf')) copyFileSync(join(ETC, 'filter.d', f), join(root, 'filter.d', f));
  if (jailLocal !== undefined) writeFileSync(join(root, 'jail.local'), jailLocal);
  return root;
}

describe.skipIf(!have)('f2b import fail2ban', () => {
  const log = join(tmp.dir, 'service.log');
  writeFileSync(log, '');
  const typical = debianCopy(
    'typical',
    [
      '[DEFAULT]',
      'bantime = 1h',
      'findtime = 10m',
      'maxretry = 5',
      'ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24',
      'banaction = nftables-multiport',
      'banaction_allports = nftables-allports',
      '[sshd]',
      'enabled = true',
      `logpath = ${log}`,
      'maxretry = 3',
      '[nginx-http-auth]',
      'enabled = true',
      `logpath = ${log}`,
      '[recidive]',
      'enabled = true',
      '',
    ].join('\n'),
  );

  it('prints a dry summary of the stock tree and exits 0: everything enabled was imported', () => {
    const r = f2b(['import', 'fail2ban', debianCopy('stock')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Jails: 1 imported \(sshd\); \d+ not enabled in fail2ban \(not imported\)\.$/m);
    expect(r.stdout).toContain('  sshd: filter sshd; source /var/log/auth.log;');
    expect(r.stdout).toContain('Dry run: nothing written.');
  });

  it('writes a typical jail.local as a config that `f2b config check` accepts, and never overwrites it unasked', () => {
    const out = join(tmp.dir, 'f2b.config.yaml');
    const r = f2b(['import', 'fail2ban', typical, '--write', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote ${out}. Check it with: f2b config check -c ${out}`);
    const config = parse(readFileSync(out, 'utf8'));
    expect(config).toMatchObject({
      defaults: { bantime: '1h', findtime: '10m', maxretry: 5, ignoreip: ['127.0.0.1/8', '::1', '192.0.2.0/24'], actions: [{ type: 'nftables' }] },
      recidive: { maxbans: 5, findtime: '1d', bantime: '1w' },
      jails: {
        sshd: { filter: 'sshd', source: log, maxretry: 3, port: ['ssh'] },
        'nginx-http-auth': { filter: 'nginx-http-auth', source: log, port: ['http', 'https'] },
      },
    });
    expect(r.stdout).toContain('  every jail (defaults): actions [{ type: nftables }]');
    // The check loads everything `f2b start` would (filters, the nftables action), on a memory store.
    const check = join(tmp.dir, 'check.yaml');
    writeFileSync(check, 'extends: ./f2b.config.yaml\nstate: { type: memory }\nsocket: false\n');
    const c = f2b(['config', 'check', '-c', check]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('2 jail(s) on: sshd, nginx-http-auth');

    const again = f2b(['import', 'fail2ban', typical, '--write', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`F2B_ERR_FILE_EXISTS: ${out}: The file "${out}" exists; it is not overwritten.`);
    writeFileSync(out, 'old');
    expect(f2b(['import', 'fail2ban', typical, '--write', out, '--force']).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('# f2b config imported from fail2ban');
  });

  it('prints the YAML with --print (report on stderr) and exits 1 when something has no equivalent', () => {
    const root = debianCopy('lossy', `[DEFAULT]\naction = %(action_)s\n         abuseipdb\n[sshd]\nenabled = true\nlogpath = ${log}\n`);
    const r = f2b(['import', 'fail2ban', root, '--print']);
    expect(r.code).toBe(1);
    expect(parse(r.stdout).jails.sshd).toMatchObject({ source: log, port: ['ssh'] });
    expect(parse(r.stdout).defaults.actions).toEqual([{ type: 'nftables' }]);
    expect(r.stdout).toContain('#   jail.local:2: [DEFAULT] action: abuseipdb: reports or acts outside the firewall; f2b has no equivalent action');
    expect(r.stderr).toContain(
      'Not imported (1):\n  jail.local:2: [DEFAULT] action: abuseipdb: reports or acts outside the firewall; f2b has no equivalent action\n    Fix: ',
    );
  });

  it('exits 2 naming the path for a directory that does not exist or holds no jail configuration', () => {
    const missing = join(tmp.dir, 'nope');
    const r = f2b(['import', 'fail2ban', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`F2B_ERR_FILE: ${missing}: The file "${missing}" does not exist.`);
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const e = f2b(['import', 'fail2ban', empty]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(`F2B_ERR_IMPORT_SOURCE: ${empty}: "${empty}" cannot be imported: it holds no jail.conf, jail.local or jail.d/*.conf.`);
  });
});
