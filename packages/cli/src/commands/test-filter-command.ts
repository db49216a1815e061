/**
 * The `f2b test-filter` command's arguments and options, for the whole program and for its own
 * small one (test-filter-program.ts, which bin.ts runs for it).
 */
import { Option, type Command } from 'commander';
import { testFilter } from './test-filter.js';
import type { Run } from '../program-base.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerTestFilterCommand(program: Command, run: Run): void {
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
    .option('-c, --config <file>', "a config whose filters: (the config's own filters) may hold the filter id")
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
}
