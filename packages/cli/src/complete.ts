/**
 * `f2b __complete jails|filters [--config F] [--socket S]`: the words a completion script asks for
 * while the user presses Tab, one per line. Never a user command (bin.ts answers it before
 * commander is loaded, and it is in no help or man page).
 *
 * Jail names come from the running daemon (a `status` on its socket, the read-only one will do)
 * and, when none answers, from the config file; filter ids from the installed filter packages'
 * manifests (nothing is loaded). It must never keep a shell waiting: every step has a short
 * timeout, the whole answer a hard limit, and any failure prints nothing.
 *
 * Only words made of harmless characters are printed: a jail name comes from a config or a
 * daemon, and a shell's completion machinery (bash's `compgen -W`) expands what it is given.
 */
/**
 * The whole answer within this, or nothing: a config on a dead network mount must not hold the
 * shell either. Generous, because a loaded machine takes a second just to start node; what could
 * hang for good — a daemon that accepts and never answers — has its own short limit below.
 */
const HARD_LIMIT_MS = 5000;
/** Connecting to and asking the daemon (a local socket answers in milliseconds). */
const DAEMON_MS = 500;
const SAFE_WORD = /^[A-Za-z0-9_.:@+-]{1,128}$/;

interface CompleteOptions {
  config?: string;
  socket?: string;
}

function parse(args: readonly string[]): { kind: string | undefined; opts: CompleteOptions } {
  const opts: CompleteOptions = {};
  let kind: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '--config' || a === '-c') && args[i + 1] !== undefined) opts.config = args[++i];
    else if (a === '--socket' && args[i + 1] !== undefined) opts.socket = args[++i];
    else kind ??= a;
  }
  return { kind, opts };
}

export async function complete(args: readonly string[]): Promise<void> {
  const { kind, opts } = parse(args);
  // Never wait on a hung socket or a slow disk longer than this: print nothing and go.
  setTimeout(() => process.exit(0), HARD_LIMIT_MS).unref();
  let words: string[] = [];
  try {
    if (kind === 'jails') words = await jailNames(opts);
    else if (kind === 'filters') words = await filterIds(opts);
  } catch {
    words = [];
  }
  const safe = [...new Set(words)].filter((w) => SAFE_WORD.test(w)).sort();
  if (safe.length > 0) process.stdout.write(safe.join('\n') + '\n');
}

async function jailNames(opts: CompleteOptions): Promise<string[]> {
  const fromDaemon = await daemonJails(opts).catch(() => null);
  if (fromDaemon !== null) return fromDaemon;
  const { ConfigReader, loadConfig } = await import('@f2b/core');
  // On a keystroke: data configs only, never a .js/.ts config run (it would run the user's code).
  const found = await loadConfig(opts.config, process.cwd(), { reader: new ConfigReader({ dataOnly: true }) });
  const jails = found?.config.jails;
  return jails && typeof jails === 'object' ? Object.keys(jails) : [];
}

async function daemonJails(opts: CompleteOptions): Promise<string[] | null> {
  const { socketPath } = await import('./client/connect.js');
  const { controlRequest } = await import('@f2b/core/client');
  const socket = await socketPath(opts, 'status');
  const r = await controlRequest<{ jails?: unknown }>(socket, 'status', {}, { timeoutMs: DAEMON_MS, connectTimeoutMs: DAEMON_MS });
  return Array.isArray(r.jails) ? r.jails.filter((j): j is string => typeof j === 'string') : null;
}

async function filterIds(opts: CompleteOptions): Promise<string[]> {
  const { discoverPlugins, searchDirs } = await import('@f2b/core/engine');
  const { pluginSearchStarts } = await import('./plugins.js');
  const installed = discoverPlugins(searchDirs(pluginSearchStarts(opts.config)));
  return installed.filter((p) => p.kind === 'filter').flatMap((p) => p.provides);
}
