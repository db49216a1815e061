/**
 * `f2b test-filter`'s usual command lines (`f2b test-filter sshd /var/log/auth.log --json`), read
 * without commander: loading commander and building the command with it is about a twentieth of
 * test-filter's run on a small log. As for the client commands (client/quick-args.ts), anything not
 * read here exactly as commander would — help, an unknown option, a short option with its value
 * attached, a value that starts with `-`, a choice commander would refuse, `--`, a third argument —
 * is left to the commander program, which reads it or says what is wrong. A test checks over
 * generated command lines that whatever is read here is what commander hands the action.
 *
 * No imports: bin.ts loads this before anything else of test-filter.
 */

/** What commander would hand test-filter's action: the two optional arguments and `opts()`. */
export interface QuickTestFilter {
  args: [string | undefined, string | undefined];
  options: Record<string, string | boolean | string[]>;
}

/** Options without a value, by flag → key. */
const FLAGS: Record<string, string> = { '--json': 'json', '--annotated': 'annotated', '--explain': 'explain' };
/** Options with one value, by flag → key. */
const VALUES: Record<string, string> = {
  '-c': 'config',
  '--config': 'config',
  '-m': 'mode',
  '--mode': 'mode',
  '--now': 'now',
  '--timezone': 'timezone',
  '--format': 'format',
  '--show': 'show',
  '-j': 'jobs',
  '--jobs': 'jobs',
  '--maxretry': 'maxretry',
  '--max-line-length': 'maxLineLength',
};
/** Repeatable options (commander collects them into an array), by flag → key. */
const REPEATED: Record<string, string> = {
  '-p': 'pattern',
  '--pattern': 'pattern',
  '-i': 'ignorePattern',
  '--ignore-pattern': 'ignorePattern',
  '-o': 'option',
  '--option': 'option',
};
/** Options whose value must be one of these (commander refuses any other). */
const CHOICES: Record<string, readonly string[]> = { format: ['text', 'journal'], show: ['matched', 'missed'] };
/** Present whatever the command line says. */
const DEFAULTS = { format: 'text' };

/** `argv` after the node binary and the script, starting with `test-filter`; or null: commander's to read. */
export function quickTestFilterArgs(argv: readonly string[]): QuickTestFilter | null {
  if (argv[0] !== 'test-filter') return null;
  const args: string[] = [];
  const options: Record<string, string | boolean | string[]> = { ...DEFAULTS };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    // `-` (standard input) is an argument to commander too.
    if (!a.startsWith('-') || a === '-') {
      if (args.length >= 2) return null; // an extra argument: commander's error
      args.push(a);
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq === -1 ? a : a.slice(0, eq);
    const valued = Object.hasOwn(VALUES, flag) ? VALUES[flag]! : Object.hasOwn(REPEATED, flag) ? REPEATED[flag]! : undefined;
    if (valued !== undefined) {
      const value = eq === -1 ? argv[++i] : a.slice(eq + 1);
      // A missing value, or one commander might read as the next option: left to commander.
      if (value === undefined || value.startsWith('-')) return null;
      if (Object.hasOwn(CHOICES, valued) && !CHOICES[valued]!.includes(value)) return null;
      if (Object.hasOwn(REPEATED, flag)) {
        const previous = options[valued];
        options[valued] = [...(Array.isArray(previous) ? previous : []), value];
      } else options[valued] = value;
    } else if (eq === -1 && Object.hasOwn(FLAGS, flag)) options[FLAGS[flag]!] = true;
    else return null; // help, --, an unknown option, a flag given a value
  }
  return { args: [args[0], args[1]], options };
}
