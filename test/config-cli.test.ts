/**
 * `f2b config print|check` and the daemon on composed configs: extends, hosts (`--host`), env
 * references (never printed), origins per value, exit codes; `f2b start` and `f2b reload` (SIGHUP)
 * read the whole chain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, F2B, sshdLine, tempDir } from './helpers.js';

const tmp = tempDir('f2b-config-cli-');
afterAll(() => tmp.cleanup());

const dir = join(tmp.dir, 'etc');
mkdirSync(join(dir, 'node_modules/@acme/f2b-config'), { recursive: true });
writeFileSync(join(dir, 'node_modules/@acme/f2b-config/package.json'), JSON.stringify({ name: '@acme/f2b-config', version: '1.0.0', main: 'config.json' }));
writeFileSync(join(dir, 'node_modules/@acme/f2b-config/config.json'), JSON.stringify({ defaults: { bantime: '2h', maxretry: 6 } }));
writeFileSync(
  join(dir, 'base.yaml'),
  [
    'state: { type: memory }',
    'socket: false',
    'jails:',
    '  sshd:',
    '    source: /var/log/auth.log',
    '    filter: sshd',
    '  web:',
    `    source: ${join(dir, 'nginx-error.log')}`,
    '    filter: nginx-http-auth',
    `    enabledIf: { exists: ${join(dir, 'nginx-error.log')} }`,
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'f2b.config.yaml'),
  [
    'extends: ["@acme/f2b-config", ./base.yaml]',
    'defaults:',
    '  ignoreip: ["${env:F2B_TEST_OFFICE}"]',
    'hosts:',
    '  "web-*":',
    '    jails:',
    '      sshd: { maxretry: 2 }',
    '',
  ].join('\n'),
);
const config = join(dir, 'f2b.config.yaml');
const env = { F2B_TEST_OFFICE: '198.51.100.99/32' };

describe('f2b config print', () => {
  it('prints the composed config with the origin of every value, as comments', () => {
    const r = f2b(['config', 'print', '--config', config, '--host', 'web-7'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# f2b config: ${config} (host web-7)`);
    expect(r.stdout).toMatch(/^ {2}bantime: "2h" +# from @acme\/f2b-config: defaults\.bantime$/m);
    expect(r.stdout).toMatch(/^ {4}maxretry: 2 +# from f2b\.config\.yaml: hosts\.web-\*\.jails\.sshd\.maxretry$/m);
    expect(r.stdout).toMatch(/^ {4}source: "\/var\/log\/auth\.log" +# from base\.yaml: jails\.sshd\.source$/m);
    expect(r.stdout).toMatch(/^ {2}web: +# off: enabledIf: .*nginx-error\.log does not exist$/m);
    // The secret's reference is shown, never its value.
    expect(r.stdout).toMatch(/ignoreip: \["\$\{env:F2B_TEST_OFFICE\}"\] +# from f2b\.config\.yaml: defaults\.ignoreip \(env F2B_TEST_OFFICE\)/);
    expect(r.stdout).not.toContain('198.51.100.99');
    // The effective defaults, with their origin: the config's `defaults` or f2b's own.
    expect(r.stdout).toMatch(/^# {3}bantime: "2h" {2}\(defaults\)$/m);
    expect(r.stdout).toMatch(/^# {3}findtime: "10m" {2}\(f2b's default\)$/m);
  });

  it('--json: config (references kept), origins by key path, files in merge order, jails', () => {
    const r = f2b(['config', 'print', '--config', config, '--host', 'db-1', '--json'], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.host).toBe('db-1');
    expect(out.config.jails.sshd).toEqual({ source: '/var/log/auth.log', filter: 'sshd' });
    expect(out.origins['defaults.maxretry']).toMatchObject({ package: '@acme/f2b-config', path: 'defaults.maxretry' });
    expect(out.files.map((f: { file: string }) => f.file)).toEqual([join(dir, 'node_modules/@acme/f2b-config/config.json'), join(dir, 'base.yaml'), config]);
    expect(out.jails).toEqual([
      { name: 'sshd', enabled: true },
      { name: 'web', enabled: false, disabledBecause: expect.stringContaining('does not exist') },
    ]);
    expect(r.stdout).not.toContain('198.51.100.99');
  });

  it('a missing variable: exit 2, naming file, key path and variable', () => {
    const r = f2b(['config', 'print', '--config', config], { env: { F2B_TEST_OFFICE: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`F2B_ERR_CONFIG_INVALID: ${config}: defaults.ignoreip.0:`);
    expect(r.stderr).toContain('"F2B_TEST_OFFICE"');
  });
});

describe('f2b config check', () => {
  it('exit 0 for a valid config, listing jails on and off', () => {
    // The sshd jail reads /var/log/auth.log, which this machine may not have: it may wait for it.
    const waiting = join(dir, 'waiting.yaml');
    writeFileSync(waiting, 'extends: ./f2b.config.yaml\njails:\n  sshd: { waitForLog: true }\n');
    const r = f2b(['config', 'check', '--config', waiting], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Config OK: ${waiting}`);
    expect(r.stdout).toContain('1 jail(s) on: sshd');
    expect(r.stdout).toMatch(/off: web \(enabledIf: .* does not exist\)/);
  });

  it('exit 2 for an invalid value, named at the file and key path that wrote it', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'extends: ./f2b.config.yaml\nhosts:\n  "*":\n    jails:\n      sshd: { maxretry: 0 }\n');
    const r = f2b(['config', 'check', '--config', bad], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`F2B_ERR_CONFIG_INVALID: ${bad}: hosts.*.jails.sshd.maxretry: The value at "jails.sshd.maxretry" must be >= 1.`);
  });

  it('exit 2 when a plugin the config needs is missing, with the file and key path', () => {
    const bad = join(dir, 'bad-filter.yaml');
    writeFileSync(bad, 'extends: ./f2b.config.yaml\njails:\n  sshd: { filter: no-such-filter }\n');
    const r = f2b(['config', 'check', '--config', bad], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`F2B_ERR_FILTER_NOT_FOUND: ${bad}: jails.sshd.filter:`);
  });

  it('checks the embedded default when there is no config (an error on a machine with neither auth log nor journal)', () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const r = f2b(['config', 'check'], { cwd: empty });
    const log = ['/var/log/auth.log', '/var/log/secure'].some((f) => existsSync(f));
    const journalDir = ['/run/systemd/journal', '/var/log/journal'].some((d) => existsSync(d));
    const journalFiles =
      spawnSync('find', ['/run/log/journal', '/var/log/journal', '-maxdepth', '2', '-name', '*.journal'], { encoding: 'utf8' }).stdout.trim() !== '';
    if (log || (journalDir && journalFiles)) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Config OK: the embedded default config');
    } else {
      // The default falls back to a log or journal that is not there: it says so, it does not pass.
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('F2B_ERR_JAIL_WATCHES_NOTHING');
      expect(r.stderr).toContain(journalDir ? 'there is no journal to read' : '/var/log/auth.log does not exist');
    }
  });

  it('exit 2 for a jail that watches nothing, naming the path; fine when the jail may wait for its log', () => {
    const d = join(tmp.dir, 'watch');
    mkdirSync(d);
    const typo = join(d, 'auth.lgo');
    writeFileSync(join(d, 'auth.log'), '');
    const check = (jail: Record<string, unknown>) => {
      const file = join(d, 'f2b.config.json');
      writeFileSync(file, JSON.stringify({ state: { type: 'memory' }, socket: false, jails: { sshd: { filter: 'sshd', ...jail } } }));
      return f2b(['config', 'check', '--config', file]);
    };
    let r = check({ source: typo });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `F2B_ERR_JAIL_WATCHES_NOTHING: ${join(d, 'f2b.config.json')}: jails.sshd.sources.0: The jail "sshd" watches nothing: ${typo} does not exist.`,
    );
    r = check({ source: { type: 'file', paths: [join(d, 'nothing', '*.log')] } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no file matches ${join(d, 'nothing', '*.log')}`);
    // One of two paths is enough.
    expect(check({ source: { type: 'file', paths: [typo, join(d, 'auth.log')] } }).code).toBe(0);
    r = check({ source: typo, waitForLog: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`warning: sshd: ${typo} does not exist`);
    expect(check({ source: typo, enabledIf: { exists: [join(d, 'auth.log')] } }).code).toBe(0);
    expect(check({ source: typo, enabledIf: { exists: [join(d, 'auth.log')] }, waitForLog: false }).code).toBe(2);
  });
});

describe('@f2b/config-recommended', () => {
  it('extends cleanly; with every jail forced on, each loads its filter and source', () => {
    const d = join(tmp.dir, 'recommended');
    mkdirSync(d);
    const names = ['sshd', 'nginx-http-auth', 'nginx-limit-req', 'nginx-botsearch', 'postfix'];
    writeFileSync(
      join(d, 'f2b.config.json'),
      JSON.stringify({
        extends: '@f2b/config-recommended',
        state: { type: 'memory' },
        socket: false,
        // Their logs need not exist here: this checks that each loads, not that it watches.
        jails: Object.fromEntries(names.map((n) => [n, { enabledIf: null, waitForLog: true }])),
      }),
    );
    const r = f2b(['config', 'check', '--json'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).jails.map((j: { name: string; enabled: boolean }) => ({ name: j.name, enabled: j.enabled }))).toEqual(
      names.map((name) => ({ name, enabled: true })),
    );
    const print = JSON.parse(f2b(['config', 'print', '--json'], { cwd: d }).stdout);
    expect(print.origins['jails.nginx-botsearch.source']).toMatchObject({ package: '@f2b/config-recommended' });
    expect(print.config.jails.sshd).not.toHaveProperty('enabledIf');
  });
});

describe('f2b start and reload on a composed config', () => {
  it('runs the jails of the whole chain for this host, and SIGHUP re-reads every file', { timeout: 60_000 }, async () => {
    const d = join(tmp.dir, 'daemon');
    mkdirSync(d);
    const log = join(d, 'auth.log');
    writeFileSync(log, '');
    writeFileSync(
      join(d, 'base.json'),
      JSON.stringify({
        state: { type: 'memory' },
        socket: false,
        jails: { sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 5, bantime: '1h' } },
      }),
    );
    const hostname = (await import('node:os')).hostname();
    writeFileSync(
      join(d, 'f2b.config.json'),
      JSON.stringify({
        extends: './base.json',
        defaults: { ignoreip: ['${env:F2B_TEST_OFFICE}'] },
        hosts: { [hostname]: { jails: { sshd: { maxretry: 2 } } } },
      }),
    );
    const child = spawn(process.execPath, [F2B, 'start', '--foreground', '--dry-run', '--config', join(d, 'f2b.config.json')], {
      cwd: d,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b;
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b;
    });
    const waitFor = async (re: RegExp, text: () => string) => {
      for (let i = 0; i < 400; i++) {
        if (re.test(text())) return;
        if (child.exitCode !== null) throw new Error(`f2b exited (${child.exitCode}):\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`timed out waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`);
    };
    try {
      await waitFor(/Started 1 jail\(s\): sshd/, () => err);
      // maxretry 2 comes from this host's block; the env-referenced ignoreip spares the office.
      appendFileSync(log, sshdLine('Failed password for root from 198.51.100.99 port 1 ssh2', { pid: 1 }));
      appendFileSync(log, sshdLine('Failed password for root from 198.51.100.99 port 2 ssh2', { pid: 2 }));
      appendFileSync(log, sshdLine('Failed password for root from 192.0.2.77 port 1 ssh2', { pid: 3 }));
      appendFileSync(log, sshdLine('Failed password for root from 192.0.2.77 port 2 ssh2', { pid: 4 }));
      await waitFor(/\[sshd\] Ban 192\.0\.2\.77 /, () => out);
      expect(out).not.toMatch(/Ban 198\.51\.100\.99/);
      // Change the base file: a second jail; SIGHUP reloads the chain.
      writeFileSync(
        join(d, 'base.json'),
        JSON.stringify({
          state: { type: 'memory' },
          socket: false,
          jails: {
            sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 5, bantime: '1h' },
            'sshd-copy': { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd' },
          },
        }),
      );
      child.kill('SIGHUP');
      await waitFor(/Reloaded: 2 jail\(s\)/, () => err);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
