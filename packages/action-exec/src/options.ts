/**
 * Options of the `exec` action: the JSON Schema the core checks, and what a schema cannot say —
 * absolute programs, which placeholders each command may use, one batching mode — turned into
 * compiled command templates.
 */
import type { JSONSchema } from '@f2b/core';
import { execErrors } from './errors.js';
import { compileCommand, type CommandTemplate, type Placeholder } from './placeholders.js';

export type BatchMode = 'none' | 'stdin' | 'file';

export interface ExecOptions {
  /** argv run for each ban (batch mode: for each batch of bans). */
  ban?: string[];
  /** argv run for each unban (batch mode: for each batch). */
  unban?: string[];
  /** argv run when the action starts (and again when `check` fails). */
  start?: string[];
  /** argv run when the action stops. */
  stop?: string[];
  /** argv run before each ban or unban call; when it fails, `start` runs again. */
  check?: string[];
  /** `none` (default): one call per ban; `stdin`/`file`: one call per batch, addresses on stdin or in the file `{ips}`. */
  batch?: BatchMode;
  /** Most addresses in one batch call. Default 1000. */
  batchSize?: number;
  /** A call is killed (its whole process group) after this long. Default 30000. */
  timeoutMs?: number;
  /** Per-ban calls run at once (batch none). Default 1. */
  concurrency?: number;
  /** Names of the daemon's environment variables the program gets. Nothing else is passed. */
  env?: string[];
  /** Fixed environment variables for the program. */
  setEnv?: Record<string, string>;
  /** Working directory. Default `/`. */
  cwd?: string;
  /** Exit codes that mean success. Default [0]. */
  okExitCodes?: number[];
  /** Bytes of stdout and of stderr kept for the log. Default 4096. */
  maxOutput?: number;
}

export interface ExecConfig {
  ban?: CommandTemplate;
  unban?: CommandTemplate;
  start?: CommandTemplate;
  stop?: CommandTemplate;
  check?: CommandTemplate;
  batch: BatchMode;
  batchSize: number;
  timeoutMs: number;
  concurrency: number;
  envNames: readonly string[];
  setEnv: Readonly<Record<string, string>>;
  cwd: string;
  okExitCodes: ReadonlySet<number>;
  maxOutput: number;
}

/** The PATH a program gets unless `env` passes the daemon's or `setEnv` sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const argv: JSONSchema = { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', maxLength: 4096, pattern: '^[^\\u0000]*$' } };

export const optionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ban: argv,
    unban: argv,
    start: argv,
    stop: argv,
    check: argv,
    batch: { type: 'string', enum: ['none', 'stdin', 'file'] },
    batchSize: { type: 'integer', minimum: 1, maximum: 100_000 },
    timeoutMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
    concurrency: { type: 'integer', minimum: 1, maximum: 32 },
    env: { type: 'array', items: { type: 'string', pattern: ENV_NAME } },
    setEnv: { type: 'object', propertyNames: { pattern: ENV_NAME }, additionalProperties: { type: 'string', pattern: '^[^\\u0000]*$' } },
    cwd: { type: 'string', pattern: '^/' },
    okExitCodes: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0, maximum: 255 } },
    maxOutput: { type: 'integer', minimum: 64, maximum: 1_048_576 },
    // fail2ban's string commands are refused with a clear message, not taken apart by guesswork.
    command: { description: 'not allowed: argv arrays only' },
  },
};

const set = (...p: Placeholder[]) => new Set<Placeholder>(p);
const PER_BAN = set('ip', 'jail', 'bantime', 'failures', 'rule', 'end', 'family');
const PER_UNBAN = set('ip', 'jail', 'family', 'reason');
const LIFECYCLE = set('jail');

/** Checks what the schema cannot and compiles the commands. Throws F2bErrors (exit class usage). */
export function normalizeOptions(o: ExecOptions): ExecConfig {
  if ('command' in (o as Record<string, unknown>)) {
    throw execErrors.F2B_ERR_EXEC_OPTIONS(
      'command',
      'is not an option: the exec action never runs a shell string',
      'Write the command as an argv array, e.g. ban: ["/usr/local/sbin/block", "--add", "{ip}"]. To run shell syntax on purpose, name a script file of your own as the program.',
    );
  }
  if (o.ban === undefined && o.unban === undefined) {
    throw execErrors.F2B_ERR_EXEC_OPTIONS('ban', 'is missing (and so is unban)', 'Give at least one of ban and unban, as argv arrays.');
  }
  const batch = o.batch ?? 'none';
  const batchSet = batch === 'file' ? set('jail', 'ips', 'count') : set('jail', 'count');
  const ban = o.ban && compileCommand(o.ban, batch === 'none' ? PER_BAN : batchSet, 'ban');
  const unban = o.unban && compileCommand(o.unban, batch === 'none' ? PER_UNBAN : batchSet, 'unban');
  if (batch === 'file') {
    for (const [name, cmd] of [
      ['ban', ban],
      ['unban', unban],
    ] as const) {
      if (cmd && !cmd.uses.has('ips')) {
        throw execErrors.F2B_ERR_EXEC_OPTIONS(
          name,
          'does not pass {ips}, the file that holds the batch',
          'Add an argument with {ips} (the path of the file with one address a line), or use batch: stdin.',
        );
      }
    }
  }
  return {
    ban,
    unban,
    start: o.start && compileCommand(o.start, LIFECYCLE, 'start'),
    stop: o.stop && compileCommand(o.stop, LIFECYCLE, 'stop'),
    check: o.check && compileCommand(o.check, LIFECYCLE, 'check'),
    batch,
    batchSize: o.batchSize ?? 1000,
    timeoutMs: o.timeoutMs ?? 30_000,
    concurrency: o.concurrency ?? 1,
    envNames: o.env ?? [],
    setEnv: o.setEnv ?? {},
    cwd: o.cwd ?? '/',
    okExitCodes: new Set(o.okExitCodes ?? [0]),
    maxOutput: o.maxOutput ?? 4096,
  };
}

/** The program's environment: the listed variables of the daemon's, then setEnv, then F2B_ACTION and F2B_JAIL. */
export function programEnv(c: ExecConfig, from: NodeJS.ProcessEnv, action: string, jail: string): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of c.envNames) {
    const v = from[name];
    if (v !== undefined) env[name] = v;
  }
  Object.assign(env, c.setEnv);
  env.F2B_ACTION = action;
  env.F2B_JAIL = jail;
  return env;
}
