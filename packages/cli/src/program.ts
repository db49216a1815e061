/**
 * The `f2b` command line (commander). Each command lives in commands/; errors are printed once, with
 * their code and fix, and mapped to the documented exit codes.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { testFilter } from './commands/test-filter.js';
import { start } from './commands/start.js';
import { filters } from './commands/filters.js';
import { registerControlCommands } from './commands/control.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerPluginsCommand } from './commands/plugins.js';
import { registerConfigCommands } from './commands/config.js';
import { registerImportCommand } from './commands/import.js';
import { registerCompletionCommands } from './commands/completion.js';
import { EXIT_USAGE, reportCliError } from './errors.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function buildProgram(setCode: (code: number) => void = () => {}): Command {
  const run =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      setCode(await fn(...args));
    };
  const program = new Command('f2b')
    .description('f2b: watch logs, recognise attacks, ban their sources (fail2ban, in TypeScript).')
    .version(version)
    .showHelpAfterError()
    .addHelpText('after', '\nExit codes: 0 success, 1 failed check or runtime error, 2 bad usage or configuration.');

  program
    .command('start')
    .description('Run the jails of the config (an sshd jail on the system auth log when there is none).')
    .option('-c, --config <file>', 'config file (default: searched from the current directory, f2b.config.* / .f2brc*)')
    .option('--dry-run', 'only log bans (action "log"), change no firewall')
    .option('-f, --foreground', 'stay in the foreground (systemd, containers, tests)')
    .option('--log-file <file>', 'where the detached daemon writes its log (default /var/log/f2b/f2b.log as root, else $XDG_STATE_HOME/f2b/f2b.log)')
    .option('--socket <path>', 'control socket to listen on (overrides the config\'s "socket")')
    .action(run((o) => start(o)));

  program
    .command('test-filter')
    .description("Run a filter (or --pattern) over a log and report matches: f2b's fail2ban-regex.")
    .usage('<filter-id> [file|-] [options]  |  --pattern <re> [--ignore-pattern <re>] [file|-] [options]')
    .argument('[filter-id]', 'filter id, e.g. sshd, nginx-http-auth (f2b filters lists them); with --pattern, the log file')
    .argument('[file]', 'log file, or - for standard input (the default)')
    .option(
      '-p, --pattern <re>',
      "an RE2 pattern instead of a filter, matched on the message, with <HOST>/<ADDR>/<IP4>/<IP6> (repeatable), e.g. 'failure from <HOST>'",
      collect,
    )
    .option('-i, --ignore-pattern <re>', 'lines whose message matches are never a match (repeatable)', collect)
    .option('--json', 'one JSON object per input line: {line, match, id, time, rule, captures, attempts}')
    .option('-m, --mode <mode>', 'filter mode (sshd: normal, ddos, extra, aggressive)')
    .option('-o, --option <key=value>', 'filter option (repeatable)', collect)
    .option('--now <iso>', 'the current time used to infer years of dates without one')
    .option('--timezone <zone>', 'IANA zone of dates written without an offset')
    .addOption(new Option('--format <format>', 'input format').choices(['text', 'journal']).default('text'))
    .option('--annotated', "check the file's # failJSON annotations; exit 1 on any mismatch")
    .addOption(new Option('--show <which>', 'also print the matched or missed lines').choices(['matched', 'missed']))
    .option('-j, --jobs <n>', 'threads for a file: matching split by byte ranges, counting in order (default 1)')
    .option(
      '--explain',
      'per line: the date the parser saw, the rules the prefix dispatch tried and skipped, which matched and their captures (also in --json)',
    )
    .option('--maxretry <n>', 'in the per-address summary, mark addresses with at least this many attempts as banned (default 5)')
    .option('--max-line-length <bytes>', 'longer lines are counted as overlong and never matched, as the file source does (default 65536)')
    .action(run((id, file, o) => testFilter(id, file, o)));

  program
    .command('filters')
    .description('List the filter ids of installed packages (id, package, version, modes).')
    .option('--json', 'machine-readable output')
    .action(run((o) => filters(o)));

  registerPluginsCommand(program, run);
  registerConfigCommands(program, run);
  registerImportCommand(program, run);
  registerControlCommands(program, run);
  registerExplainCommand(program, run);
  registerCompletionCommands(program, run, version);

  return program;
}

export async function main(argv: string[]): Promise<number | undefined> {
  let code: number | undefined;
  const program = buildProgram((c) => {
    code = c;
  });
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportCliError(err);
  }
  return code;
}
