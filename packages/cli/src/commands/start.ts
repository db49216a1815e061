/**
 * `f2b start`: run the jails. Stays in the foreground with `--foreground` (what systemd and tests
 * use); without it the daemon detaches and this command returns once it runs. SIGTERM/SIGINT stop
 * cleanly, SIGHUP re-reads the config (bans of jails that still exist are kept).
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Daemon, defaultConfig, loadConfig, resolveConfig, type ResolvedConfig } from '@f2b/core';
import { pluginSearchStarts } from '../plugins.js';
import { EXIT_OK, reportCliError } from '../errors.js';

export interface StartOptions {
  config?: string;
  dryRun?: boolean;
  foreground?: boolean;
  logFile?: string;
}

async function readConfig(file?: string): Promise<ResolvedConfig> {
  const found = await loadConfig(file);
  if (found) return resolveConfig(found.config, found.file);
  return resolveConfig(defaultConfig(), '(embedded default)');
}

export async function start(opts: StartOptions): Promise<number> {
  const config = await readConfig(opts.config); // fail early, in the foreground, on a bad config
  if (!opts.foreground) return detach(opts);
  const daemon = new Daemon({ searchFrom: pluginSearchStarts(config.file?.startsWith('(') ? undefined : config.file), dryRun: opts.dryRun, logLevel: config.logLevel });
  await daemon.start(config);
  if (opts.dryRun) daemon.core.logger.info('Dry run: bans are only logged (action "log").');

  let stopping = false;
  let reloading: Promise<void> = Promise.resolve();
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    daemon.core.logger.info(`Received ${signal}: stopping.`);
    reloading.then(() => daemon.stop()).then(() => process.exit(EXIT_OK), (err) => { reportCliError(err); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    reloading = reloading.then(async () => {
      try {
        await daemon.reload(await readConfig(opts.config));
      } catch (err) {
        // A broken config must not take down running jails: keep the old ones.
        reportCliError(err);
        daemon.core.logger.error('Reload failed; the previous configuration stays in force.');
      }
    });
  });
  await new Promise<never>(() => { /* run until a signal */ });
  return EXIT_OK;
}

function detach(opts: StartOptions): number {
  const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
  const args = [bin, 'start', '--foreground', ...(opts.config ? ['--config', opts.config] : []), ...(opts.dryRun ? ['--dry-run'] : [])];
  const log = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  process.stdout.write(`f2b started in the background (pid ${child.pid}).${opts.logFile ? ` Log: ${opts.logFile}` : ' Use --foreground to see its log.'}\n`);
  return EXIT_OK;
}
