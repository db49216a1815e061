/**
 * How client commands reach the daemon: which socket (--socket, $F2B_SOCKET, the "socket" of
 * --config, else the default path), one request per command, and errors mapped to exit codes (each code's exit class).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { controlRequest, defaultPaths, loadConfig, resolveConfig } from '@f2b/core';
import { reportCliError } from '../errors.js';

/** The system daemon's socket (root's default). */
export const SYSTEM_SOCKET = '/run/f2b/f2b.sock';

export interface ClientOptions {
  socket?: string;
  config?: string;
  json?: boolean;
}

/**
 * The socket to talk to. Without --socket/$F2B_SOCKET/--config this is the default for the current
 * user; a non-root user without a daemon of their own gets the system daemon's socket, so that the
 * error says "root only, use sudo" rather than "not running".
 */
export async function socketPath(opts: ClientOptions): Promise<string> {
  if (opts.socket) return resolve(opts.socket);
  if (process.env.F2B_SOCKET) return resolve(process.env.F2B_SOCKET);
  if (opts.config) {
    const found = await loadConfig(opts.config);
    const socket = found ? resolveConfig(found.config, found.file).socket : null;
    if (socket) return socket;
  }
  let mine: string;
  try {
    mine = defaultPaths().socket;
  } catch (err) {
    if (existsSync(SYSTEM_SOCKET)) return SYSTEM_SOCKET; // no XDG_RUNTIME_DIR: no daemon of our own
    throw err;
  }
  if (mine !== SYSTEM_SOCKET && !existsSync(mine) && existsSync(SYSTEM_SOCKET)) return SYSTEM_SOCKET;
  return mine;
}

/** Send one command to the daemon. */
export async function call<T>(opts: ClientOptions, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  return controlRequest<T>(await socketPath(opts), cmd, args);
}

/** Run a client command; errors are reported here, with the control protocol's exit codes. */
export async function guarded(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    return reportCliError(err);
  }
}
