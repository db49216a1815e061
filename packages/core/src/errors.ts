/**
 * Every error f2b reports on purpose is an `F2bError`: a stable code (`F2B_ERR_*`), a full sentence
 * saying what is wrong, and the fix. Factories live here, in one place, so messages stay consistent
 * and the codes are documented by reading one file (the Fastify `errors.js` model).
 */

export interface F2bErrorDetails {
  /** How to fix it, as a sentence or a command. */
  fix?: string;
  /** Config key path of the bad value, e.g. `jails.sshd.maxretry`. */
  path?: string;
  /** Config file the value came from. */
  file?: string;
  /** Plugin and hook, for errors thrown inside a plugin tap. */
  plugin?: string;
  hook?: string;
  cause?: unknown;
}

export class F2bError extends Error {
  readonly code: string;
  readonly fix?: string;
  readonly path?: string;
  readonly file?: string;
  readonly plugin?: string;
  readonly hook?: string;

  constructor(code: string, message: string, details: F2bErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'F2bError';
    this.code = code;
    this.fix = details.fix;
    this.path = details.path;
    this.file = details.file;
    this.plugin = details.plugin;
    this.hook = details.hook;
  }

  /** The message with its location and fix, as printed to people. */
  describe(): string {
    const where = [this.file, this.path].filter(Boolean).join(': ');
    const head = `${this.code}: ${where ? `${where}: ` : ''}${this.message}`;
    return this.fix ? `${head}\n  Fix: ${this.fix}` : head;
  }
}

export function isF2bError(err: unknown): err is F2bError {
  return err instanceof F2bError || (typeof err === 'object' && err !== null && 'code' in err &&
    typeof (err as { code: unknown }).code === 'string' && (err as { code: string }).code.startsWith('F2B_ERR_'));
}

const q = (s: string) => `"${s}"`;

export const errors = {
  configInvalid: (path: string, problem: string, fix: string, file?: string) =>
    new F2bError('F2B_ERR_CONFIG_INVALID', `The value at ${q(path)} ${problem}.`, { path, fix, file }),

  configNotFound: (file: string) =>
    new F2bError('F2B_ERR_CONFIG_NOT_FOUND', `The config file ${q(file)} does not exist or cannot be read.`, {
      file, fix: 'Check the path given to --config, or run without --config to use the default configuration.',
    }),

  configParse: (file: string, cause: unknown) =>
    new F2bError('F2B_ERR_CONFIG_PARSE', `The config file ${q(file)} could not be parsed: ${messageOf(cause)}.`, {
      file, cause, fix: 'Fix the syntax error in the file (JSON, YAML or JavaScript module).',
    }),

  /** `at`: where the file was named (the extending file and its "extends" key), when not by the user. */
  configUntrusted: (file: string, problem: string, at?: { file: string; path: string }) =>
    new F2bError('F2B_ERR_CONFIG_UNTRUSTED', `The config file ${q(file)} is not loaded: ${problem}, so another user could change what f2b runs.`, {
      file: at?.file ?? file, path: at?.path, fix: 'Keep configs in a directory only root (or the user f2b runs as) may write, e.g. /etc/f2b: `chown root: FILE` and `chmod go-w FILE` and each directory above it.',
    }),

  configLimit: (file: string, problem: string) =>
    new F2bError('F2B_ERR_CONFIG_LIMIT', `The config file ${q(file)} is refused: ${problem}.`, {
      file, fix: 'Write the config without deeply nested YAML aliases (anchors used over and over) and keep it under 1 MiB; split it with "extends".',
    }),

  pluginNotFound: (ref: string, packageName: string, path?: string) =>
    new F2bError('F2B_ERR_PLUGIN_NOT_FOUND', `The plugin ${q(ref)} is not installed (looked for the package ${q(packageName)}).`, {
      path, fix: `Run \`npm i ${packageName}\` in the directory of your config (or globally next to f2b).`,
    }),

  filterNotFound: (id: string, tried: string[], path?: string) =>
    new F2bError('F2B_ERR_FILTER_NOT_FOUND', `No installed package provides the filter id ${q(id)}.`, {
      path, fix: tried.length > 0
        ? `Install the package that provides it, e.g. \`npm i ${tried[0]}\`, or check the spelling (\`f2b filters\` lists the installed ids).`
        : 'Check the spelling (`f2b filters` lists the installed ids).',
    }),

  pluginUntrusted: (name: string, file: string, problem: string, path?: string) =>
    new F2bError('F2B_ERR_PLUGIN_UNTRUSTED', `The plugin ${q(name)} is not loaded from ${q(file)}: ${problem}, so another user could change the code f2b runs.`, {
      path, plugin: name, fix: 'Install plugins where only root (or the user f2b runs as) may write: next to f2b, in the global prefix (`sudo npm i -g`), or next to a config in /etc/f2b.',
    }),

  pluginInvalid: (name: string, problem: string, path?: string) =>
    new F2bError('F2B_ERR_PLUGIN_INVALID', `The plugin ${q(name)} is not a valid f2b plugin: ${problem}.`, {
      path, fix: 'A plugin package exports (by default) an object { schema?, apply(api, options) }, or a function of no arguments returning one, and names its @f2b/core range in package.json (peerDependencies); see docs/plugin-authors.md.',
    }),

  pluginVersionMismatch: (name: string, range: string, coreVersion: string, path?: string) =>
    new F2bError('F2B_ERR_PLUGIN_VERSION_MISMATCH',
      `The plugin ${q(name)} requires @f2b/core ${q(range)}, but ${q(coreVersion)} is installed.`, {
        path, plugin: name, fix: `Install a version of ${name} built for @f2b/core ${coreVersion} (\`npm i ${name}@latest\`), or a matching @f2b/core.`,
      }),

  pluginOptions: (name: string, path: string, problem: string) =>
    new F2bError('F2B_ERR_PLUGIN_OPTIONS', `The option at ${q(path)} for ${q(name)} ${problem}.`, {
      path, plugin: name, fix: `See the README of ${name} for its options.`,
    }),

  pluginHook: (plugin: string, hook: string, cause: unknown) =>
    new F2bError('F2B_ERR_PLUGIN_HOOK', `The plugin ${q(plugin)} threw in the hook ${q(hook)}: ${messageOf(cause)}.`, {
      plugin, hook, cause, fix: `This is a bug in ${plugin}; report it to its authors. f2b keeps running.`,
    }),

  patternInvalid: (filter: string, rule: string, problem: string) =>
    new F2bError('F2B_ERR_PATTERN_INVALID', `The rule ${q(rule)} of the filter ${q(filter)} is not a valid RE2 pattern: ${problem}.`, {
      fix: 'Filter patterns run on RE2: no backreferences or lookaround. Rewrite the pattern without them.',
    }),

  patternInvalidIn: (where: string, problem: string) =>
    new F2bError('F2B_ERR_PATTERN_INVALID', `${where} is not a valid RE2 pattern: ${problem}.`, {
      fix: 'Check the brackets, escapes and group names of the pattern (RE2 syntax: https://github.com/google/re2/wiki/Syntax).',
    }),

  patternUnsupported: (where: string, construct: string, text: string, fix: string) =>
    new F2bError('F2B_ERR_PATTERN_UNSUPPORTED', `${where}: ${q(text)} ${construct} is not supported by RE2 (f2b runs every pattern on RE2, so that matching takes linear time whatever a log line says).`, {
      fix: `Rewrite the pattern without it: ${fix}.`,
    }),

  modeUnknown: (filter: string, mode: string, modes: readonly string[], path?: string) =>
    new F2bError('F2B_ERR_MODE_UNKNOWN', `The filter ${q(filter)} has no mode ${q(mode)}.`, {
      path, fix: `Use one of: ${modes.join(', ')}.`,
    }),

  durationInvalid: (value: unknown, path?: string) =>
    new F2bError('F2B_ERR_DURATION_INVALID', `${JSON.stringify(value)} is not a duration.`, {
      path, fix: 'Write a number of seconds or a number with a unit: 30s, 10m, 1h, 1d, 1w, 1mo, 1y (e.g. "1h30m"); -1 means forever where allowed.',
    }),

  durationOutOfRange: (value: unknown, path: string | undefined, problem: string, fix: string) =>
    new F2bError('F2B_ERR_DURATION_INVALID', `The duration ${JSON.stringify(value)} ${problem}.`, { path, fix }),

  addressInvalid: (value: string, path?: string) =>
    new F2bError('F2B_ERR_ADDRESS_INVALID', `${q(value)} is not an IP address or CIDR network.`, {
      path, fix: 'Write an IPv4 or IPv6 address, optionally with a /prefix (e.g. 192.0.2.0/24, 2001:db8::/32).',
    }),

  timezoneInvalid: (zone: string, path?: string) =>
    new F2bError('F2B_ERR_TIMEZONE_INVALID', `${q(zone)} is not a known time zone.`, {
      path, fix: 'Use an IANA zone name such as Europe/Berlin or UTC.',
    }),

  sourceFailed: (source: string, problem: string) =>
    new F2bError('F2B_ERR_SOURCE', `The source ${q(source)} failed: ${problem}.`, {
      fix: 'Check that the log exists and is readable by f2b; f2b retries on its own.',
    }),

  actionFailed: (action: string, problem: string) =>
    new F2bError('F2B_ERR_ACTION', `The action ${q(action)} failed: ${problem}.`, {
      fix: 'See the message above; f2b keeps the ban in its own state and retries.',
    }),

  actionTimeout: (action: string, what: string, seconds: number) =>
    new F2bError('F2B_ERR_ACTION_TIMEOUT', `The action ${q(action)} did not finish ${what} within ${seconds} s; the jail goes on without waiting for it.`, {
      fix: 'f2b keeps the work in its outbox and retries it every 30 s. Check what the action talks to; raise actionTimeout if it is only slow.',
    }),

  stateUnavailable: (location: string, cause: unknown) =>
    new F2bError('F2B_ERR_STATE_UNAVAILABLE', `The state store ${q(location)} cannot save checkpoints: ${messageOf(cause)}. Bans still reach the actions; what was decided is kept in memory and saved once the store accepts writes again.`, {
      cause, path: 'state', fix: 'Free space on its file system, make it writable again (mount read-write, `chattr -i`), or end the process that holds the database locked (`fuser -v` on the file); f2b retries on its own.',
    }),

  statePathIsDirectory: (path: string) =>
    new F2bError('F2B_ERR_STATE_PATH', `The state database path ${q(path)} is a directory.`, {
      path: 'state.path', fix: `Point state.path at a file, e.g. ${JSON.stringify(path.replace(/\/+$/, '') + '/f2b.db')}.`,
    }),

  stateDirUnusable: (dir: string, problem: string) =>
    new F2bError('F2B_ERR_STATE_DIR', `The directory ${q(dir)} for the state database cannot be created: ${problem}.`, {
      path: 'state.path', fix: `Create it (\`mkdir -p ${dir}\`) writable by the user f2b runs as, or point state.path at a directory that exists.`,
    }),

  stateReadonly: (path: string, problem: string, fix: string) =>
    new F2bError('F2B_ERR_STATE_READONLY', `The state database ${q(path)} cannot be written: ${problem}.`, { path: 'state.path', fix }),

  stateLocked: (path: string) =>
    new F2bError('F2B_ERR_STATE_LOCKED', `The state database ${q(path)} is locked by another process.`, {
      path: 'state.path', fix: 'End the process holding it (`fuser -v` on the file shows it; e.g. an open `sqlite3` shell with a transaction), then start f2b again.',
    }),

  stateVersion: (path: string, found: number, known: number) =>
    new F2bError('F2B_ERR_STATE_VERSION', `The state database ${q(path)} has schema version ${found}, newer than this f2b knows (${known}).`, {
      path: 'state.path', fix: 'Upgrade f2b, or point state.path at another file.',
    }),

  stateCorrupt: (path: string, movedTo: string, problem: string) =>
    new F2bError('F2B_ERR_STATE_CORRUPT', `The state database ${q(path)} is corrupt (${problem}); it was moved to ${q(movedTo)} and f2b starts with a new, empty one. Bans the actions can list are recovered; ban history and failure counts are lost.`, {
      path: 'state.path', fix: `Keep ${movedTo} for inspection (\`sqlite3 ${movedTo} .recover\`) or delete it; check the disk (dmesg, smartctl) if this happens again.`,
    }),

  usage: (message: string, fix: string) => new F2bError('F2B_ERR_USAGE', message, { fix }),

  /** A jail whose sources can deliver nothing (no file matches, no journal) and that may not wait. */
  nothingWatched: (jail: string, reasons: readonly string[], path?: string) =>
    new F2bError('F2B_ERR_JAIL_WATCHES_NOTHING', `The jail ${q(jail)} watches nothing: ${reasons.join('; ')}.`, {
      path, fix: 'Correct the path (or the journal options) of its source, or, if the log will appear later, ' +
        'say that the jail may wait for it: `waitForLog: true` (or `enabledIf: { exists: [...] }`).',
    }),

  /** `f2b start` with jails of which none watches anything. */
  noJailWatches: (jails: readonly string[]) =>
    new F2bError('F2B_ERR_NOTHING_WATCHED', `No jail watches anything (${jails.join(', ')}): f2b would protect nothing.`, {
      fix: 'Fix the sources named above (`f2b config check` shows them), or mark jails whose log appears later with `waitForLog: true`.',
    }),

  /** A manual ban of an address the jail never bans (loopback, ignoreip, this host's with ignoreself). */
  banRefused: (ip: string, jail: string, reason: 'loopback' | 'ignoreip' | 'ignoreself') =>
    new F2bError('F2B_ERR_BAN_REFUSED', {
      loopback: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is a loopback address, which f2b never bans.`,
      ignoreip: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is in the jail's ignoreip, which f2b never bans.`,
      ignoreself: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is an address of this host and the jail has ignoreself on.`,
    }[reason], {
      fix: reason === 'loopback'
        ? 'Ban the address the attack really comes from; loopback traffic is this host talking to itself.'
        : `Remove it from jails.${jail}.${reason === 'ignoreip' ? 'ignoreip' : 'ignoreip (or set ignoreself: false)'} and reload, if it really must be banned.`,
    }),
} as const;

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/\.$/, '');
  return String(err);
}
