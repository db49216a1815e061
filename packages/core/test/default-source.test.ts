/**
 * Jails without `source`: the log path their filter's package declares for this distribution, the
 * journal when none exists, or an error naming every path tried. Each distribution is laid out in a
 * temp dir (its os-release, its logs, journald's socket directory) given as the chooser's root.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DefaultSources } from '../src/config/default-source.js';
import { distroOf, parseOsRelease } from '../src/config/os-release.js';
import { resolveConfig } from '../src/config.js';
import { discoverPlugins, searchDirs, type DiscoveredPackage } from '../src/resolve.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const base = mkdtempSync(join(tmpdir(), 'f2b-default-source-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A machine: its os-release, the files that exist, whether journald runs. */
function machine(name: string, osRelease: string | null, files: string[], journal = false): string {
  const root = join(base, name);
  mkdirSync(root);
  if (osRelease !== null) {
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/os-release'), osRelease);
  }
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  if (journal) mkdirSync(join(root, 'run/systemd/journal'), { recursive: true });
  return root;
}

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n';
const ARCH = 'NAME="Arch Linux"\nID=arch\nBUILD_ID=rolling\n';

const pkg = (name: string, kind: DiscoveredPackage['kind'], provides: string[], logs?: unknown): DiscoveredPackage => ({
  name,
  version: '1.0.0',
  dir: '/nonexistent',
  kind,
  provides,
  ...(logs !== undefined ? { logs } : {}),
});
const SSHD_LOGS = {
  sshd: {
    debian: ['/var/log/auth.log'],
    rhel: ['/var/log/secure'],
    arch: ['/var/log/auth.log'],
    journalmatch: ['SYSLOG_IDENTIFIER=sshd', '+', '_SYSTEMD_UNIT=sshd.service'],
  },
};
const sshd = pkg('@f2b/filter-sshd', 'filter', ['sshd'], SSHD_LOGS);
const journald = pkg('@f2b/source-journald', 'source', ['journald']);
const chooser = (root: string, packages: DiscoveredPackage[] = [sshd, journald]) => new DefaultSources({ root, packages: () => packages });

describe('os-release', () => {
  it('reads quoted values and maps ID, then ID_LIKE, to a family', () => {
    expect(distroOf(parseOsRelease(ROCKY))).toEqual({ id: 'rocky', family: 'rhel' });
    expect(distroOf(parseOsRelease('ID=ubuntu\nID_LIKE=debian\n'))).toEqual({ id: 'ubuntu', family: 'debian' });
    expect(distroOf(parseOsRelease('ID=fedora\n'))).toEqual({ id: 'fedora', family: 'rhel' });
    expect(distroOf(parseOsRelease('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n'))).toEqual({ id: 'opensuse-tumbleweed', family: 'suse' });
    expect(distroOf(parseOsRelease("ID='manjaro'\nID_LIKE=arch\n"))).toEqual({ id: 'manjaro', family: 'arch' });
    expect(distroOf(parseOsRelease('ID=plan9\n'))).toEqual({ id: 'plan9' });
  });
});

describe('the default source of a jail without one', () => {
  it('Debian: the first declared path that exists', () => {
    const c = chooser(machine('debian', DEBIAN, ['/var/log/auth.log', '/var/log/secure'])).choose('sshd', 'sshd', false);
    expect(c).toEqual({ source: { type: 'file', options: { paths: ['/var/log/auth.log'] } }, reason: 'default for sshd on debian: /var/log/auth.log exists' });
  });

  it('RHEL family (Rocky, by ID_LIKE): /var/log/secure, not the Debian path', () => {
    const c = chooser(machine('rocky', ROCKY, ['/var/log/secure', '/var/log/auth.log'])).choose('sshd', 'sshd', false);
    expect(c.source.options).toEqual({ paths: ['/var/log/secure'] });
    expect(c.reason).toBe('default for sshd on rocky (rhel): /var/log/secure exists');
  });

  it("Arch without syslog: the journal, with the service's matches", () => {
    const c = chooser(machine('arch', ARCH, [], true)).choose('sshd', 'sshd', false);
    expect(c.source).toEqual({ type: 'journald', options: { matches: ['SYSLOG_IDENTIFIER=sshd', '+', '_SYSTEMD_UNIT=sshd.service'] } });
    expect(c.reason).toBe(
      'default for sshd on arch: none of /var/log/auth.log exists; the systemd journal (SYSLOG_IDENTIFIER=sshd + _SYSTEMD_UNIT=sshd.service)',
    );
  });

  it('the journal needs the journald source: the error names the package to install', () => {
    const err = thrown(() => chooser(machine('arch-nojournald', ARCH, [], true), [sshd]).choose('sshd', 'sshd', false));
    expect(err.code).toBe('F2B_ERR_SOURCE_JOURNALD_MISSING');
    expect(err.path).toBe('jails.sshd.source');
    expect(err.fix).toContain('npm i @f2b/source-journald');
  });

  it('nothing there: an error with every path tried and how to set source; a jail that may wait waits for the first', () => {
    const root = machine('bare', DEBIAN, []);
    const err = thrown(() => chooser(root).choose('sshd', 'sshd', false));
    expect(err.code).toBe('F2B_ERR_SOURCE_NOT_FOUND');
    expect(err.message).toBe(
      'The jail "sshd" names no source, and none of the logs "sshd" writes on debian exists (tried /var/log/auth.log); there is no systemd journal (/run/systemd/journal does not exist).',
    );
    expect(err.fix).toContain('source: /path/to/log');
    expect(chooser(root).choose('sshd', 'sshd', true)).toEqual({
      source: { type: 'file', options: { paths: ['/var/log/auth.log'] } },
      reason: 'default for sshd on debian: none of /var/log/auth.log exists; waits for /var/log/auth.log',
    });
  });

  it("an unknown distribution tries every family's paths; globs match files; `default` applies to every family", () => {
    const web = pkg('@f2b/filter-web', 'filter', ['web'], { web: { rhel: ['/var/log/httpd/*error_log'], default: ['/var/log/web/*.log'] } });
    const c = chooser(machine('unknown', null, ['/var/log/httpd/site-error_log']), [web]).choose('w', 'web', false);
    expect(c).toEqual({
      source: { type: 'file', options: { paths: ['/var/log/httpd/*error_log'] } },
      reason: 'default for web on an unknown distribution: /var/log/httpd/*error_log matches a file',
    });
    expect(chooser(machine('debian-web', DEBIAN, ['/var/log/web/a.log']), [web]).choose('w', 'web', false).source.options).toEqual({
      paths: ['/var/log/web/*.log'],
    });
  });

  it('a filter that declares nothing, malformed data, a filter nobody provides: errors that say so', () => {
    const root = machine('errors', DEBIAN, []);
    const silent = pkg('f2b-filter-silent', 'filter', ['silent']);
    expect(thrown(() => chooser(root, [silent]).choose('s', 'silent', false)).code).toBe('F2B_ERR_SOURCE_UNKNOWN');
    const bad = pkg('f2b-filter-bad', 'filter', ['bad'], { bad: { debian: ['relative/path.log'] } });
    const e = thrown(() => chooser(root, [bad]).choose('b', 'bad', false));
    expect(e.code).toBe('F2B_ERR_PLUGIN_INVALID');
    expect(e.message).toContain('"f2b.logs.bad".debian has "relative/path.log"');
    expect(thrown(() => chooser(root, [sshd]).choose('x', 'nginx-http-auth', false)).code).toBe('F2B_ERR_FILTER_NOT_FOUND');
  });

  it('reads the shipped manifests: sshd on Debian and on RHEL', () => {
    const packages = discoverPlugins(searchDirs([resolve(import.meta.dirname, '..')]));
    const on = (root: string) => new DefaultSources({ root, packages: () => packages }).choose('sshd', 'sshd', false).source.options;
    expect(on(machine('real-debian', DEBIAN, ['/var/log/auth.log']))).toEqual({ paths: ['/var/log/auth.log'] });
    expect(on(machine('real-rocky', ROCKY, ['/var/log/secure']))).toEqual({ paths: ['/var/log/secure'] });
  });
});

describe('resolveConfig with jails that name no source', () => {
  it('fills in the chosen source and its reason; a jail that is off gets none', () => {
    const defaultSources = chooser(machine('config', DEBIAN, ['/var/log/auth.log']));
    const r = resolveConfig({ jails: { sshd: {}, other: { enabled: false, filter: 'sshd' }, given: { source: '/x.log', filter: 'sshd' } } }, undefined, {
      defaultSources,
    });
    expect(r.jails[0]).toMatchObject({
      sources: [{ type: 'file', options: { paths: ['/var/log/auth.log'] } }],
      sourceReason: 'default for sshd on debian: /var/log/auth.log exists',
    });
    expect(r.jails[1]).toMatchObject({ enabled: false, sources: [] });
    expect(r.jails[1]!.sourceReason).toBeUndefined();
    expect(r.jails[2]!.sourceReason).toBeUndefined();
  });

  it('errors name the config file', () => {
    const defaultSources = chooser(machine('config-bare', DEBIAN, []));
    const err = thrown(() => resolveConfig({ jails: { sshd: {} } }, '/etc/f2b/f2b.config.yaml', { defaultSources }));
    expect(err).toMatchObject({ code: 'F2B_ERR_SOURCE_NOT_FOUND', file: '/etc/f2b/f2b.config.yaml', path: 'jails.sshd.source' });
  });
});
