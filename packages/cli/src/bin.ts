#!/usr/bin/env node
import { createRequire } from 'node:module';
import { CLIENT_COMMANDS } from './client/commands.js';

// `f2b … | head` closes the pipe early: the reader has what it wanted, so end quietly (no EPIPE trace).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// `f2b --version` answers from package.json without loading the program (commander, core, plugins):
// it is what scripts and package managers call to probe the install.
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
void runCommandLine();

/**
 * The command line's program. No top-level await: bin/f2b.js (CommonJS) `require`s this module, which
 * spares every command the ES loader's asynchronous entry (its promise-based file reads, a job per
 * module: about 10 ms of a start-up).
 */
async function runCommandLine(): Promise<void> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${(require('../package.json') as { version: string }).version}\n`);
  } else if (args[0] !== undefined && CLIENT_COMMANDS.includes(args[0])) {
    // A client command's usual command line runs without commander (client/quick-args.ts); any other
    // goes to its own small program: no engine, no other commands (start-up).
    const { quickClientArgs } = await load<typeof import('./client/quick-args.js')>('./client/quick-args.js');
    const quick = quickClientArgs(args);
    const code = quick
      ? await (await load<typeof import('./client/quick-run.js')>('./client/quick-run.js')).runQuick(quick)
      : await (await load<typeof import('./client-program.js')>('./client-program.js')).mainClient(process.argv);
    if (code !== undefined) process.exitCode = code;
  } else if (args[0] === '__complete') {
    // What a completion script asks for on Tab: answered without commander, quickly, never hanging.
    const { complete } = await import('./complete.js');
    await complete(args.slice(1));
  } else if (args[0] === 'test-filter') {
    // So does test-filter: the filter engine, without the daemon's modules; its usual command lines
    // without commander either (test-filter/quick-args.ts).
    const { quickTestFilterArgs } = await load<typeof import('./test-filter/quick-args.js')>('./test-filter/quick-args.js');
    const quick = quickTestFilterArgs(args);
    const code = quick
      ? await (await load<typeof import('./test-filter/quick-run.js')>('./test-filter/quick-run.js')).runQuickTestFilter(quick)
      : await (await load<typeof import('./test-filter-program.js')>('./test-filter-program.js')).mainTestFilter(process.argv);
    if (code !== undefined) process.exitCode = code;
  } else {
    const { main } = await load<typeof import('./program.js')>('./program.js');
    const code = await main(process.argv);
    if (code !== undefined) process.exitCode = code;
  }
}

/**
 * A program's modules, loaded by require where Node can (ES modules without top-level await,
 * Node ≥ 20.19 and ≥ 22.12): synchronously, without the ES loader's asynchronous steps (a file
 * handle opened, read and closed through promises, a job per module), which cost a client command
 * about a millisecond per module — 30 of them for `f2b ping`. The same modules either way (one
 * cache); where Node cannot, import() loads them.
 */
async function load<T>(path: string): Promise<T> {
  try {
    return require(path) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return (await import(path)) as T;
    throw err;
  }
}
