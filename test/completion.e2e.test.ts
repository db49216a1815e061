/**
 * `f2b completion bash|zsh|fish` and `f2b man`, made from the commander definitions: the bash script
 * parses and completes commands and options, the man page renders with man(1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CONFIG_SCHEMA, schemaKeys } from '@f2b/core';
import { F2B, f2b, startF2b, tempDir } from './helpers.js';

const tmp = tempDir('f2b-completion-');
afterAll(() => tmp.cleanup());

/** The completion as a user's bash runs it: the script sourced, `f2b` found on PATH. */
function bashCompleter(script: string) {
  // The f2b on PATH (zsh's probe uses it too).
  const bin = join(tmp.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'f2b'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(F2B)} "$@"\n`);
  chmodSync(join(bin, 'f2b'), 0o755);
  return (words: string[]) => {
    const r = spawnSync(
      'bash',
      ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _f2b; printf '%s\\n' "\${COMPREPLY[@]}"`],
      {
        encoding: 'utf8',
        cwd: tmp.dir,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, F2B_SOCKET: '' },
        timeout: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((w) => w !== '');
  };
}

describe('f2b completion and man', () => {
  it('completes sub-commands and options in bash', () => {
    const script = f2b(['completion', 'bash']);
    expect(script.code).toBe(0);
    const probe = (words: string[]) =>
      spawnSync('bash', ['-c', `${script.stdout}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _f2b; echo "\${COMPREPLY[@]}"`], {
        encoding: 'utf8',
      });
    expect(probe(['f2b', 'import', 'f']).stdout.trim()).toBe('fail2ban');
    expect(probe(['f2b', 'test-filter', '--mo']).stdout.trim()).toBe('--mode');
    expect(probe(['f2b', 'import', 'fail2ban', '--wr']).stdout.trim()).toBe('--write');
  });

  it('completes jail names from the daemon, else from the config (-c), and filter ids from the installed filters', async () => {
    const log = join(tmp.dir, 'auth.log');
    writeFileSync(log, '');
    const sock = join(tmp.dir, 'f2b.sock');
    const cfg = join(tmp.dir, 'two-jails.json'); // not a name the config search finds: only -c reads it
    const jail = { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', ignoreself: false, actions: ['log'] };
    writeFileSync(cfg, JSON.stringify({ state: { type: 'memory' }, socket: sock, jails: { sshd: jail, 'sshd-slow': { ...jail, maxretry: 20 } } }));
    const complete = bashCompleter(f2b(['completion', 'bash']).stdout);

    // No daemon runs: the config's jails (the socket it names answers nobody).
    expect(complete(['f2b', 'status', '-c', cfg, ''])).toEqual(['sshd', 'sshd-slow']);
    expect(complete(['f2b', 'ban', '--config', cfg, 'sshd-'])).toEqual(['sshd-slow']);
    // Options still complete as options; a file argument as files.
    expect(complete(['f2b', 'status', '--js'])).toEqual(['--json']);
    // Filter ids from the installed filter packages.
    const filters = complete(['f2b', 'test-filter', 'nginx-']);
    expect(filters).toContain('nginx-http-auth');
    expect(filters.every((f) => f.startsWith('nginx-'))).toBe(true);

    // A daemon runs: it answers, asked on the socket alone (no config on the command line or in the cwd).
    expect(complete(['f2b', 'reload', '--socket', sock, ''])).toEqual([]);
    const d = startF2b(['start', '--foreground', '--config', cfg]);
    try {
      await d.waitFor(/Started 2 jail/, 'stderr', 20_000);
      expect(complete(['f2b', 'reload', '--socket', sock, ''])).toEqual(['sshd', 'sshd-slow']);
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('never runs a config that is a program: a .js config is passed over on Tab, named or found', () => {
    const dir = join(tmp.dir, 'code-config');
    mkdirSync(dir, { recursive: true });
    const marker = join(dir, 'ran');
    const code = join(dir, 'f2b.config.cjs');
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(
      code,
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');\nmodule.exports = { jails: { codejail: { filter: 'sshd', source: { type: 'file', paths: [${JSON.stringify(join(dir, 'auth.log'))}] } } } };\n`,
    );
    const asked = (args: string[]) =>
      spawnSync(process.execPath, [F2B, '__complete', 'jails', ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, F2B_SOCKET: join(dir, 'none.sock') },
      });
    expect(asked(['--config', code]).stdout).toBe('');
    expect(asked([]).stdout).toBe(''); // found by the search from the cwd
    expect(existsSync(marker)).toBe(false);
    // The same config beside it as data is read.
    writeFileSync(
      join(dir, 'f2b.config.json'),
      JSON.stringify({ jails: { datajail: { filter: 'sshd', source: { type: 'file', paths: [join(dir, 'auth.log')] } } } }),
    );
    expect(asked([]).stdout).toBe('datajail\n');
    expect(existsSync(marker)).toBe(false);
    // The commands that need the config still run it (the user's own, trusted code).
    expect(f2b(['config', 'print', '--config', code], { cwd: dir }).code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('completes the same in zsh (bashcompinit, arrays counted from 1 there)', () => {
    const zsh = spawnSync('zsh', ['-f', '-c', 'exit 0']);
    if (zsh.error) return console.log('skipping the zsh check: zsh is not installed (apt-get install zsh)');
    const cfg = join(tmp.dir, 'zsh-jails.json');
    writeFileSync(cfg, JSON.stringify({ socket: join(tmp.dir, 'zsh-none.sock'), jails: { sshd: {}, web: {} } }));
    const script = join(tmp.dir, '_f2b');
    writeFileSync(script, f2b(['completion', 'zsh']).stdout);
    bashCompleter(''); // writes the f2b on PATH
    const probe = (words: string[]) => {
      const r = spawnSync(
        'zsh',
        [
          '-f',
          '-c',
          `autoload -U +X compinit && compinit -u; source ${JSON.stringify(script)}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _f2b_zsh; print -rl -- "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8', cwd: tmp.dir, env: { ...process.env, PATH: `${join(tmp.dir, 'bin')}:${process.env.PATH}`, F2B_SOCKET: '' }, timeout: 30_000 },
      );
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((w) => w !== '');
    };
    expect(probe(['f2b', 'status', '-c', cfg, ''])).toEqual(['sshd', 'web']);
    expect(probe(['f2b', 'unban', '192.0.2.1', '-c', cfg, '--jail', 'w'])).toEqual(['web']);
    expect(probe(['f2b', 'test-filter', 'nginx-h'])).toEqual(['nginx-http-auth']);
    // zsh's compgen leaves the matching to zsh itself, which filters by the prefix.
    expect(probe(['f2b', 'import', 'f'])).toContain('fail2ban');
  });

  it('completes the same in fish (its own complete -C, end to end)', () => {
    const fish = spawnSync('fish', ['--no-config', '-c', 'exit 0']);
    if (fish.error) return console.log('skipping the fish check: fish is not installed (apt-get install fish)');
    const cfg = join(tmp.dir, 'fish-jails.json');
    writeFileSync(cfg, JSON.stringify({ socket: join(tmp.dir, 'fish-none.sock'), jails: { sshd: {}, web: {} } }));
    const script = join(tmp.dir, 'f2b.fish');
    writeFileSync(script, f2b(['completion', 'fish']).stdout);
    bashCompleter(''); // writes the f2b on PATH
    const probe = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `source ${JSON.stringify(script)}; complete -C ${JSON.stringify(line)}`], {
        encoding: 'utf8',
        cwd: tmp.dir,
        env: {
          ...process.env,
          PATH: `${join(tmp.dir, 'bin')}:${process.env.PATH}`,
          F2B_SOCKET: '',
          HOME: tmp.dir,
          XDG_CONFIG_HOME: tmp.dir,
          XDG_DATA_HOME: tmp.dir,
        },
        timeout: 30_000,
      });
      expect(r.stderr).toBe('');
      return r.stdout
        .split('\n')
        .filter((w) => w !== '')
        .map((w) => w.split('\t')[0]);
    };
    expect(probe(`f2b status -c ${cfg} `)).toEqual(['sshd', 'web']);
    expect(probe(`f2b unban 192.0.2.1 -c ${cfg} --jail w`)).toEqual(['web']);
    expect(probe('f2b test-filter nginx-h')).toEqual(['nginx-http-auth']);
    expect(probe('f2b imp')).toEqual(['import']);
  });

  it('never hangs on a socket that does not answer, and prints no word a shell would expand', async () => {
    const mute = createServer(() => {}); // accepts, never answers
    const sock = join(tmp.dir, 'mute.sock');
    await new Promise<void>((ok) => mute.listen(sock, ok));
    try {
      const cfg = join(tmp.dir, 'hostile.json');
      writeFileSync(cfg, JSON.stringify({ socket: sock, jails: { web: {}, '$(touch pwned)': {}, 'a b': {}, '`x`': {} } }));
      const r = spawnSync(process.execPath, [F2B, '__complete', 'jails', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(0);
      // The daemon did not answer in time: the config's names, the harmless ones only.
      expect(r.stdout).toBe('web\n');
    } finally {
      mute.close();
    }
  });

  it('prints fish and zsh scripts, refuses other shells with exit 2', () => {
    const fish = f2b(['completion', 'fish']).stdout;
    expect(fish).toContain("complete -c f2b -n '__fish_seen_subcommand_from fail2ban' -l write -r -F");
    expect(fish).toContain("complete -c f2b -n '__fish_seen_subcommand_from status' -a '(__f2b_ask jails)'");
    expect(fish).toContain("complete -c f2b -n '__fish_seen_subcommand_from test-filter' -a '(__f2b_ask filters)'");
    expect(fish).toContain("-l jail -r -f -a '(__f2b_ask jails)'");
    expect(f2b(['completion', 'zsh']).stdout).toMatch(/^#compdef f2b\n/);
    const bad = f2b(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('There is no completion for the shell "tcsh".');
  });

  it('prints f2b(1) with every command', () => {
    const page = f2b(['man']);
    expect(page.stdout).toMatch(/^\.TH F2B 1 /);
    expect(page.stdout).toContain('.B f2b import fail2ban');
    const man = spawnSync('man', ['-l', '-'], { input: page.stdout, encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '' } });
    if (man.error) return console.log('skipping the man(1) rendering check: man is not installed');
    expect(man.stdout).toContain('EXIT STATUS');
  });
});

describe('f2b man config', () => {
  it('prints f2b.config(5), made from the config schema: every key, and it renders with man(1)', () => {
    const page = f2b(['man', 'config']);
    expect(page.code).toBe(0);
    expect(page.stdout).toMatch(/^\.TH F2B\.CONFIG 5 /);
    const roff = (s: string) => s.replace(/-/g, '\\-');
    for (const k of schemaKeys(CONFIG_SCHEMA)) expect(page.stdout, k.path).toContain(`.B ${roff(k.path)}\n`);
    expect(page.stdout).not.toContain('(not described)');
    expect(f2b(['man']).stdout).toContain('f2b.config(5)');
    const bad = f2b(['man', 'jail.conf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('There is no manual page "jail.conf".');

    const man = spawnSync('man', ['-l', '-'], { input: page.stdout, encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' } });
    if (man.error) return console.log('skipping the man(1) rendering check: man is not installed (apt-get install man-db groff-base)');
    expect(man.status).toBe(0);
    const text = stripOverstrike(man.stdout);
    for (const heading of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMPOSITION', 'GLOBAL KEYS', 'JAILS', 'EXAMPLE', 'SEE ALSO']) expect(text).toContain(heading);
    expect(text).toContain('jails.<name>.filter.mode');
    expect(text).toMatch(/jails\.<name>\.maxretry\s+\(integer\) Attempts within findtime that cause a ban\.\s+Default: 5\./);
    expect(text).toMatch(/logLevel\s+\("debug" \| "info" \| "notice" \| "warn" \| "error"\)/);
    expect(man.stderr).not.toMatch(/warning/i);
  });
});

/** man's overstrike bold and underline (`c\bc`, `_\bc`), if the formatter kept it: the plain text. */
function stripOverstrike(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i + 1] === '\b' && i + 2 < s.length) {
      out += s[i + 2];
      i += 2;
    } else out += s[i];
  }
  return out;
}
