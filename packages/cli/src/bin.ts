#!/usr/bin/env node
import { main } from './program.js';

main(process.argv).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
