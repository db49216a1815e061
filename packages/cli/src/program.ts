/**
 * The `f2b` command line (commander). Each command lives in commands/; errors are printed once, with
 * their code and fix, and mapped to the documented exit codes.
 */
import type { Command } from 'commander';
import { registerTestFilterCommand } from './commands/test-filter-command.js';
import { start } from './commands/start.js';
import { filters } from './commands/filters.js';
import { registerControlCommands } from './commands/control.js';
import { registerExplainCommand } from './commands/explain.js';
import { registerPluginsCommand } from './commands/plugins.js';
import { registerConfigCommands } from './commands/config.js';
import { registerImportCommand } from './commands/import.js';
import { registerCompletionCommands } from './commands/completion.js';
import { registerSystemdUnitCommand } from './commands/systemd-unit.js';
import { runner, runProgram, topCommand, version } from './program-base.js';

export function buildProgram(setCode: (code: number) => void = () => {}): Command {
  const run = runner(setCode);
  const program = topCommand();

  program
    .command('start')
    .description('Run the jails of the config (an sshd jail on the system auth log when there is none).')
    .option('-c, --config <file>', 'config file (default: searched from the current directory, f2b.config.* / .f2brc*)')
    .option('--dry-run', 'only log bans (action "log"), change no firewall')
    .option('-f, --foreground', 'stay in the foreground (systemd, containers, tests)')
    .option('--log-file <file>', 'where the detached daemon writes its log (default /var/log/f2b/f2b.log as root, else $XDG_STATE_HOME/f2b/f2b.log)')
    .option('--socket <path>', 'control socket to listen on (overrides the config\'s "socket")')
    .action(run((o) => start(o)));

  registerTestFilterCommand(program, run);

  program
    .command('filters')
    .description("List the filter ids of installed packages (id, package, version, modes); with -c, the config's filters too.")
    .option('-c, --config <file>', "also list this config's own filters (filters:)")
    .option('--json', 'machine-readable output')
    .action(run((o) => filters(o)));

  registerPluginsCommand(program, run);
  registerConfigCommands(program, run);
  registerImportCommand(program, run);
  registerControlCommands(program, run);
  registerExplainCommand(program, run);
  registerCompletionCommands(program, run, version);
  registerSystemdUnitCommand(program, run);

  return program;
}

export function main(argv: string[]): Promise<number | undefined> {
  return runProgram(buildProgram, argv);
}
