/**
 * `f2b completion bash|zsh|fish` and `f2b man`, made from the commander definitions: the bash script
 * parses and completes commands and options, the man page renders with man(1).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { f2b } from './helpers.js';

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

  it('prints fish and zsh scripts, refuses other shells with exit 2', () => {
    expect(f2b(['completion', 'fish']).stdout).toContain("complete -c f2b -n '__fish_seen_subcommand_from fail2ban' -l write -r -F");
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
