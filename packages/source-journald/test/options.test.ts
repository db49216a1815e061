import { describe, expect, it } from 'vitest';
import { checkSchema, pluginErrors, type F2bError } from '@f2b/core';
import { journalctlArgs, journaldSourceSchema, PRESETS, resolveOptions, type JournaldSourceOptions } from '../src/options.js';

const resolve = (o: JournaldSourceOptions) => resolveOptions(o, 'sshd', { name: '@f2b/source-journald', errors: pluginErrors });
const problem = (o: unknown) => checkSchema(journaldSourceSchema, o, 'jails.sshd.source');

describe('options schema', () => {
  it('accepts the documented options', () => {
    expect(
      problem({
        preset: 'sshd',
        matches: ['_SYSTEMD_UNIT=foo.service', '+', 'SYSLOG_IDENTIFIER=foo', '/usr/sbin/foo'],
        directory: '/var/log/journal/remote',
        merge: true,
        journalctlPath: '/usr/bin/journalctl',
        since: '-1h',
        cursor: 's=abc;i=1f;b=0123;m=3e8;t=6611c8bf6ed2d;x=7ccb',
        stateFile: '/var/lib/f2b/cursor',
        batchSize: 10,
        maxRecordSize: 1 << 20,
        restartDelay: 100,
        maxRestartDelay: 1000,
      }),
    ).toBeNull();
    expect(problem({ files: ['/a.journal'], user: true, system: true, namespace: 'x' })).toBeNull();
  });

  it('rejects unknown options, unknown presets and matches that could be read as options', () => {
    expect(problem({ unit: 'ssh.service' })).toMatchObject({ path: 'jails.sshd.source.unit', problem: 'is not a known option' });
    expect(problem({ preset: 'nginx' })?.path).toBe('jails.sshd.source.preset');
    expect(problem({ matches: ['--output=short'] })?.path).toBe('jails.sshd.source.matches.0');
    expect(problem({ matches: ['lowercase=x'] })?.path).toBe('jails.sshd.source.matches.0');
    expect(problem({ cursor: 'not a cursor' })?.path).toBe('jails.sshd.source.cursor');
    expect(problem({ batchSize: 0 })?.path).toBe('jails.sshd.source.batchSize');
  });
});

describe('resolveOptions', () => {
  it('rejects combinations journalctl would refuse, naming the key', () => {
    const err = (o: JournaldSourceOptions) => {
      try {
        resolve(o);
        return null;
      } catch (e) {
        return e as F2bError;
      }
    };
    expect(err({ directory: '/d', files: ['/f'] })).toMatchObject({ code: 'F2B_ERR_PLUGIN_OPTIONS', path: 'jails.sshd.source.files' });
    expect(err({ directory: '/d', user: true })?.path).toBe('jails.sshd.source.user');
    expect(err({ matches: ['+', 'A=1'] })?.path).toBe('jails.sshd.source.matches');
    expect(err({ matches: ['A=1', '+', '+', 'B=2'] })?.path).toBe('jails.sshd.source.matches');
    expect(err({ matches: ['A=1', '+'] })?.path).toBe('jails.sshd.source.matches');
    expect(err({ restartDelay: 5000, maxRestartDelay: 1000 })?.path).toBe('jails.sshd.source.maxRestartDelay');
  });

  it('the sshd preset matches the syslog identifiers, not only the unit (Debian: ssh.service)', () => {
    expect(PRESETS.sshd).toEqual([
      'SYSLOG_IDENTIFIER=sshd',
      '+',
      'SYSLOG_IDENTIFIER=sshd-session',
      '+',
      '_SYSTEMD_UNIT=ssh.service',
      '+',
      '_SYSTEMD_UNIT=sshd.service',
    ]);
    expect(resolve({ preset: 'sshd', matches: ['_COMM=sshd'] }).matches).toEqual([...PRESETS.sshd, '+', '_COMM=sshd']);
  });

  it('builds argument arrays: selection, JSON output, position, follow, then matches after --', () => {
    const o = resolve({ preset: 'sshd', directory: '/var/log/journal/remote' });
    const head = ['--directory=/var/log/journal/remote', '--merge', '--output=json', '--all'];
    const tail = ['--no-pager'];
    const args = journalctlArgs(o, { kind: 'cursor', cursor: 's=1;i=2' }, true);
    expect(args.slice(0, 4)).toEqual(head);
    expect(args[4]).toMatch(/^--output-fields=MESSAGE,SYSLOG_IDENTIFIER,/);
    expect(args.slice(5)).toEqual([...tail, '--cursor=s=1;i=2', '--follow', '--', ...PRESETS.sshd]);
    expect(journalctlArgs(o, { kind: 'tail' }, false).slice(5, 7)).toEqual([...tail, '--lines=1']);
    expect(journalctlArgs(o, { kind: 'head', since: '@1' }, true).slice(5, 8)).toEqual([...tail, '--no-tail', '--follow']);
    expect(journalctlArgs(o, { kind: 'head', since: '@1' }, false).slice(5, 7)).toEqual([...tail, '--']);
    expect(journalctlArgs(o, { kind: 'since', since: 'yesterday' }, false)[6]).toBe('--since=yesterday');
  });

  it('merges by default only for directories and files; namespace, user and system pass through', () => {
    expect(resolve({}).baseArgs).not.toContain('--merge');
    expect(resolve({ merge: true }).baseArgs).toContain('--merge');
    expect(resolve({ directory: '/d', merge: false }).baseArgs).not.toContain('--merge');
    expect(resolve({ files: ['/a.journal', '/b/*.journal'] }).baseArgs.slice(0, 3)).toEqual(['--file=/a.journal', '--file=/b/*.journal', '--merge']);
    expect(resolve({ namespace: 'web', user: true, system: true }).baseArgs.slice(0, 3)).toEqual(['--namespace=web', '--system', '--user']);
    expect(journalctlArgs(resolve({}), { kind: 'tail' }, false)).not.toContain('--');
  });

  it('defaults', () => {
    expect(resolve({})).toMatchObject({ journalctlPath: 'journalctl', batchSize: 1000, restartDelay: 1000, maxRestartDelay: 30_000 });
    expect(resolve({ restartDelay: 60_000 }).maxRestartDelay).toBe(60_000);
  });
});
