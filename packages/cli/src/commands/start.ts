/**
 * `f2b start`: run the jails. Stays in the foreground with `--foreground` (what systemd and tests
 * use); without it the daemon detaches and this command returns once it runs. SIGTERM/SIGINT stop
 * cleanly, SIGHUP re-reads the config (bans of jails that still exist are kept). The control socket
 * (config "socket" or --socket) serves `f2b status`, `f2b ban`, `f2b stop`… while the daemon runs.
 */
import { spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertSocketFree,
  checkSocketPath,
  ControlCommands,
  ControlServer,
  ReadOnlyCommands,
  Daemon,
  defaultConfig,
  stopYoungGenerationGrowth,
  loadConfig,
  resolveConfig,
  stderrSink,
  escapeControls,
  type ResolvedConfig,
} from '@f2b/core';
import { defaultLogFile, openLogFile } from '../log-file.js';
import { pluginSearchStarts } from '../plugins.js';
import { refuseFail2banConfig } from '../foreign-config.js';
import { EXIT_OK, reportCliError } from '../errors.js';

export interface StartOptions {
  config?: string;
  dryRun?: boolean;
  foreground?: boolean;
  logFile?: string;
  /** Control socket path (overrides the config's `socket`). */
  socket?: string;
}

async function readConfig(file?: string): Promise<ResolvedConfig> {
  refuseFail2banConfig(file);
  const found = await loadConfig(file);
  if (found) return resolveConfig(found.config, found.file);
  return resolveConfig(defaultConfig(), '(embedded default)');
}

export async function start(opts: StartOptions): Promise<number> {
  // The daemon's new space stays at its start-up size: the config, the plugins and the restore of
  // the bans in force would grow it to 2 × 8 MiB, resident for good (heap-budget.ts in @f2b/core).
  if (opts.foreground) stopYoungGenerationGrowth();
  const config = await readConfig(opts.config); // fail early, in the foreground, on a bad config
  const socket = opts.socket ? resolvePath(opts.socket) : config.socket;
  if (opts.socket && socket) checkSocketPath(socket, '--socket');
  // Before detaching and before any jail touches the firewall: refuse if another daemon answers there.
  if (socket) await assertSocketFree(socket);
  if (config.readOnlySocket) await assertSocketFree(config.readOnlySocket.path);
  const daemon = new Daemon({
    searchFrom: pluginSearchStarts(config.file?.startsWith('(') ? undefined : config.file),
    dryRun: opts.dryRun,
    logLevel: config.logLevel,
    logSink: stderrSink({ format: config.logFormat }),
  });
  // An unusable state path is an error here, in the foreground, before anything is banned.
  await daemon.checkState(config);
  if (!opts.foreground) return detach(opts);
  await daemon.start(config);
  if (opts.dryRun) daemon.core.logger.info('Dry run: bans are only logged (action "log").');

  let stopping = false;
  let server: ControlServer | null = null;
  let readOnlyServer: ControlServer | null = null;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    daemon.core.logger.info(`Received ${why}: stopping.`);
    // Let a running reload/ban finish, stop answering, then stop the jails.
    commands
      .idle()
      .then(() => Promise.all([server?.close(), readOnlyServer?.close()]))
      .then(() => daemon.stop())
      .then(
        () => process.exit(EXIT_OK),
        (err) => {
          reportCliError(err);
          process.exit(1);
        },
      );
  };
  const commands = new ControlCommands({ daemon, reloadConfig: () => readConfig(opts.config), stop: () => stop('"stop" on the control socket') });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // No signal kills the daemon without a word: those whose default is to terminate stop it cleanly,
  // saying which. SIGXFSZ (a file-size limit reached) makes the write fail instead — a store fault,
  // reported and retried like any other. (SIGBUS from memory-mapped files is prevented at the
  // source: see @f2b/store-sqlite's path-check.ts.)
  for (const sig of ['SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGPROF', 'SIGXCPU', 'SIGPWR'] as const) {
    if (sig === 'SIGPROF' && underProfiler()) continue;
    process.on(sig, () => stop(sig));
  }
  process.on('SIGXFSZ', () => daemon.core.logger.warn('Received SIGXFSZ: a file reached the size limit (ulimit -f); the write fails and is retried.'));
  const ro = config.readOnlySocket;
  try {
    if (socket) {
      server = new ControlServer({ path: socket, handler: commands, logger: daemon.core.getLogger('control') });
      await server.listen();
    }
    if (ro) {
      const logger = daemon.core.getLogger('control');
      const handler = new ReadOnlyCommands(commands, {
        rootSocket: socket,
        refused: (cmd, uid) => logger.info(`Read-only control socket: refused "${cmd}"${uid === null ? '' : ` from uid ${uid}`}.`),
      });
      // Its directory must be searchable by the group (0755 when created); the checks of the root
      // socket's directory apply all the same (no one else may write it or any directory above).
      readOnlyServer = new ControlServer({
        path: ro.path,
        handler,
        logger,
        mode: ro.mode,
        gid: ro.gid,
        directoryMode: 0o755,
        label: 'Read-only control socket',
      });
      await readOnlyServer.listen();
    }
  } catch (err) {
    await server?.close();
    await daemon.stop();
    throw err;
  }
  process.on('SIGHUP', () => {
    if (stopping) return;
    // Queued with reloads and bans from the control socket; a broken config keeps the running jails.
    commands.reload().catch((err) => {
      reportCliError(err);
    });
  });
  await new Promise<never>(() => {
    /* run until a signal */
  });
  return EXIT_OK;
}

function detach(opts: StartOptions): number {
  const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
  const args = [
    bin,
    'start',
    '--foreground',
    ...(opts.config ? ['--config', opts.config] : []),
    ...(opts.dryRun ? ['--dry-run'] : []),
    ...(opts.socket ? ['--socket', resolvePath(opts.socket)] : []),
  ];
  const file = resolvePath(opts.logFile ?? defaultLogFile());
  const log = openLogFile(file, opts.logFile === undefined);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  process.stdout.write(`f2b started in the background (pid ${child.pid}). Log: ${escapeControls(file)}\n`);
  return EXIT_OK;
}

/**
 * True when node was started with a sampling profiler (`--cpu-prof`, `--prof`): V8's sampler
 * interrupts the process with SIGPROF many times a second, and a listener would stop the daemon at
 * the first sample.
 */
function underProfiler(): boolean {
  return process.execArgv.some((a) => /^--(?:cpu-prof|prof)(?:$|[=-])/.test(a));
}
