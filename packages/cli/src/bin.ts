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
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`);
} else if (args[0] !== undefined && CLIENT_COMMANDS.includes(args[0])) {
  // A client command loads its own small program: no engine, no other commands (start-up).
  const { mainClient } = await import('./client-program.js');
  const code = await mainClient(process.argv);
  if (code !== undefined) process.exitCode = code;
} else if (args[0] === '__complete') {
  // What a completion script asks for on Tab: answered without commander, quickly, never hanging.
  const { complete } = await import('./complete.js');
  await complete(args.slice(1));
} else if (args[0] === 'test-filter') {
  // So does test-filter: the filter engine, without the daemon's modules.
  const { mainTestFilter } = await import('./test-filter-program.js');
  const code = await mainTestFilter(process.argv);
  if (code !== undefined) process.exitCode = code;
} else {
  const { main } = await import('./program.js');
  const code = await main(process.argv);
  if (code !== undefined) process.exitCode = code;
}
