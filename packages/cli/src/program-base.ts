/**
 * What the whole `f2b` program (program.ts) and the client commands' own (client-program.ts) share:
 * the top-level command, how an action's exit code is kept, and how errors end the run.
 */
import { createRequire } from 'node:module';
import type * as commander from 'commander';
import { EXIT_USAGE, reportCliError } from './errors.js';

const require = createRequire(import.meta.url);
export const { version } = require('../package.json') as { version: string };
/**
 * commander is CommonJS: imported from ESM, Node first runs its lexer (a WebAssembly module, set up
 * on first use) over the file for its export names; required, it is just loaded — a tenth of a
 * client command's start-up less.
 */
const { Command, CommanderError } = require('commander') as typeof commander;
type Command = commander.Command;

/** Wraps a command's implementation: its promised exit code becomes the program's. */
export type Run = <A extends unknown[]>(fn: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

/** The `f2b` command itself, before its subcommands are added. */
export function topCommand(): Command {
  return new Command('f2b')
    .description('f2b: watch logs, recognise attacks, ban their sources (fail2ban, in TypeScript).')
    .version(version)
    .showHelpAfterError()
    .addHelpText('after', '\nExit codes: 0 success, 1 failed check or runtime error, 2 bad usage or configuration.');
}

/** Parse `argv` with the program `build` makes and run the command; returns the exit code. */
export async function runProgram(build: (setCode: (code: number) => void) => Command, argv: string[]): Promise<number | undefined> {
  let code: number | undefined;
  const program = build((c) => {
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

/** The `run` wrapper of a program whose exit code goes to `setCode`. */
export function runner(setCode: (code: number) => void): Run {
  return <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      setCode(await fn(...args));
    };
}
