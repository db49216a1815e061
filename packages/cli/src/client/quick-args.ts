/**
 * The client commands' usual command lines (`f2b ping`, `f2b status sshd --json`, `f2b banned
 * --socket /run/x.sock`), read without commander: commander is half of the code a client command
 * loads, and building the program and parsing with it cost more than the rest of `f2b ping`
 * without a daemon. Anything this does not read exactly as commander would — help, an unknown or
 * misspelt option, an option's value that starts with `-`, `--`, a missing or an extra argument —
 * is left to the commander program (client-program.ts), which reads it or says what is wrong. A
 * test checks, over generated command lines, that whatever is read here is what commander reads.
 *
 * No imports: bin.ts loads this before anything else of a client command.
 */

/** A command line read: what commander would hand the command's action (commands/control.ts). */
export interface QuickCommand {
  command: 'status' | 'ban' | 'unban' | 'banned' | 'reload' | 'stop' | 'ping';
  /** The arguments in order, undefined for an optional one left out. */
  args: (string | undefined)[];
  /** The options as commander's `opts()` has them. */
  options: Record<string, string | boolean>;
}

interface Grammar {
  /** Positional arguments: true = required. */
  args: boolean[];
  /** Options without a value (`--json`), by flag → key. */
  flags: Record<string, string>;
  /** Options with a value (`--socket <path>`), by flag → key. */
  values: Record<string, string>;
  /** Options present whatever the command line says (`--no-wait` → wait: true unless given). */
  defaults?: Record<string, boolean>;
  /** `--no-<key>` flags: they set the key to false. */
  negated?: Record<string, string>;
}

const COMMON_FLAGS = { '--json': 'json' };
const COMMON_VALUES = { '--socket': 'socket', '-c': 'config', '--config': 'config' };

const GRAMMARS: Record<QuickCommand['command'], Grammar> = {
  status: { args: [false], flags: { ...COMMON_FLAGS, '--all': 'all' }, values: COMMON_VALUES },
  ban: { args: [true, false], flags: COMMON_FLAGS, values: COMMON_VALUES },
  unban: { args: [false], flags: { ...COMMON_FLAGS, '--all': 'all' }, values: { ...COMMON_VALUES, '--jail': 'jail' } },
  banned: { args: [false], flags: COMMON_FLAGS, values: COMMON_VALUES },
  reload: { args: [false], flags: COMMON_FLAGS, values: COMMON_VALUES },
  stop: { args: [], flags: COMMON_FLAGS, values: COMMON_VALUES, defaults: { wait: true }, negated: { '--no-wait': 'wait' } },
  ping: { args: [], flags: COMMON_FLAGS, values: COMMON_VALUES },
};

/** `argv` after the node binary and the script (`['status', 'sshd', '--json']`), or null: commander's to read. */
export function quickClientArgs(argv: readonly string[]): QuickCommand | null {
  const command = argv[0] as QuickCommand['command'];
  if (!Object.hasOwn(GRAMMARS, command)) return null;
  const g = GRAMMARS[command];
  const args: (string | undefined)[] = [];
  const options: Record<string, string | boolean> = { ...g.defaults };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) {
      if (args.length >= g.args.length) return null; // an extra argument: commander's error
      args.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq === -1 ? a : a.slice(0, eq);
    if (Object.hasOwn(g.values, flag)) {
      const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
      // A missing value, or one commander might read as the next option: left to commander.
      if (value === undefined || value.startsWith('-')) return null;
      options[g.values[flag]!] = value;
    } else if (eq === -1 && Object.hasOwn(g.flags, flag)) options[g.flags[flag]!] = true;
    else if (eq === -1 && g.negated && Object.hasOwn(g.negated, flag)) options[g.negated[flag]!] = false;
    else return null; // help, --, an unknown option, a flag given a value
  }
  if (g.args.some((required, k) => required && args[k] === undefined)) return null;
  while (args.length < g.args.length) args.push(undefined);
  return { command, args, options };
}
