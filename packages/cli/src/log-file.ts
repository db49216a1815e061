/**
 * Where a detached daemon writes its log: `--log-file`, or by default `/var/log/f2b/f2b.log` for
 * root and `$XDG_STATE_HOME/f2b/f2b.log` (`~/.local/state/f2b/f2b.log`) for anyone else — never
 * /dev/null, so that the ban trail and errors of a daemon started without systemd are kept.
 *
 * Root opens it as carefully as it opens config: never through a symbolic link (O_NOFOLLOW), only a
 * regular file owned by the daemon's user, in a directory that no other user can write — otherwise
 * another user could point root's appends at /etc/shadow or read what the daemon logs.
 */
import { constants, fstatSync, mkdirSync, openSync, closeSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { errors } from '@f2b/core';

export function defaultLogFile(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (uid === 0) return '/var/log/f2b/f2b.log';
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(state, 'f2b', 'f2b.log');
}

const unusable = (path: string, why: string) => errors.F2B_ERR_LOG_FILE(path, why);

/** Open (create) the log file for appending; the descriptor goes to the detached daemon. */
export function openLogFile(file: string, created: boolean): number {
  const path = resolve(file);
  const dir = dirname(path);
  const uid = process.getuid?.() ?? 0;
  if (created) {
    try {
      mkdirSync(dir, { recursive: true, mode: uid === 0 ? 0o750 : 0o700 });
    } catch (err) {
      throw unusable(path, `its directory cannot be created (${(err as Error).message})`);
    }
  }
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch (err) {
    throw unusable(path, `its directory is not there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if ((dirStat.mode & 0o022) !== 0 && (dirStat.mode & 0o1000) === 0) throw unusable(path, `${dir} is writable by other users`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw unusable(path, code === 'ELOOP' ? 'it is a symbolic link' : `it cannot be opened (${code ?? (err as Error).message})`);
  }
  const st = fstatSync(fd);
  const problem = !st.isFile()
    ? 'it is not a regular file'
    : st.uid !== uid
      ? `it belongs to uid ${st.uid}`
      : (st.mode & 0o002) !== 0
        ? 'every user can write it'
        : null;
  if (problem) {
    closeSync(fd);
    throw unusable(path, problem);
  }
  return fd;
}
