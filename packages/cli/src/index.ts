/**
 * `@f2b/cli` from code: the program (commander) and its entry point, e.g. to embed the `f2b` command.
 */
export { buildProgram, main } from './program.js';
