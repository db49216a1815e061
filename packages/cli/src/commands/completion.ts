/**
 * `f2b completion bash|zsh|fish` and `f2b man [config]`: shell completion and the f2b(1) manual page,
 * made from the commander definitions themselves, so they say what `--help` says and never drift
 * from it; f2b.config(5) is made from the config schema (config-man.ts).
 */
import type { Command, Option } from 'commander';
import { errors } from '@f2b/core';
import { EXIT_OK } from '../errors.js';
import { configManPage } from './config-man.js';

type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

/**
 * What a word stands for, so the script knows what to offer: a jail name or a filter id (asked of
 * `f2b __complete`: the running daemon, else the config; the installed filters), a file, or
 * nothing in particular.
 */
type ValueKind = 'jail' | 'filter' | 'file' | 'none';

interface Spec {
  path: string[];
  description: string;
  options: { flags: string[]; description: string; takesValue: boolean; value: ValueKind }[];
  subcommands: string[];
  /** What each positional argument is, in order. */
  args: ValueKind[];
}

/** The kind of a positional argument or an option's value, by its name in the definitions. */
function kindOf(name: string): ValueKind {
  if (name === 'jail') return 'jail';
  if (name === 'filter-id' || name === 'filter') return 'filter';
  if (name === 'ip' || name === 'shell' || name === 'page') return 'none';
  return 'file';
}

/** Every command (and sub-command) with its long and short option names and its arguments. */
function specs(program: Command): Spec[] {
  const out: Spec[] = [];
  const walk = (cmd: Command, path: string[]) => {
    const options = (cmd.options as readonly Option[]).map((o) => {
      const valueName = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
      return {
        flags: [o.long, o.short].filter((f): f is string => typeof f === 'string'),
        description: o.description,
        takesValue: o.required || o.optional,
        value: valueName === undefined ? ('none' as const) : o.long === '--jail' ? ('jail' as const) : kindOf(valueName),
      };
    });
    const args = cmd.registeredArguments.map((a) => kindOf(a.name()));
    out.push({ path, description: cmd.description(), options, subcommands: cmd.commands.map((c) => c.name()), args });
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
  const key = (s: Spec) => s.path.map(word).join(' ');
  const cases = all.map((s) => {
    const words = [...s.subcommands, ...s.options.flatMap((o) => o.flags), '--help'].map(word).join(' ');
    return `    "${key(s)}") cands="${words}" ;;`;
  });
  // Per command: the options whose value is the next word, and what that value is.
  const valueCases = all.flatMap((s) =>
    s.options.filter((o) => o.takesValue).map((o) => `    "${key(s)}|${o.flags.map(word).join(`"|"${key(s)}|`)}") echo ${o.value} ;;`),
  );
  const argCases = all.flatMap((s) => s.args.map((kind, i) => `    "${key(s)}|${i}") echo ${kind} ;;`));
  return [
    '# bash completion for f2b (f2b completion bash > /etc/bash_completion.d/f2b)',
    '_f2b() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" w cands kind="" n=0 i skip=0 cfg="" sock=""',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    if [ "$skip" = 1 ]; then skip=0; continue; fi',
    '    case "$w" in',
    '      -c|--config) cfg="${COMP_WORDS[i+1]}"; skip=1; continue ;;',
    '      --socket) sock="${COMP_WORDS[i+1]}"; skip=1; continue ;;',
    '      -*) [ "$(_f2b_value "$cmd" "$w")" != "" ] && skip=1; continue ;;',
    '    esac',
    '    case " $(_f2b_sub "$cmd") " in *" $w "*) cmd="${cmd:+$cmd }$w"; n=0 ;; *) n=$((n + 1)) ;; esac',
    '  done',
    '  case "$prev" in',
    '    -*) [ "$COMP_CWORD" -gt 1 ] && kind="$(_f2b_value "$cmd" "$prev")" ;;',
    '  esac',
    '  if [ -z "$kind" ]; then case "$cur" in -*) kind=none ;; *) kind="$(_f2b_arg "$cmd" "$n")" ;; esac; fi',
    '  COMPREPLY=()',
    '  case "$kind" in',
    '    jail|filter)',
    // The daemon's or the config's words: matched here, never expanded by the shell (compgen -W would).
    '      while IFS= read -r w; do [[ "$w" == "$cur"* ]] && COMPREPLY+=("$w"); done < <(_f2b_ask "$kind" "$cfg" "$sock")',
    '      ;;',
    '    file) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;',
    '    *)',
    '      case "$cmd" in',
    ...cases.map((c) => `  ${c}`),
    '        *) cands="" ;;',
    '      esac',
    '      COMPREPLY=( $(compgen -W "$cands" -- "$cur") ) ;;',
    '  esac',
    // Nothing else fits: files (test-filter takes fail2ban-regex's order, the log first), but never instead of a jail.
    '  [ ${#COMPREPLY[@]} -eq 0 ] && [ "$kind" != jail ] && COMPREPLY=( $(compgen -f -- "$cur") )',
    '}',
    '_f2b_sub() {',
    '  case "$1" in',
    ...all.map((s) => `    "${key(s)}") echo "${s.subcommands.map(word).join(' ')}" ;;`),
    '  esac',
    '}',
    '_f2b_value() {',
    '  case "$1|$2" in',
    ...valueCases,
    '  esac',
    '}',
    '_f2b_arg() {',
    '  case "$1|$2" in',
    ...argCases,
    '    *) echo none ;;',
    '  esac',
    '}',
    // f2b answers within a second and a half, daemon or not (packages/cli/src/complete.ts).
    '_f2b_ask() {',
    '  local a=(__complete "$1s")',
    '  [ -n "$2" ] && a+=(--config "${2/#\\~/$HOME}")',
    '  [ -n "$3" ] && a+=(--socket "${3/#\\~/$HOME}")',
    '  command f2b "${a[@]}" 2>/dev/null',
    '}',
    'complete -F _f2b f2b',
    '',
  ].join('\n');
}

function fish(all: Spec[]): string {
  const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const ask = (kind: 'jail' | 'filter') => q(`(__f2b_ask ${kind}s)`);
  const lines = [
    '# fish completion for f2b (f2b completion fish > ~/.config/fish/completions/f2b.fish)',
    'complete -c f2b -f',
    // Jail names and filter ids from `f2b __complete` (the daemon, else the config; the installed
    // filters), passing on the -c/--config and --socket of the command line; it never hangs.
    'function __f2b_ask',
    '  set -l words (commandline -opc)',
    '  set -l extra',
    '  for i in (seq (count $words))',
    '    set -l next (math $i + 1)',
    '    if test $next -le (count $words)',
    '      switch $words[$i]',
    '        case -c --config',
    '          set -a extra --config $words[$next]',
    '        case --socket',
    '          set -a extra --socket $words[$next]',
    '      end',
    '    end',
    '  end',
    '  command f2b __complete $argv $extra 2>/dev/null',
    'end',
  ];
  for (const s of all) {
    const cond = s.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${word(s.path[s.path.length - 1]!)}`;
    for (const sub of s.subcommands) {
      const d = all.find((x) => x.path.join(' ') === [...s.path, sub].join(' '))?.description ?? '';
      lines.push(`complete -c f2b -n ${q(cond)} -a ${word(sub)} -d ${q(d.split('\n')[0]!.slice(0, 80))}`);
    }
    if (s.path.length === 0) continue;
    const dynamic = s.args.find((k): k is 'jail' | 'filter' => k === 'jail' || k === 'filter');
    if (dynamic) lines.push(`complete -c f2b -n ${q(cond)} -a ${ask(dynamic)}`);
    for (const o of s.options) {
      const long = o.flags.find((f) => f.startsWith('--'));
      const short = o.flags.find((f) => /^-[^-]$/.test(f));
      const value = !o.takesValue ? '' : o.value === 'jail' || o.value === 'filter' ? ` -r -f -a ${ask(o.value)}` : ' -r -F';
      lines.push(
        `complete -c f2b -n ${q(cond)}${long ? ` -l ${word(long.slice(2))}` : ''}${short ? ` -s ${word(short.slice(1))}` : ''}${value} -d ${q(o.description.slice(0, 80))}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function zsh(all: Spec[]): string {
  // zsh runs bash completion functions through bashcompinit: one definition for both. Its arrays
  // count from 1, the script's indices from 0 as bash's do: the function runs with ksharrays (and
  // the script names no variable zsh gives a meaning: path is PATH there, words the command line).
  const script = bash(all).replace(
    /^complete -F _f2b f2b$/m,
    ['_f2b_zsh() {', '  setopt localoptions ksharrays', '  _f2b "$@"', '}', 'complete -F _f2b_zsh f2b'].join('\n'),
  );
  return ['#compdef f2b', '# zsh completion for f2b (f2b completion zsh > "${fpath[1]}/_f2b")', 'autoload -U +X bashcompinit && bashcompinit', script].join(
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
    'f2b.config(5) (f2b man config), the README of f2b, docs/migration.md (coming from fail2ban), jail.conf(5), nft(8).',
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
    .description('Print a manual page (roff): f2b(1), or with "config" f2b.config(5): f2b man config | man -l -')
    .argument('[page]', 'f2b (the default), or config for f2b.config(5)')
    .action(
      run(async (page: string | undefined) => {
        if (page === undefined || page === 'f2b' || page === '1') process.stdout.write(manPage(program, version));
        else if (page === 'config' || page === 'f2b.config' || page === '5') process.stdout.write(configManPage(version));
        else throw errors.F2B_ERR_USAGE(`There is no manual page "${page}".`, 'Write f2b man (f2b(1)) or f2b man config (f2b.config(5)).');
        return EXIT_OK;
      }),
    );
}
