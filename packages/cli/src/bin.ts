#!/usr/bin/env node
import { main } from './program.js';

// `f2b … | head` closes the pipe early: the reader has what it wanted, so end quietly (no EPIPE trace).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
