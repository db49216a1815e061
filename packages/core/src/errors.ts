/**
 * The core's errors table: every code the core reports, defined once with its sentence, its fix and
 * its exit class (`usage`: the `f2b` command exits 2; `failure`: 1). `F2bError`, the brand and
 * `defineErrors` live in `@f2b/kit`, so plugins build their own tables the same way and their errors
 * are recognised by the core whatever copy of the kit they carry. Call a row by its code:
 * `throw errors.F2B_ERR_CONFIG_NOT_FOUND(file)`.
 */
import { defineErrors, kitErrors, messageOf, quote as q } from '@f2b/kit/client';
import { notFoundFix, packageNotFoundFix } from './catalogue.js';

export { F2bError, isF2bError, messageOf, relocateError, type F2bErrorDetails } from '@f2b/kit/client';

/** Where a config value was written, when it is not the file the error names by itself. */
type Where = string | { file?: string; path?: string };

const whereOf = (where: Where | undefined) => (typeof where === 'string' ? { file: where } : (where ?? {}));

/** `extends` entries that name what does not exist: `by` is the file (label) that names it. */
interface NamedInExtends {
  spec: string;
  by: string;
  path: string;
  package?: string;
}

/** The core's rows, and those of the kit's own helpers (durations, addresses), in one table. */
export const errors = Object.freeze({
  ...kitErrors,
  ...defineErrors({
    /** `where`: the file (or file and key path) the bad value came from. */
    F2B_ERR_CONFIG_INVALID: {
      exit: 'usage',
      make: (path: string, problem: string, fix: string, where?: Where) => ({
        message: `The value at ${q(path)} ${problem}.`,
        path,
        fix,
        ...whereOf(where),
      }),
    },

    /** `named`: the config was named in "extends" (a file, or a package when `named.package` is set). */
    F2B_ERR_CONFIG_NOT_FOUND: {
      exit: 'usage',
      make: (file: string, named?: NamedInExtends) =>
        named === undefined
          ? {
              message: `The config file ${q(file)} does not exist or cannot be read.`,
              file,
              fix: 'Check the path given to --config, or run without --config to use the default configuration.',
            }
          : named.package === undefined
            ? {
                message: `The config ${q(named.spec)} named in "extends" does not exist (looked for ${file}).`,
                file: named.by,
                path: named.path,
                fix: 'Check the path: files in "extends" are relative to the file that names them.',
              }
            : {
                message: `The config package ${q(named.spec)} named in "extends" is not installed.`,
                file: named.by,
                path: named.path,
                fix: `Run \`npm i ${named.package}\` in the directory of your config (or globally next to f2b).`,
              },
    },

    F2B_ERR_CONFIG_PARSE: {
      exit: 'usage',
      make: (file: string, cause: unknown) => ({
        message: `The config file ${q(file)} could not be parsed: ${messageOf(cause)}.`,
        file,
        cause,
        fix: 'Fix the syntax error in the file (JSON, YAML or JavaScript module).',
      }),
    },

    /** `at`: where the file was named (the extending file and its "extends" key), when not by the user. */
    F2B_ERR_CONFIG_CODE_REFUSED: {
      exit: 'usage',
      make: (file: string) => ({
        message: `The config file ${q(file)} is a program, and this command reads data configs only (it never runs code to answer).`,
        file,
        fix: 'Use a JSON or YAML config here, or run the command that needs it (f2b start, f2b config print) with this config.',
      }),
    },
    F2B_ERR_CONFIG_UNTRUSTED: {
      exit: 'usage',
      make: (file: string, problem: string, at?: { file: string; path: string }) => ({
        message: `The config file ${q(file)} is not loaded: ${problem}, so another user could change what f2b runs.`,
        file: at?.file ?? file,
        path: at?.path,
        fix: 'Keep configs in a directory only root (or the user f2b runs as) may write, e.g. /etc/f2b: `chown root: FILE` and `chmod go-w FILE` and each directory above it.',
      }),
    },

    F2B_ERR_CONFIG_LIMIT: {
      exit: 'usage',
      make: (file: string, problem: string) => ({
        message: `The config file ${q(file)} is refused: ${problem}.`,
        file,
        fix: 'Write the config without deeply nested YAML aliases (anchors used over and over) and keep it under 1 MiB; split it with "extends".',
      }),
    },

    /** `installed`: the ids of that kind installed, for "did you mean". */
    F2B_ERR_PLUGIN_NOT_FOUND: {
      exit: 'usage',
      make: (ref: string, packageName: string, path?: string, installed?: readonly string[]) => ({
        message: `The plugin ${q(ref)} is not installed (looked for the package ${q(packageName)}).`,
        path,
        fix: packageNotFoundFix(packageName, ref, installed),
      }),
    },

    /** `tried`: package names looked for; an `npm i` is named only for a published one or one the user named. */
    F2B_ERR_FILTER_NOT_FOUND: {
      exit: 'usage',
      make: (id: string, tried: string[], path?: string, installed?: readonly string[]) => ({
        message: `No installed package provides the filter id ${q(id)}.`,
        path,
        fix:
          tried[0] === id && !id.startsWith('@f2b/')
            ? `Run \`npm i ${id}\` in the directory of your config (or globally next to f2b).`
            : notFoundFix(id, 'filter', installed),
      }),
    },

    F2B_ERR_PLUGIN_UNTRUSTED: {
      exit: 'usage',
      make: (name: string, file: string, problem: string, path?: string) => ({
        message: `The plugin ${q(name)} is not loaded from ${q(file)}: ${problem}, so another user could change the code f2b runs.`,
        path,
        plugin: name,
        fix: 'Install plugins where only root (or the user f2b runs as) may write: next to f2b, in the global prefix (`sudo npm i -g`), or next to a config in /etc/f2b.',
      }),
    },

    F2B_ERR_PLUGIN_INVALID: {
      exit: 'usage',
      make: (name: string, problem: string, path?: string) => ({
        message: `The plugin ${q(name)} is not a valid f2b plugin: ${problem}.`,
        path,
        fix: 'A plugin package exports (by default) an object { schema?, apply(api, options) }, or a function of no arguments returning one, and names its @f2b/core range in package.json (peerDependencies); see docs/plugin-authors.md.',
      }),
    },

    F2B_ERR_PLUGIN_VERSION_MISMATCH: {
      exit: 'usage',
      make: (name: string, range: string, coreVersion: string, path?: string) => ({
        message: `The plugin ${q(name)} requires @f2b/core ${q(range)}, but ${q(coreVersion)} is installed.`,
        path,
        plugin: name,
        fix: `Install a version of ${name} built for @f2b/core ${coreVersion} (\`npm i ${name}@latest\`), or a matching @f2b/core.`,
      }),
    },

    F2B_ERR_PLUGIN_OPTIONS: {
      exit: 'usage',
      make: (name: string, path: string, problem: string) => ({
        message: `The option at ${q(path)} for ${q(name)} ${problem}.`,
        path,
        plugin: name,
        fix: `See the README of ${name} for its options.`,
      }),
    },

    F2B_ERR_PLUGIN_HOOK: {
      exit: 'failure',
      make: (plugin: string, hook: string, cause: unknown) => ({
        message: `The plugin ${q(plugin)} threw in the hook ${q(hook)}: ${messageOf(cause)}.`,
        plugin,
        hook,
        cause,
        fix: `This is a bug in ${plugin}; report it to its authors. f2b keeps running.`,
      }),
    },

    /** `where`: the rule of a filter, or a sentence naming the pattern ("The --pattern …"). */
    F2B_ERR_PATTERN_INVALID: {
      exit: 'usage',
      make: (where: string | { filter: string; rule: string }, problem: string) =>
        typeof where === 'string'
          ? {
              message: `${where} is not a valid RE2 pattern: ${problem}.`,
              fix: 'Check the brackets, escapes and group names of the pattern (RE2 syntax: https://github.com/google/re2/wiki/Syntax).',
            }
          : {
              message: `The rule ${q(where.rule)} of the filter ${q(where.filter)} is not a valid RE2 pattern: ${problem}.`,
              fix: 'Filter patterns run on RE2: no backreferences or lookaround. Rewrite the pattern without them.',
            },
    },

    F2B_ERR_PATTERN_UNSUPPORTED: {
      exit: 'usage',
      make: (where: string, construct: string, text: string, fix: string) => ({
        message: `${where}: ${q(text)} ${construct} is not supported by RE2 (f2b runs every pattern on RE2, so that matching takes linear time whatever a log line says).`,
        fix: `Rewrite the pattern without it: ${fix}.`,
      }),
    },

    /** A failregex of a config filter (`filters.<id>.failregex`) without exactly one address placeholder. */
    F2B_ERR_FILTER_NO_HOST: {
      exit: 'usage',
      make: (path: string, placeholders: number) => ({
        message:
          placeholders === 0
            ? `The pattern at ${q(path)} has no <HOST>, so a match could never name whom to ban.`
            : placeholders > 1
              ? `The pattern at ${q(path)} has ${placeholders} address placeholders; a match must name one address to ban.`
              : `The pattern at ${q(path)} captures the address in a group of its own; the address to ban comes only from <HOST>.`,
        path,
        fix: "Put exactly one <HOST> (or <ADDR>, <IP4>, <IP6>) where the client's address is, e.g. '^Login failed for .* from <HOST>$', and no (?P<host>…) group.",
      }),
    },

    F2B_ERR_MODE_UNKNOWN: {
      exit: 'usage',
      make: (filter: string, mode: string, modes: readonly string[], path?: string) => ({
        message: `The filter ${q(filter)} has no mode ${q(mode)}.`,
        path,
        fix: `Use one of: ${modes.join(', ')}.`,
      }),
    },

    F2B_ERR_TIMEZONE_INVALID: {
      exit: 'usage',
      make: (zone: string, path?: string) => ({
        message: `${q(zone)} is not a known time zone.`,
        path,
        fix: 'Use an IANA zone name such as Europe/Berlin or UTC.',
      }),
    },

    F2B_ERR_SOURCE: {
      exit: 'failure',
      make: (source: string, problem: string) => ({
        message: `The source ${q(source)} failed: ${problem}.`,
        fix: 'Check that the log exists and is readable by f2b; f2b retries on its own.',
      }),
    },

    F2B_ERR_ACTION: {
      exit: 'failure',
      make: (action: string, problem: string) => ({
        message: `The action ${q(action)} failed: ${problem}.`,
        fix: 'See the message above; f2b keeps the ban in its own state and retries.',
      }),
    },

    F2B_ERR_ACTION_TIMEOUT: {
      exit: 'failure',
      make: (action: string, what: string, seconds: number) => ({
        message: `The action ${q(action)} did not finish ${what} within ${seconds} s; the jail goes on without waiting for it.`,
        fix: 'f2b keeps the work in its outbox and retries it every 30 s. Check what the action talks to; raise actionTimeout if it is only slow.',
      }),
    },

    F2B_ERR_STATE_UNAVAILABLE: {
      exit: 'failure',
      make: (location: string, cause: unknown) => ({
        message: `The state store ${q(location)} cannot save checkpoints: ${messageOf(cause)}. Bans still reach the actions; what was decided is kept in memory and saved once the store accepts writes again.`,
        cause,
        path: 'state',
        fix: 'Free space on its file system, make it writable again (mount read-write, `chattr -i`), or end the process that holds the database locked (`fuser -v` on the file); f2b retries on its own.',
      }),
    },

    F2B_ERR_LOG_FILE: {
      exit: 'failure',
      make: (path: string, why: string) => ({
        message: `The daemon cannot write its log to ${q(path)}: ${why}.`,
        fix: "Give another file with --log-file, fix the ownership and mode (the file and its directory owned by the daemon's user, not writable by others), or run with --foreground under a service manager.",
      }),
    },

    F2B_ERR_METRICS_LISTEN: {
      exit: 'failure',
      make: (address: string, code: string | undefined, detail: string) => ({
        message: `The metrics endpoint cannot listen on ${address}: ${code ?? detail}.`,
        fix:
          code === 'EADDRINUSE'
            ? 'Another program uses that port: choose another in metrics.listen.'
            : 'Check metrics.listen: an address of this host and a free port.',
      }),
    },

    F2B_ERR_DASHBOARD_LISTEN: {
      exit: 'failure',
      make: (address: string, code: string | undefined, detail: string) => ({
        message: `The dashboard cannot listen on ${address}: ${code ?? detail}.`,
        path: 'dashboard.listen',
        fix:
          code === 'EADDRINUSE'
            ? 'Another program uses that port: choose another in dashboard.listen (or the address of metrics.listen, to share its server).'
            : 'Check dashboard.listen: an address of this host (127.0.0.1 or [::1] keeps it local) and a free port.',
      }),
    },

    /** `problem` undefined: the package is not installed. */
    F2B_ERR_DASHBOARD_PAGE: {
      exit: 'usage',
      make: (pkg: string, problem?: string) => ({
        message:
          problem === undefined
            ? `The dashboard's page is not installed (looked for the package ${q(pkg)}).`
            : `The dashboard's page in the package ${q(pkg)} cannot be served: ${problem}.`,
        path: 'dashboard',
        fix: `Run \`npm i ${pkg}\` next to f2b (\`npm i -g ${pkg}\` for a global f2b), or remove "dashboard" from the config.`,
      }),
    },

    F2B_ERR_STATE_PATH: {
      exit: 'usage',
      make: (path: string) => ({
        message: `The state database path ${q(path)} is a directory.`,
        path: 'state.path',
        fix: `Point state.path at a file, e.g. ${JSON.stringify(path.replace(/\/+$/, '') + '/f2b.db')}.`,
      }),
    },

    F2B_ERR_STATE_DIR: {
      exit: 'usage',
      make: (dir: string, problem: string) => ({
        message: `The directory ${q(dir)} for the state database cannot be created: ${problem}.`,
        path: 'state.path',
        fix: `Create it (\`mkdir -p ${dir}\`) writable by the user f2b runs as, or point state.path at a directory that exists.`,
      }),
    },

    F2B_ERR_STATE_READONLY: {
      exit: 'usage',
      make: (path: string, problem: string, fix: string) => ({
        message: `The state database ${q(path)} cannot be written: ${problem}.`,
        path: 'state.path',
        fix,
      }),
    },

    F2B_ERR_STATE_LOCKED: {
      exit: 'failure',
      make: (path: string) => ({
        message: `The state database ${q(path)} is locked by another process.`,
        path: 'state.path',
        fix: 'End the process holding it (`fuser -v` on the file shows it; e.g. an open `sqlite3` shell with a transaction), then start f2b again.',
      }),
    },

    F2B_ERR_STATE_VERSION: {
      exit: 'usage',
      make: (path: string, found: number, known: number) => ({
        message: `The state database ${q(path)} has schema version ${found}, newer than this f2b knows (${known}).`,
        path: 'state.path',
        fix: 'Upgrade f2b, or point state.path at another file.',
      }),
    },

    F2B_ERR_STATE_CORRUPT: {
      exit: 'failure',
      make: (path: string, movedTo: string, problem: string) => ({
        message: `The state database ${q(path)} is corrupt (${problem}); it was moved to ${q(movedTo)} and f2b starts with a new, empty one. Bans the actions can list are recovered; ban history and failure counts are lost.`,
        path: 'state.path',
        fix: `Keep ${movedTo} for inspection (\`sqlite3 ${movedTo} .recover\`) or delete it; check the disk (dmesg, smartctl) if this happens again.`,
      }),
    },

    F2B_ERR_USAGE: {
      exit: 'usage',
      make: (message: string, fix: string) => ({ message, fix }),
    },

    /** A file named on the command line (a log, a directory to import, a file to write): `code` is errno's. */
    F2B_ERR_FILE: {
      exit: 'usage',
      make: (file: string, code: string | undefined, cause?: unknown, access: 'read' | 'written' = 'read') => ({
        message:
          code === 'ENOENT'
            ? access === 'read'
              ? `The file ${q(file)} does not exist.`
              : `The file ${q(file)} cannot be written: its directory does not exist.`
            : code === 'EACCES' || code === 'EPERM'
              ? `The file ${q(file)} cannot be ${access}: permission denied.`
              : code === 'EISDIR'
                ? `${q(file)} is a directory, not a file.`
                : `The file ${q(file)} cannot be ${access}: ${code ?? messageOf(cause)}.`,
        file,
        cause,
        fix:
          code === 'ENOENT'
            ? access === 'read'
              ? 'Check the path (relative paths start from the current directory).'
              : 'Create the directory first, or write the file elsewhere.'
            : code === 'EACCES' || code === 'EPERM'
              ? `Run as a user who may ${access === 'read' ? 'read' : 'write'} it (logs and /etc often need \`sudo\`), or change its permissions.`
              : code === 'EISDIR'
                ? 'Name a file in that directory.'
                : 'Check the file and the file system it is on.',
      }),
    },

    /** `--write FILE` onto a file that exists, without `--force`. */
    F2B_ERR_FILE_EXISTS: {
      exit: 'usage',
      make: (file: string) => ({
        message: `The file ${q(file)} exists; it is not overwritten.`,
        file,
        fix: 'Give another file, or add --force to replace it.',
      }),
    },

    /** `f2b import fail2ban DIR` where DIR holds no jail configuration. */
    F2B_ERR_IMPORT_SOURCE: {
      exit: 'usage',
      make: (dir: string, problem: string) => ({
        message: `${q(dir)} cannot be imported: ${problem}.`,
        file: dir,
        fix: "Name the directory of fail2ban's configuration, the one holding jail.conf (default /etc/fail2ban).",
      }),
    },

    /** A config file f2b does not read, in a format it knows (fail2ban's jail.local). */
    F2B_ERR_CONFIG_FORMAT: {
      exit: 'usage',
      make: (file: string, problem: string, fix: string) => ({ message: `The config file ${q(file)} ${problem}.`, file, fix }),
    },

    /** A jail without `source` whose filter package declares no log paths (`f2b.logs` of its manifest). */
    F2B_ERR_SOURCE_UNKNOWN: {
      exit: 'usage',
      make: (jail: string, filter: string, pkg: string) => ({
        message: `The jail ${q(jail)} names no source, and the filter ${q(filter)} (${pkg}) does not say where its service logs.`,
        path: `jails.${jail}.source`,
        fix: 'Give the log to read: source: /var/log/… (a file or glob), or source: { type: journald, matches: ["_SYSTEMD_UNIT=….service"] }.',
      }),
    },

    /** A jail without `source`: none of the paths its filter declares exists, and no journal can stand in. */
    F2B_ERR_SOURCE_NOT_FOUND: {
      exit: 'usage',
      make: (jail: string, filter: string, on: string, tried: readonly string[], journal: string) => ({
        message: `The jail ${q(jail)} names no source, and none of the logs ${q(filter)} writes on ${on} exists (tried ${tried.join(', ') || 'none'}); ${journal}.`,
        path: `jails.${jail}.source`,
        fix:
          "Set the jail's source to where the service logs (source: /path/to/log, or source: { type: journald, matches: [...] }), " +
          'or, if the log appears later, add `waitForLog: true` to wait for the first path tried.',
      }),
    },

    /** A jail without `source` whose service logs only to the journal here, without the journald source installed. */
    F2B_ERR_SOURCE_JOURNALD_MISSING: {
      exit: 'usage',
      make: (jail: string, filter: string, on: string, tried: readonly string[]) => ({
        message: `The jail ${q(jail)} names no source; none of the logs ${q(filter)} writes on ${on} exists (tried ${tried.join(', ') || 'none'}), so it would read the systemd journal, but the journald source is not installed.`,
        path: `jails.${jail}.source`,
        fix: "Run `npm i @f2b/source-journald` next to f2b (or globally: `npm i -g @f2b/source-journald`), or set the jail's source to a log file.",
      }),
    },

    /** A jail whose sources can deliver nothing (no file matches, no journal) and that may not wait. */
    F2B_ERR_JAIL_WATCHES_NOTHING: {
      exit: 'usage',
      make: (jail: string, reasons: readonly string[], path?: string) => ({
        message: `The jail ${q(jail)} watches nothing: ${reasons.join('; ')}.`,
        path,
        fix:
          'Correct the path (or the journal options) of its source, or, if the log will appear later, ' +
          'say that the jail may wait for it: `waitForLog: true` (or `enabledIf: { exists: [...] }`).',
      }),
    },

    /** `f2b start` with jails of which none watches anything. */
    F2B_ERR_NOTHING_WATCHED: {
      exit: 'usage',
      make: (jails: readonly string[]) => ({
        message: `No jail watches anything (${jails.join(', ')}): f2b would protect nothing.`,
        fix: 'Fix the sources named above (`f2b config check` shows them), or mark jails whose log appears later with `waitForLog: true`.',
      }),
    },

    /** A manual ban of an address the jail never bans (loopback, ignoreip, this host's with ignoreself). */
    F2B_ERR_BAN_REFUSED: {
      exit: 'failure',
      make: (ip: string, jail: string, reason: 'loopback' | 'ignoreip' | 'ignoreself') => ({
        message: {
          loopback: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is a loopback address, which f2b never bans.`,
          ignoreip: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is in the jail's ignoreip, which f2b never bans.`,
          ignoreself: `Refusing to ban ${q(ip)} in jail ${q(jail)}: it is an address of this host and the jail has ignoreself on.`,
        }[reason],
        fix:
          reason === 'loopback'
            ? 'Ban the address the attack really comes from; loopback traffic is this host talking to itself.'
            : `Remove it from jails.${jail}.${reason === 'ignoreip' ? 'ignoreip' : 'ignoreip (or set ignoreself: false)'} and reload, if it really must be banned.`,
      }),
    },
  }),
});
