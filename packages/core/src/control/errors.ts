/**
 * Errors of the control socket (server and client side). Codes are stable: scripts may test them.
 */
import { F2bError } from '../errors.js';
import { MAX_REQUEST_BYTES, SUPPORTED_VERSIONS } from './protocol.js';

const q = (s: string) => `"${s}"`;

export const controlErrors = {
  malformed: (problem: string) =>
    new F2bError('F2B_ERR_CONTROL_MALFORMED', `The request is not valid: ${problem}.`, {
      fix: 'Send one JSON object per line: {"v":1,"id":1,"cmd":"ping","args":{}}.',
    }),

  version: (v: unknown) =>
    new F2bError('F2B_ERR_CONTROL_VERSION',
      `The request uses protocol version ${JSON.stringify(v) ?? 'undefined'}, but this daemon supports version(s) ${SUPPORTED_VERSIONS.join(', ')}.`, {
        fix: 'Use an f2b client of the same release as the daemon (or send "v":1).',
      }),

  tooLarge: (limit = MAX_REQUEST_BYTES) =>
    new F2bError('F2B_ERR_CONTROL_TOO_LARGE', `The request is larger than ${limit} bytes; the connection is closed.`, {
      fix: 'Send smaller requests, each ending with a newline.',
    }),

  tooManyConnections: (uid: number, limit: number) =>
    new F2bError('F2B_ERR_CONTROL_TOO_MANY_CONNECTIONS',
      `${uid >= 0 ? `uid ${uid}` : 'This user'} already holds ${limit} control connections, each carrying out a request; this one is refused.`, {
        fix: 'Wait for those requests to finish (or stop the program that opens them), then try again.',
      }),

  unknownCommand: (cmd: string, known: readonly string[]) =>
    new F2bError('F2B_ERR_CONTROL_UNKNOWN_COMMAND', `The daemon has no command ${q(cmd)}.`, {
      fix: `Use one of: ${known.join(', ')}.`,
    }),

  badArgs: (cmd: string, problem: string, usage: string) =>
    new F2bError('F2B_ERR_CONTROL_BAD_ARGS', `The arguments of ${q(cmd)} are not valid: ${problem}.`, { fix: usage }),

  unknownJail: (jail: string, known: readonly string[]) =>
    new F2bError('F2B_ERR_CONTROL_UNKNOWN_JAIL', `There is no running jail ${q(jail)}.`, {
      fix: known.length > 0 ? `Running jails: ${known.join(', ')} (\`f2b status\` lists them).` : 'No jail is running; check the config (`f2b status`).',
    }),

  unsupported: (cmd: string) =>
    new F2bError('F2B_ERR_CONTROL_UNSUPPORTED', `This daemon cannot ${cmd} on request (it was started without that ability).`, {
      fix: `Use the way the daemon was started to ${cmd} it (signal, service manager).`,
    }),

  stopping: () =>
    new F2bError('F2B_ERR_CONTROL_STOPPING', 'The daemon is stopping and takes no more commands.', {
      fix: 'Wait for it to exit, then start it again with `f2b start` if needed.',
    }),

  inUse: (path: string, pid?: number) =>
    new F2bError('F2B_ERR_CONTROL_IN_USE',
      `Another f2b daemon${pid ? ` (pid ${pid})` : ''} is already running and answers on the control socket ${q(path)}.`, {
        fix: 'Stop it first (`f2b stop`), or give this one another socket (config "socket" or --socket).',
      }),

  occupied: (path: string, problem: string) =>
    new F2bError('F2B_ERR_CONTROL_SOCKET', `Cannot use ${q(path)} as the control socket: ${problem}.`, {
      fix: 'Remove what is there if it is not needed, or choose another path (config "socket" or --socket; socket: false for none).',
    }),

  listen: (path: string, cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
    return new F2bError('F2B_ERR_CONTROL_SOCKET', `Cannot create the control socket ${q(path)}: ${messageOf(cause)}.`, {
      cause,
      fix: denied
        ? 'Run f2b as root (the default socket is in /run/f2b), or set "socket" in the config (or --socket) to a path you may write.'
        : 'Check the path (config "socket" or --socket); Unix socket paths must be shorter than 108 bytes. Use socket: false for none.',
    });
  },

  noRuntimeDir: () =>
    new F2bError('F2B_ERR_CONTROL_NO_RUNTIME_DIR',
      'XDG_RUNTIME_DIR is not set, so there is no safe place for this user\'s control socket (f2b does not fall back to /tmp, where another user could create it first).', {
        fix: 'Log in with a session that sets XDG_RUNTIME_DIR (systemd-logind: /run/user/<uid>), or name a socket in a directory only you may write (config "socket" or --socket; socket: false for none).',
      }),

  untrusted: (path: string, problem: string) =>
    new F2bError('F2B_ERR_CONTROL_UNTRUSTED',
      `Refusing to talk to the control socket ${q(path)}: ${problem}, so another user could have put their own socket there and impersonate the daemon.`, {
        fix: 'Check who created it. Use a socket whose directories only root (or you) may write: the default /run/f2b/f2b.sock, or $XDG_RUNTIME_DIR/f2b/f2b.sock; remove the impostor and restart the daemon.',
      }),

  notRunning: (path: string, cause?: unknown) =>
    new F2bError('F2B_ERR_CONTROL_NOT_RUNNING',
      `The f2b daemon is not running (nothing answers on the control socket ${q(path)}${reason(cause)}).`, {
        cause, fix: 'Start it with `f2b start` (or `systemctl start f2b`), or give the socket it uses with --socket.',
      }),

  permission: (path: string, cause?: unknown) =>
    new F2bError('F2B_ERR_CONTROL_PERMISSION',
      `Permission denied on the control socket ${q(path)}: it is root-only (mode 0600: only the user the daemon runs as may connect).`, {
        cause, fix: 'Run the command with sudo (e.g. `sudo f2b status`).',
      }),

  timeout: (path: string, cmd: string, ms: number) =>
    new F2bError('F2B_ERR_CONTROL_TIMEOUT', `The daemon on ${q(path)} did not answer ${q(cmd)} within ${Math.round(ms / 1000)} s.`, {
      fix: "Check the daemon's log (`journalctl -u f2b`); it may be busy or hung.",
    }),

  closed: (path: string) =>
    new F2bError('F2B_ERR_CONTROL_CLOSED', `The daemon on ${q(path)} closed the connection before answering.`, {
      fix: "Check the daemon's log (`journalctl -u f2b`); it may have stopped or crashed.",
    }),

  protocol: (path: string, problem: string) =>
    new F2bError('F2B_ERR_CONTROL_PROTOCOL', `The answer from ${q(path)} is not valid: ${problem}.`, {
      fix: 'Check that the path is the socket of an f2b daemon of the same release as this client.',
    }),
} as const;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
}

function reason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return ': it does not exist';
  if (code === 'ECONNREFUSED') return ': connection refused, a stale socket';
  return code ? `: ${code}` : '';
}
