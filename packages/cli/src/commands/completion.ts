/**
 * `f2b completion bash|zsh|fish` and `f2b man`: shell completion and the f2b(1) manual page, made
 * from the commander definitions themselves, so they say what `--help` says and never drift from it.
 */
import type { Command, Option } from 'commander';
import { errors } from '@f2b/core';
import { EXIT_OK } from '../errors.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

interface Spec {
  path: string[];
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean }[];
  subcommands: string[];
}

/** Every command (and sub-command) with its long and short option names. */
function specs(program: Command): Spec[] {
  const out: Spec[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const options = (cmd.options as readonly Option[]).map((o) => ({
      flags: [o.long, o.short].filter((f): f is string => typeof f === 'string'),
      description: o.description,
      takesValue: o.required || o.optional,
    }));
    out.push({ path, description: cmd.description(), options, subcommands: cmd.commands.map((c) => c.name()) });
    for (const c of cmd.commands) walk(c, [...path, c.name()]);
  };
  walk(program, []);
  return out;
}

// Words in generated scripts: command and option names from our own definitions, checked anyway.
const word = (s: string) => {
  if (!/^[A-Za-z0-9_.:-]+$/.test(s)) throw new Error(`not a completion word: ${JSON.stringify(s)}`);
  return s;
};

function bash(all: Spec[]): string {
  const cases = all.map((s) => {
    const words = [...s.subcommands, ...s.options.flatMap((o) => o.flags), '--help'].map(word).join(' ');
    return `    "${s.path.map(word).join(' ')}") words="${words}" ;;`;
  });
  return [
    '# bash completion for f2b (f2b completion bash > /etc/bash_completion.d/f2b)',
    '_f2b() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" path="" w words',
    '  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do',
    '    case "$w" in -*) ;; *) case " $(_f2b_sub "$path") " in *" $w "*) path="${path:+$path }$w" ;; esac ;; esac',
    '  done',
    '  case "$path" in',
    ...cases,
    '    *) words="" ;;',
    '  esac',
    '  COMPREPLY=( $(compgen -W "$words" -- "$cur") )',
    '  [ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )',
    '}',
    '_f2b_sub() {',
    '  case "$1" in',
    ...all.map((s) => `    "${s.path.map(word).join(' ')}") echo "${s.subcommands.map(word).join(' ')}" ;;`),
    '  esac',
    '}',
    'complete -F _f2b f2b',
    '',
  ].join('\n');
}

function fish(all: Spec[]): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = ['# fish completion for f2b (f2b completion fish > ~/.config/fish/completions/f2b.fish)', 'complete -c f2b -f'];
  for (const s of all) {
    const cond = s.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${word(s.path[s.path.length - 1]!)}`;
    for (const sub of s.subcommands) {
      const d = all.find((x) => x.path.join(' ') === [...s.path, sub].join(' '))?.description ?? '';
      lines.push(`complete -c f2b -n ${q(cond)} -a ${word(sub)} -d ${q(d.split('\n')[0]!.slice(0, 80))}`);
    }
    if (s.path.length === 0) continue;
    for (const o of s.options) {
      const long = o.flags.find((f) => f.startsWith('--'));
      const short = o.flags.find((f) => /^-[^-]$/.test(f));
      lines.push(
        `complete -c f2b -n ${q(cond)}${long ? ` -l ${word(long.slice(2))}` : ''}${short ? ` -s ${word(short.slice(1))}` : ''}${o.takesValue ? ' -r -F' : ''} -d ${q(o.description.slice(0, 80))}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function zsh(all: Spec[]): string {
  // zsh runs bash completion functions through bashcompinit: one definition for both.
  return ['#compdef f2b', '# zsh completion for f2b (f2b completion zsh > "${fpath[1]}/_f2b")', 'autoload -U +X bashcompinit && bashcompinit', bash(all)].join(
    '\n',
  );
}

/** f2b(1) in roff, from the same definitions as --help. */
export function manPage(program: Command, version: string): string {
  const esc = (s: string) =>
    s
      .replace(/\\/g, '\\e')
      .replace(/^([.'])/gm, '\\&$1')
      .replace(/-/g, '\\-');
  const out = [
    '.TH F2B 1 "" "f2b ' + esc(version) + '" "User Commands"',
    '.SH NAME',
    'f2b \\- ' + esc(program.description()),
    '.SH SYNOPSIS',
    '.B f2b',
    '\\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
    '.SH COMMANDS',
  ];
  for (const s of specs(program).filter((x) => x.path.length > 0)) {
    out.push('.TP', `.B f2b ${esc(s.path.join(' '))}`, esc(s.description));
    for (const o of s.options) out.push('.RS', '.TP', `.B ${esc(o.flags.join(', '))}`, esc(o.description), '.RE');
  }
  out.push(
    '.SH EXIT STATUS',
    '0 success; 1 a failed check or a run\\-time error; 2 bad usage or configuration.',
    '.SH FILES',
    '/etc/f2b/f2b.config.yaml (or f2b.config.*, .f2brc*), /run/f2b/f2b.sock, /var/lib/f2b/f2b.db',
    '.SH SEE ALSO',
    'The README of f2b, docs/migration.md (coming from fail2ban), jail.conf(5), nft(8).',
    '',
  );
  return out.join('\n');
}

export function registerCompletionCommands(program: Command, run: Run, version: string): void {
  program
    .command('completion')
    .description('Print a shell completion script: f2b completion bash|zsh|fish.')
    .argument('<shell>', 'bash, zsh or fish')
    .action(
      run(async (shell: string) => {
        const all = specs(program);
        const text = shell === 'bash' ? bash(all) : shell === 'zsh' ? zsh(all) : shell === 'fish' ? fish(all) : null;
        if (text === null) throw errors.F2B_ERR_USAGE(`There is no completion for the shell "${shell}".`, 'Write f2b completion bash, zsh or fish.');
        process.stdout.write(text);
        return EXIT_OK;
      }),
    );
  program
    .command('man')
    .description('Print the f2b(1) manual page (roff): f2b man | man -l -')
    .action(
      run(async () => {
        process.stdout.write(manPage(program, version));
        return EXIT_OK;
      }),
    );
}
