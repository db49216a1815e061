/**
 * `@f2b/action-exec`: runs a program of yours on ban and unban (and start, stop, check) — how a
 * fail2ban `actionban` comes over. Commands are argv arrays, never shell strings; placeholders
 * expand inside their own argument only, from validated values; the program runs with a timeout
 * (its process group killed), only the environment it is given, and — as root — only if nobody but
 * root could have changed it. A failing exit is an action error: the outbox retries the work.
 */
import type { F2bPlugin } from '@f2b/core';
import { ExecAction } from './action.js';
import { optionsSchema, type ExecOptions } from './options.js';

/**
 * The plugin (its name, version and core range are in package.json). Its options (config
 * `plugins: [["@f2b/action-exec", {...}]]`) are defaults for every jail; a jail's
 * `{ type: exec, ... }` options override them.
 */
export default function execAction(): F2bPlugin<ExecOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'exec',
        schema: optionsSchema,
        create: (instanceOptions, ctx) => new ExecAction({ ...options, ...instanceOptions } as ExecOptions, ctx),
      });
    },
  };
}

export { ExecAction } from './action.js';
export { optionsSchema, normalizeOptions, programEnv, DEFAULT_PATH, type ExecOptions, type ExecConfig, type BatchMode } from './options.js';
export { compileArg, compileCommand, expand, ALL_PLACEHOLDERS, type Placeholder, type ArgTemplate, type CommandTemplate } from './placeholders.js';
export { addressOf, banValues, unbanValues } from './values.js';
export { checkProgram, type ProgramCheck } from './program.js';
export { runProgram, type RunSpec, type RunResult } from './run.js';
export { execErrors } from './errors.js';
