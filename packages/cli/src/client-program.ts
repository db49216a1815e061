/**
 * The `f2b` program with the client commands alone (`f2b ping`, `status`, `banned`, …): bin.ts
 * loads this one for them. The whole program imports every command and, through them, all of
 * @f2b/core — RE2, tapable, the engine — which made `f2b ping` cost 2.7× `node -e 0`; this one
 * loads commander, the client and @f2b/core/client.
 */
import type { Command } from 'commander';
import { registerControlCommands } from './commands/control.js';
import { runner, runProgram, topCommand } from './program-base.js';

export function buildClientProgram(setCode: (code: number) => void = () => {}): Command {
  const program = topCommand();
  registerControlCommands(program, runner(setCode));
  return program;
}

export function mainClient(argv: string[]): Promise<number | undefined> {
  return runProgram(buildClientProgram, argv);
}
