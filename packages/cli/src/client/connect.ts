/**
 * How client commands reach the daemon: which socket (--socket, $F2B_SOCKET, the "socket" of
 * --config, else the default path), one request per command, and errors mapped to exit codes (each code's exit class).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configSockets, controlRequest, defaultPaths, READ_ONLY_COMMANDS } from '@f2b/core/client';
import { reportCliError } from '../errors.js';

/** The system daemon's socket (root's default). */
export const SYSTEM_SOCKET = '/run/f2b/f2b.sock';
/** The system daemon's read-only socket, when its config has `readOnlySocket: {}`. */
export const SYSTEM_READ_ONLY_SOCKET = '/run/f2b-ro/f2b.sock';

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
export async function socketPath(opts: ClientOptions, cmd?: string): Promise<string> {
  if (opts.socket) return resolve(opts.socket);
  if (process.env.F2B_SOCKET) return resolve(process.env.F2B_SOCKET);
  const readOnly = cmd !== undefined && (READ_ONLY_COMMANDS as readonly string[]).includes(cmd);
  if (opts.config) {
    const sockets = await configSockets(opts.config);
    if (sockets?.socket) return readOnly ? preferReachable(sockets.socket, sockets.readOnlySocket) : sockets.socket;
  }
  const system = readOnly ? preferReachable(SYSTEM_SOCKET, SYSTEM_READ_ONLY_SOCKET) : SYSTEM_SOCKET;
  let mine: string;
  try {
    mine = defaultPaths().socket;
  } catch (err) {
    if (existsSync(system)) return system; // no XDG_RUNTIME_DIR: no daemon of our own
    throw err;
  }
  if (mine !== SYSTEM_SOCKET && !existsSync(mine) && existsSync(system)) return system;
  return mine === SYSTEM_SOCKET ? system : mine;
}

/**
 * For a read-only command: the root socket if we may connect to it (write permission on a Unix
 * socket), else the read-only one when we may connect to that; else the root socket, whose
 * "permission denied" names both ways in.
 */
function preferReachable(root: string, readOnly: string | undefined): string {
  if (!readOnly || mayConnect(root) || !mayConnect(readOnly)) return root;
  return readOnly;
}

function mayConnect(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Send one command to the daemon. */
export async function call<T>(opts: ClientOptions, cmd: string, args: Record<string, unknown> = {}): Promise<T> {
  return controlRequest<T>(await socketPath(opts, cmd), cmd, args);
}

/** Run a client command; errors are reported here, with the control protocol's exit codes. */
export async function guarded(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    return reportCliError(err);
  }
}
