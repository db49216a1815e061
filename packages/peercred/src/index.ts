/**
 * `@f2b/peercred`: the uid, gid and pid of the process at the other end of a connected Unix socket
 * (SO_PEERCRED on Linux, getpeereid elsewhere), which Node.js cannot tell. The f2b daemon's control
 * server uses it to cap connections per user.
 *
 * The native part is compiled when the package is installed. Where that was not possible (no
 * compiler, install scripts disabled) `available` is false and `peerCredentials` returns null: the
 * caller decides what that means (the control server then counts every client as one user).
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  /** The peer's process id when it connected; -1 where the system does not say. */
  pid: number;
  uid: number;
  gid: number;
}

interface NativeBinding {
  peerCredentials(fd: number): PeerCredentials;
}

function loadBinding(): NativeBinding | null {
  const require = createRequire(import.meta.url);
  for (const path of ['../build/Release/peercred.node', '../build/Debug/peercred.node']) {
    try {
      return require(path) as NativeBinding;
    } catch {
      /* not built this way: try the next, then do without */
    }
  }
  return null;
}

const binding = loadBinding();

/** Whether the native part is there (false: `peerCredentials` always returns null). */
export const available: boolean = binding !== null;

/**
 * The credentials of the peer of a connected Unix socket, or null when they cannot be known: the
 * native part is missing, the socket is not a Unix socket with a file descriptor (Node keeps it as
 * `_handle.fd`, an internal but long-stable field), or the socket is already closed.
 */
export function peerCredentials(socket: Socket): PeerCredentials | null {
  if (!binding) return null;
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return null;
  try {
    return binding.peerCredentials(fd);
  } catch {
    return null; // ENOTCONN and the like: the client is gone
  }
}
