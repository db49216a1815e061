#!/usr/bin/env node
import { createRequire } from 'node:module';

// `f2b --version` answers from package.json without loading the program (commander, core, plugins):
// it is what scripts and package managers call to probe the install.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${(createRequire(import.meta.url)('../package.json') as { version: string }).version}\n`);
} else {
  const { main } = await import('./program.js');
  const code = await main(process.argv);
  if (code !== undefined) process.exitCode = code;
}
