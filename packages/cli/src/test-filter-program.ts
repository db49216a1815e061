/**
 * The `f2b` program with `test-filter` alone: bin.ts loads this one for it. The whole program
 * imports every command and all of @f2b/core (the daemon, the store, the control socket, the
 * dashboard), which on a small log cost more than reading it; this one loads the filter engine
 * (@f2b/core/engine) and test-filter's own modules.
 */
import type { Command } from 'commander';
import { registerTestFilterCommand } from './commands/test-filter-command.js';
import { runner, runProgram, topCommand } from './program-base.js';

export function buildTestFilterProgram(setCode: (code: number) => void = () => {}): Command {
  const program = topCommand();
  registerTestFilterCommand(program, runner(setCode));
  return program;
}

export function mainTestFilter(argv: string[]): Promise<number | undefined> {
  return runProgram(buildTestFilterProgram, argv);
}
