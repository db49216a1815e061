/**
 * Errors of the control socket (server and client side), in the core's table style (one row per
 * code, see ../errors.ts). Codes are stable: scripts may test them.
 */
import { defineErrors, messageOf, quote as q } from '@f2b/kit/client';
import { MAX_REQUEST_BYTES, SUPPORTED_VERSIONS } from './protocol.js';

export const controlErrors = defineErrors({
  F2B_ERR_CONTROL_MALFORMED: {
    exit: 'failure',
    make: (problem: string) => ({
      message: `The request is not valid: ${problem}.`,
      fix: 'Send one JSON object per line: {"v":1,"id":1,"cmd":"ping","args":{}}.',
    }),
  },

  F2B_ERR_CONTROL_VERSION: {
    exit: 'failure',
    make: (v: unknown) => ({
      message: `The request uses protocol version ${JSON.stringify(v) ?? 'undefined'}, but this daemon supports version(s) ${SUPPORTED_VERSIONS.join(', ')}.`,
      fix: 'Use an f2b client of the same release as the daemon (or send "v":1).',
    }),
  },

  F2B_ERR_CONTROL_TOO_LARGE: {
    exit: 'failure',
    make: (limit: number = MAX_REQUEST_BYTES) => ({
      message: `The request is larger than ${limit} bytes; the connection is closed.`,
      fix: 'Send smaller requests, each ending with a newline.',
    }),
  },

  F2B_ERR_CONTROL_TOO_MANY_CONNECTIONS: {
    exit: 'failure',
    make: (uid: number, limit: number) => ({
      message: `${uid >= 0 ? `uid ${uid}` : 'This user'} already holds ${limit} control connections, each carrying out a request; this one is refused.`,
      fix: 'Wait for those requests to finish (or stop the program that opens them), then try again.',
    }),
  },

  F2B_ERR_CONTROL_UNKNOWN_COMMAND: {
    exit: 'usage',
    make: (cmd: string, known: readonly string[]) => ({
      message: `The daemon has no command ${q(cmd)}.`,
      fix: `Use one of: ${known.join(', ')}.`,
    }),
  },

  F2B_ERR_CONTROL_BAD_ARGS: {
    exit: 'usage',
    make: (cmd: string, problem: string, usage: string) => ({
      message: `The arguments of ${q(cmd)} are not valid: ${problem}.`,
      fix: usage,
    }),
  },

  F2B_ERR_CONTROL_UNKNOWN_JAIL: {
    exit: 'usage',
    make: (jail: string, known: readonly string[]) => ({
      message: `There is no running jail ${q(jail)}.`,
      fix: known.length > 0 ? `Running jails: ${known.join(', ')} (\`f2b status\` lists them).` : 'No jail is running; check the config (`f2b status`).',
    }),
  },

  F2B_ERR_CONTROL_UNSUPPORTED: {
    exit: 'failure',
    make: (cmd: string) => ({
      message: `This daemon cannot ${cmd} on request (it was started without that ability).`,
      fix: `Use the way the daemon was started to ${cmd} it (signal, service manager).`,
    }),
  },

  F2B_ERR_CONTROL_READ_ONLY: {
    exit: 'failure',
    make: (cmd: string, allowed: readonly string[], rootSocket: string | null) => ({
      message: `The read-only control socket answers only ${allowed.join(', ')}; ${q(cmd)} is refused here.`,
      fix: rootSocket
        ? `Run it on the daemon's root socket: \`sudo f2b ${cmd} …\` (or --socket ${rootSocket}).`
        : 'Run it on the daemon\'s root socket (this daemon has none: set "socket" in the config).',
    }),
  },

  F2B_ERR_CONTROL_STOPPING: {
    exit: 'failure',
    make: () => ({
      message: 'The daemon is stopping and takes no more commands.',
      fix: 'Wait for it to exit, then start it again with `f2b start` if needed.',
    }),
  },

  F2B_ERR_CONTROL_IN_USE: {
    exit: 'failure',
    make: (path: string, pid?: number) => ({
      message: `Another f2b daemon${pid ? ` (pid ${pid})` : ''} is already running and answers on the control socket ${q(path)}.`,
      fix: 'Stop it first (`f2b stop`), or give this one another socket (config "socket" or --socket).',
    }),
  },

  /** `why`: something else is at the path (`occupied` says what), or creating the socket threw (`cause`). */
  F2B_ERR_CONTROL_SOCKET: {
    exit: 'failure',
    make: (path: string, why: { occupied: string } | { cause: unknown }) => {
      if ('occupied' in why) {
        return {
          message: `Cannot use ${q(path)} as the control socket: ${why.occupied}.`,
          fix: 'Remove what is there if it is not needed, or choose another path (config "socket" or --socket; socket: false for none).',
        };
      }
      const code = (why.cause as NodeJS.ErrnoException | undefined)?.code;
      const denied = code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
      return {
        message: `Cannot create the control socket ${q(path)}: ${messageOf(why.cause)}.`,
        cause: why.cause,
        fix: denied
          ? 'Run f2b as root (the default socket is in /run/f2b), or set "socket" in the config (or --socket) to a path you may write.'
          : 'Check the path (config "socket" or --socket); Unix socket paths must be shorter than 108 bytes. Use socket: false for none.',
      };
    },
  },

  F2B_ERR_CONTROL_NO_RUNTIME_DIR: {
    exit: 'failure',
    make: () => ({
      message:
        "XDG_RUNTIME_DIR is not set, so there is no safe place for this user's control socket (f2b does not fall back to /tmp, where another user could create it first).",
      fix: 'Log in with a session that sets XDG_RUNTIME_DIR (systemd-logind: /run/user/<uid>), or name a socket in a directory only you may write (config "socket" or --socket; socket: false for none).',
    }),
  },

  F2B_ERR_CONTROL_UNTRUSTED: {
    exit: 'failure',
    make: (path: string, problem: string) => ({
      message: `Refusing to talk to the control socket ${q(path)}: ${problem}, so another user could have put their own socket there and impersonate the daemon.`,
      fix: 'Check who created it. Use a socket whose directories only root (or you) may write: the default /run/f2b/f2b.sock, or $XDG_RUNTIME_DIR/f2b/f2b.sock; remove the impostor and restart the daemon.',
    }),
  },

  F2B_ERR_CONTROL_NOT_RUNNING: {
    exit: 'failure',
    make: (path: string, cause?: unknown) => ({
      message: `The f2b daemon is not running (nothing answers on the control socket ${q(path)}${reason(cause)}).`,
      cause,
      fix: 'Start it with `f2b start` (or `systemctl start f2b`), or give the socket it uses with --socket.',
    }),
  },

  F2B_ERR_CONTROL_PERMISSION: {
    exit: 'failure',
    make: (path: string, cause?: unknown) => ({
      message: `Permission denied on the control socket ${q(path)}: it is root-only (mode 0600: only the user the daemon runs as may connect).`,
      cause,
      fix: 'Run the command with sudo (e.g. `sudo f2b status`). status, banned, explain and ping also work without it on the read-only socket, when the daemon has one (config "readOnlySocket", e.g. `f2b status --socket /run/f2b-ro/f2b.sock`).',
    }),
  },

  F2B_ERR_CONTROL_TIMEOUT: {
    exit: 'failure',
    make: (path: string, cmd: string, ms: number) => ({
      message: `The daemon on ${q(path)} did not answer ${q(cmd)} within ${Math.round(ms / 1000)} s.`,
      fix: "Check the daemon's log (`journalctl -u f2b`); it may be busy or hung.",
    }),
  },

  F2B_ERR_CONTROL_CLOSED: {
    exit: 'failure',
    make: (path: string) => ({
      message: `The daemon on ${q(path)} closed the connection before answering.`,
      fix: "Check the daemon's log (`journalctl -u f2b`); it may have stopped or crashed.",
    }),
  },

  F2B_ERR_CONTROL_PROTOCOL: {
    exit: 'failure',
    make: (path: string, problem: string) => ({
      message: `The answer from ${q(path)} is not valid: ${problem}.`,
      fix: 'Check that the path is the socket of an f2b daemon of the same release as this client.',
    }),
  },
});

function reason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return ': it does not exist';
  if (code === 'ECONNREFUSED') return ': connection refused, a stale socket';
  return code ? `: ${code}` : '';
}
