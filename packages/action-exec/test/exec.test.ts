/**
 * `@f2b/action-exec` on real programs: small /bin/sh scripts written at test time record the argv,
 * environment and stdin they get. f2b itself never builds a shell string: the scripts are programs
 * like any other.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { ActionTester } from '@f2b/core/testing';
import execAction from '../src/index.js';
import { alive, calls, recordArgs, scratch, type Scratch } from './helpers.js';

let s: Scratch;
beforeEach(() => {
  s = scratch();
});
afterEach(() => {
  s.cleanup();
});

const tester = (options: Record<string, unknown>, jail = 'sshd') => new ActionTester({ plugin: execAction(), type: 'exec', jail, options });

describe('@f2b/action-exec: placeholders and argument boundaries', () => {
  it('passes each value as (part of) its own argument, validated and normalised', async () => {
    const prog = s.script('record', recordArgs(s.path('calls')));
    const t = tester({ ban: [prog, '--ip', '{ip}', '--note=banned {ip} in {jail}', '{bantime}', '{failures}', '{rule}', '{family}', '{end}', '{{ip}}'] });
    const start = Date.parse('2026-12-07T10:00:00Z');
    await t.instance.ban([
      { ...t.ban('2001:DB8:0:0::0001', { start, bantime: 3600 }), rule: 'failed-password' },
      { ...t.ban('198.51.100.77/24', { start, bantime: -1 }) },
    ]);
    expect(calls(s.read('calls'))).toEqual([
      ['--ip', '2001:db8::1', '--note=banned 2001:db8::1 in sshd', '3600', '5', 'failed-password', 'inet6', '2026-12-07T11:00:00.000Z', '{ip}'],
      ['--ip', '198.51.100.0/24', '--note=banned 198.51.100.0/24 in sshd', '-1', '5', 'test', 'inet4', 'never', '{ip}'],
    ]);
  });

  it('never runs the program for a ban id that is not an address: nothing can be injected', async () => {
    const prog = s.script('record', recordArgs(s.path('calls')));
    const t = tester({ ban: [prog, '{ip}'] });
    const hostile = ['192.0.2.1; touch /tmp/pwned', '$(id)', '192.0.2.1 --flag', '-rf', '192.0.2.1\n198.51.100.1', '{ip}'];
    await t.instance.ban(hostile.map((id) => t.ban(id)));
    expect(s.exists('calls')).toBe(false);
    expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(hostile.map(() => 'F2B_ERR_EXEC_VALUE'));
    // The refused value is quoted escaped in the message.
    expect((t.errors[4] as Error).message).toContain('192.0.2.1\\n198.51.100.1');
    // A rule id that is not a rule id is refused the same way; an honest one in the same batch runs.
    await t.instance.ban([{ ...t.ban('192.0.2.10'), rule: 'x {ip} y' }, t.ban('192.0.2.11')]);
    expect(calls(s.read('calls'))).toEqual([['192.0.2.11']]);
  });

  it('unban has {ip}, {jail}, {family} and {reason}', async () => {
    const prog = s.script('record', recordArgs(s.path('calls')));
    const t = tester({ unban: [prog, 'del', '{ip}', '{jail}', '{family}', '{reason}'] }, 'nginx-http-auth');
    await t.applyUnbans('203.0.113.9');
    expect(calls(s.read('calls'))).toEqual([['del', '203.0.113.9', 'nginx-http-auth', 'inet4', 'expired']]);
  });
});

describe('@f2b/action-exec: options are checked at load', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };

  it('refuses shell strings, relative programs and placeholders a command does not have', () => {
    const prog = s.script('p', 'exit 0');
    expect(code(() => tester({ command: 'iptables -I f2b 1 -s <ip> -j DROP' }))).toMatch(/F2B_ERR_EXEC_OPTIONS: .*never runs a shell string/);
    expect(code(() => tester({ ban: 'iptables -s <ip>' }))).toMatch(/F2B_ERR_PLUGIN_OPTIONS|must be array/);
    expect(code(() => tester({ ban: ['iptables', '{ip}'] }))).toMatch(/F2B_ERR_EXEC_OPTIONS: The option "ban.0" .*not an absolute path/);
    expect(code(() => tester({ ban: [prog, '{ips}'] }))).toMatch(/"ban.1" .*\{ips\}, which this command does not have/);
    expect(code(() => tester({ ban: [prog, '{host}'] }))).toMatch(/unknown placeholder \{host\}/);
    expect(code(() => tester({ ban: [prog, '{ip'] }))).toMatch(/starts no placeholder/);
    expect(code(() => tester({ unban: [prog, '{bantime}'] }))).toMatch(/"unban.1" .*does not have/);
    expect(code(() => tester({ batch: 'stdin', ban: [prog, '{ip}'] }))).toMatch(/does not have/);
    expect(code(() => tester({ batch: 'file', ban: [prog] }))).toMatch(/does not pass \{ips\}/);
    expect(code(() => tester({ start: [prog] }))).toMatch(/ban.*is missing/);
    expect(code(() => tester({ ban: [s.path('missing')] }))).toMatch(/F2B_ERR_EXEC_PROGRAM: .*cannot be found \(ENOENT\)/);
  });
});

describe('@f2b/action-exec: exit codes, output, timeout', () => {
  it('a failing exit is an error with the escaped, capped output; the retry runs only what failed', async () => {
    const prog = s.script(
      'flaky',
      [
        recordArgs(s.path('calls')),
        `if [ "$1" = 198.51.100.2 ] && [ ! -e '${s.path('fixed')}' ]; then printf '\\033[31mno route\\n' >&2; head -c 100000 /dev/zero | tr '\\0' x >&2; exit 3; fi`,
      ].join('\n'),
    );
    const t = tester({ ban: [prog, '{ip}'], maxOutput: 256 });
    const bans = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((id) => t.ban(id));
    const err = await t.instance.ban(bans).then(
      () => null,
      (e: unknown) => e as Error & { code: string; fix: string },
    );
    expect(err?.code).toBe('F2B_ERR_EXEC_FAILED');
    expect(err!.message).toContain('exited with 3: \\x1b[31mno route\\x0a');
    expect(err!.message).not.toContain('\x1b');
    expect(err!.message.length).toBeLessThan(700);
    expect(err!.fix).toMatch(/outbox/);
    markFixed(s);
    // The jail retries the whole batch; only the failed call runs again.
    await t.instance.ban(bans);
    expect(calls(s.read('calls')).map((c) => c[0])).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.2']);
  });

  it('okExitCodes accepts other codes', async () => {
    const prog = s.script('exists', 'echo "already there" >&2; exit 1');
    const t = tester({ ban: [prog, '{ip}'], okExitCodes: [0, 1] });
    await t.applyBans('192.0.2.20');
    expect(t.logger.records.some((r) => r.level === 'debug' && /exit 1 \(stderr: already there\)/.test(r.msg))).toBe(true);
  });

  it('kills the whole process group at the timeout', async () => {
    const prog = s.script('hang', `sleep 60 & echo $! > '${s.path('child')}'; echo $$ > '${s.path('self')}'; wait`);
    const t = tester({ ban: [prog, '{ip}'], timeoutMs: 300 });
    const err = await t.applyBans('192.0.2.30').then(
      () => null,
      (e: unknown) => e as { code: string },
    );
    expect(err?.code).toBe('F2B_ERR_EXEC_TIMEOUT');
    for (const f of ['self', 'child']) {
      const pid = Number(s.read(f).trim());
      await until(() => !alive(pid), `${f} (${pid}) to be gone`);
    }
  });
});

describe('@f2b/action-exec: environment and lifecycle', () => {
  it('passes only PATH, the listed variables, setEnv and F2B_ACTION/F2B_JAIL', async () => {
    process.env.F2B_EXEC_TEST_SECRET = 'do-not-leak';
    process.env.F2B_EXEC_TEST_PASSED = 'passed-on';
    try {
      const prog = s.script('env', `/usr/bin/env > '${s.path('env')}'`);
      const t = tester({ ban: [prog], env: ['F2B_EXEC_TEST_PASSED', 'F2B_EXEC_TEST_UNSET'], setEnv: { SITE: 'web-1' } });
      await t.applyBans('192.0.2.40');
      const env = Object.fromEntries(
        s
          .read('env')
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      // /bin/sh may add PWD, SHLVL and _ of its own; nothing else of the daemon's comes through.
      for (const k of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete env[k];
      expect(env).toEqual({
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        F2B_EXEC_TEST_PASSED: 'passed-on',
        SITE: 'web-1',
        F2B_ACTION: 'ban',
        F2B_JAIL: 'sshd',
      });
    } finally {
      delete process.env.F2B_EXEC_TEST_SECRET;
      delete process.env.F2B_EXEC_TEST_PASSED;
    }
  });

  it('runs start, check (start again when it fails) and stop', async () => {
    const log = s.path('log');
    const start = s.script('start', `echo start >> '${log}'; touch '${s.path('ready')}'`);
    const check = s.script('check', `echo check >> '${log}'; [ -e '${s.path('ready')}' ]`);
    const ban = s.script('ban', `echo "ban $1" >> '${log}'`);
    const stop = s.script('stop', `echo "stop $1" >> '${log}'; rm -f '${s.path('ready')}'`);
    const t = tester({ start: [start], check: [check], ban: [ban, '{ip}'], stop: [stop, '{jail}'] });
    await t.start();
    await t.applyBans('192.0.2.50');
    await t.stop();
    await t.applyBans('192.0.2.51'); // not started: start runs first
    expect(s.read('log').trim().split('\n')).toEqual(['start', 'check', 'ban 192.0.2.50', 'stop sshd', 'start', 'check', 'ban 192.0.2.51']);
    // Someone removed what start made: check fails, start runs again, then the ban.
    rmSync(s.path('ready'));
    await t.applyBans('192.0.2.52');
    expect(s.read('log').trim().split('\n').slice(7)).toEqual(['check', 'start', 'check', 'ban 192.0.2.52']);
    expect(t.logger.records.some((r) => r.level === 'warn' && /check command failed/.test(r.msg))).toBe(true);
  });
});

describe('@f2b/action-exec: batching', () => {
  it('stdin: one call per batch, one address a line, {count}', async () => {
    const prog = s.script('batch', `${recordArgs(s.path('calls'))}; cat >> '${s.path('stdin')}'`);
    const t = tester({ batch: 'stdin', batchSize: 2, ban: [prog, 'add', '{jail}', '{count}'] });
    await t.applyBans('192.0.2.60', '2001:db8::60', '198.51.100.60');
    expect(calls(s.read('calls'))).toEqual([
      ['add', 'sshd', '2'],
      ['add', 'sshd', '1'],
    ]);
    expect(s.read('stdin')).toBe('192.0.2.60\n2001:db8::60\n198.51.100.60\n');
  });

  it('file: {ips} is a private file that is gone afterwards; bad ids are left out', async () => {
    const prog = s.script('batch', `${recordArgs(s.path('calls'))}; cat "$2" > '${s.path('copy')}'; stat -c %a "$2" > '${s.path('mode')}'`);
    const t = tester({ batch: 'file', unban: [prog, '--from', '{ips}'] });
    await t.applyUnbans('192.0.2.70', 'not-an-ip', '192.0.2.71');
    const [[flag, file]] = calls(s.read('calls')) as [[string, string]];
    expect(flag).toBe('--from');
    expect(s.read('copy')).toBe('192.0.2.70\n192.0.2.71\n');
    expect(s.read('mode').trim()).toBe('600');
    expect(existsSync(file)).toBe(false);
    expect(t.errors).toHaveLength(1);
  });

  it('a failing batch call fails the whole batch, which the retry runs again', async () => {
    const prog = s.script('batch', `cat >> '${s.path('stdin')}'; [ -e '${s.path('fixed')}' ]`);
    const t = tester({ batch: 'stdin', ban: [prog] });
    const bans = [t.ban('192.0.2.80'), t.ban('192.0.2.81')];
    await expect(t.instance.ban(bans)).rejects.toMatchObject({ code: 'F2B_ERR_EXEC_FAILED' });
    markFixed(s);
    await t.instance.ban(bans);
    await t.instance.ban(bans); // done: not run a third time
    expect(s.read('stdin')).toBe('192.0.2.80\n192.0.2.81\n'.repeat(2));
  });
});

/** The flaky programs succeed once this file exists. */
function markFixed(sc: Scratch): void {
  writeFileSync(sc.path('fixed'), '');
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
