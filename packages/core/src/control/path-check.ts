/**
 * Whom a control socket may belong to. The daemon (creating it) and the client (before connecting)
 * require the same as for code (trust.ts), along the whole path to `/`: every directory owned by root
 * or by this user and writable by no one else (sticky directories such as /tmp excepted), and the
 * socket itself a socket — not a symbolic link — owned by root or this user. Otherwise another user
 * could rename the daemon's directory away and put their own socket in its place: `f2b unban --all`
 * would go to them and report success. The socket's own mode is not looked at: write permission on
 * a socket lets one connect, not replace it (the read-only socket is 0660 for its group).
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { TrustBoundary } from '../trust.js';

let boundary: TrustBoundary | null = null;

/** Root and the user we run as (not the owners of f2b's files: a socket is no code of ours). */
export function socketBoundary(): TrustBoundary {
  boundary ??= new TrustBoundary({ owners: [0, typeof process.geteuid === 'function' ? process.geteuid() : 0], report: () => {} });
  return boundary;
}

/** Why a client must not connect to `path`, or null (also when nothing is there: "not running"). */
export function socketProblem(path: string): string | null {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (st.isSymbolicLink()) return `${path} is a symbolic link`;
  if (!st.isSocket()) return null; // connecting fails with a clear "not a socket" error
  // The component nearest to / first, as for code: the directory someone else owns says the most.
  const inDirectories = socketBoundary().problem(dirname(path));
  if (inDirectories) return inDirectories;
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  return st.uid !== 0 && st.uid !== euid ? `${path} is owned by uid ${st.uid}` : null;
}
