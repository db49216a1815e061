/**
 * Options of the journald source: their JSON Schema, the checks the schema can't express, the match
 * presets, and the journalctl command line they turn into.
 */
import type { PluginApi } from '@f2b/core';

/** What option checks need from the plugin's api: its name (for messages) and the core's errors. */
export type OptionsApi = Pick<PluginApi, 'name' | 'errors'>;

export interface JournaldSourceOptions {
  /** A ready-made match set: `sshd` (see `PRESETS`). Combined with `matches` by OR. */
  preset?: keyof typeof PRESETS;
  /** journalctl matches, one per element: `FIELD=value`, `+` (OR), or an absolute path. */
  matches?: string[];
  /** Read the journal files in this directory (`--directory`), e.g. /var/log/journal/remote. */
  directory?: string;
  /** Read these journal files (`--file`, globs allowed). */
  files?: string[];
  /** A journal namespace (`--namespace`). */
  namespace?: string;
  /** `--merge`: interleave all available journals and follow every boot. Default: on with directory/files. */
  merge?: boolean;
  /** `--user`: the current user's journal. */
  user?: boolean;
  /** `--system`: the system journal. */
  system?: boolean;
  /** journalctl to run; default `journalctl` from PATH. */
  journalctlPath?: string;
  /** Replay from this time (journalctl `--since` syntax) on a start without a saved cursor. */
  since?: string;
  /** Resume after this cursor (the state store fills this in). */
  cursor?: string;
  /** Keep the cursor in this file too (written atomically after each processed batch). */
  stateFile?: string;
  /** Most entries handed to the jail at once. */
  batchSize?: number;
  /** Longest journalctl output line (one record, in bytes) accepted; longer records are skipped. */
  maxRecordSize?: number;
  /** First restart delay after journalctl failed, ms; doubles per failure. */
  restartDelay?: number;
  /** Cap of the restart delay, ms. */
  maxRestartDelay?: number;
}

/**
 * sshd's messages. The syslog identifier comes first: journald drops `_SYSTEMD_UNIT` (and sometimes
 * `_COMM`) of processes that exit right after logging — as sshd's per-connection processes do — so
 * the unit alone misses attempts. OpenSSH ≥ 9.8 logs as `sshd-session`; Debian's unit is ssh.service,
 * most others call it sshd.service.
 */
export const PRESETS = {
  sshd: ['SYSLOG_IDENTIFIER=sshd', '+', 'SYSLOG_IDENTIFIER=sshd-session', '+', '_SYSTEMD_UNIT=ssh.service', '+', '_SYSTEMD_UNIT=sshd.service'],
} as const satisfies Record<string, readonly string[]>;

/** `FIELD=value`, `+`, or an absolute path (journalctl turns `/usr/sbin/sshd` into `_EXE=`). */
const MATCH = '^(?:\\+|[A-Z_][A-Z0-9_]*=[\\s\\S]*|/[\\s\\S]*)$';
/** journalctl cursors: `s=…;i=…;b=…;m=…;t=…;x=…`. */
export const CURSOR = /^[a-z]=[0-9a-f]+(?:;[a-z]=[0-9a-f]+)*$/;

export const journaldSourceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    preset: { enum: Object.keys(PRESETS) },
    matches: { type: 'array', items: { type: 'string', pattern: MATCH } },
    directory: { type: 'string', minLength: 1 },
    files: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    namespace: { type: 'string', minLength: 1 },
    merge: { type: 'boolean' },
    user: { type: 'boolean' },
    system: { type: 'boolean' },
    journalctlPath: { type: 'string', minLength: 1 },
    since: { type: 'string', minLength: 1 },
    cursor: { type: 'string', pattern: CURSOR.source },
    stateFile: { type: 'string', minLength: 1 },
    batchSize: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    maxRecordSize: { type: 'integer', minimum: 65_536 },
    restartDelay: { type: 'integer', minimum: 10 },
    maxRestartDelay: { type: 'integer', minimum: 10 },
  },
};

export const DEFAULTS = {
  journalctlPath: 'journalctl',
  batchSize: 1000,
  maxRecordSize: 4 * 1024 * 1024,
  restartDelay: 1000,
  maxRestartDelay: 30_000,
};

export interface ResolvedOptions {
  journalctlPath: string;
  /** Everything before the position arguments: journal selection and output format. */
  baseArgs: string[];
  /** The match arguments (after `--`). */
  matches: string[];
  since?: string;
  cursor?: string;
  stateFile?: string;
  batchSize: number;
  maxRecordSize: number;
  restartDelay: number;
  maxRestartDelay: number;
}

/** The fields `journalRecordToEntry` reads; journalctl always adds __CURSOR and the timestamps. */
const OUTPUT_FIELDS = ['MESSAGE', 'SYSLOG_IDENTIFIER', '_COMM', 'SYSLOG_PID', '_PID', '_HOSTNAME', '_SYSTEMD_UNIT', '_SOURCE_REALTIME_TIMESTAMP'];

/** Check what the schema can't and build the journalctl arguments. Throws F2B_ERR_PLUGIN_OPTIONS. */
export function resolveOptions(opts: JournaldSourceOptions, jail: string, api: OptionsApi): ResolvedOptions {
  const at = (key: string) => `jails.${jail}.source.${key}`;
  const bad = (key: string, problem: string) => api.errors.F2B_ERR_PLUGIN_OPTIONS(api.name, at(key), problem);
  const where = (['directory', 'files', 'namespace'] as const).filter((k) => opts[k] !== undefined);
  if (where.length > 1) throw bad(where[1]!, `cannot be combined with "${where[0]}" (journalctl reads one of them)`);
  if ((opts.directory !== undefined || opts.files !== undefined) && (opts.user || opts.system)) {
    throw bad(opts.user ? 'user' : 'system', `cannot be combined with "${opts.directory !== undefined ? 'directory' : 'files'}"`);
  }
  const matches = [...(opts.preset ? PRESETS[opts.preset] : []), ...(opts.preset && opts.matches?.length ? ['+'] : []), ...(opts.matches ?? [])];
  const m = opts.matches ?? [];
  if (m[0] === '+' || m[m.length - 1] === '+' || m.some((x, i) => x === '+' && m[i + 1] === '+')) {
    throw bad('matches', 'has a "+" at the start, at the end or twice in a row ("+" stands between two groups of matches)');
  }
  if (opts.cursor !== undefined && !CURSOR.test(opts.cursor)) throw bad('cursor', 'is not a journal cursor');
  const restartDelay = opts.restartDelay ?? DEFAULTS.restartDelay;
  const maxRestartDelay = opts.maxRestartDelay ?? Math.max(DEFAULTS.maxRestartDelay, restartDelay);
  if (maxRestartDelay < restartDelay) throw bad('maxRestartDelay', 'must not be smaller than "restartDelay"');

  const baseArgs: string[] = [];
  if (opts.directory !== undefined) baseArgs.push(`--directory=${opts.directory}`);
  for (const f of opts.files ?? []) baseArgs.push(`--file=${f}`);
  if (opts.namespace !== undefined) baseArgs.push(`--namespace=${opts.namespace}`);
  if (opts.system) baseArgs.push('--system');
  if (opts.user) baseArgs.push('--user');
  // `--follow` alone only shows the boot that is current (for a directory: the last one in it);
  // `--merge` lifts that, which is what a directory of remote journals needs.
  if (opts.merge ?? (opts.directory !== undefined || opts.files !== undefined)) baseArgs.push('--merge');
  baseArgs.push('--output=json', '--all', `--output-fields=${OUTPUT_FIELDS.join(',')}`, '--no-pager');
  return {
    journalctlPath: opts.journalctlPath ?? DEFAULTS.journalctlPath,
    baseArgs,
    matches,
    since: opts.since,
    cursor: opts.cursor,
    stateFile: opts.stateFile,
    batchSize: opts.batchSize ?? DEFAULTS.batchSize,
    maxRecordSize: opts.maxRecordSize ?? DEFAULTS.maxRecordSize,
    restartDelay,
    maxRestartDelay,
  };
}

/** Where a journalctl run starts. */
export type Position =
  | { kind: 'tail' } // not positioned yet: find the last matching entry
  /** No matching entry existed when we positioned (at `since`, `@<epoch s>`): every entry is new. */
  | { kind: 'head'; since: string }
  | { kind: 'since'; since: string }
  | { kind: 'cursor'; cursor: string };

/**
 * The arguments of one run. `follow: false` reads to the current end and exits (catch-up); each
 * (re)start does that first, then follows. A cursor is given with `--cursor` (not `--after-cursor`)
 * and the entry it names is dropped by the reader: journalctl 252's `--after-cursor` skips one entry
 * too many when the cursor's entry doesn't match the current matches (e.g. it is from an earlier boot).
 */
export function journalctlArgs(o: ResolvedOptions, position: Position, follow: boolean): string[] {
  const args = [...o.baseArgs];
  switch (position.kind) {
    case 'tail':
      args.push('--lines=1');
      break;
    case 'head':
      if (follow) args.push('--no-tail');
      break;
    case 'since':
      args.push(`--since=${position.since}`);
      break;
    case 'cursor':
      args.push(`--cursor=${position.cursor}`);
      break;
  }
  if (follow) args.push('--follow');
  if (o.matches.length > 0) args.push('--', ...o.matches);
  return args;
}

/** A shell-like rendering of a command, for messages (not for running). */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
