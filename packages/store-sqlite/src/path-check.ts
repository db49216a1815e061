/**
 * Can the state database live at this path? Checked by `f2b config check` and at open, before
 * anything runs, so that an unusable path is one clear `F2B_ERR_STATE_*` error with the fix instead
 * of an SqliteError stack trace — and, at run time, before every use of the database, because
 * SQLite maps its `-shm` file into memory: once that file (or the database) is made immutable
 * (`chattr +i`) the kernel answers the next write to the mapping with SIGBUS, which kills the
 * process without a word. `access(W_OK)` sees immutable files (EPERM), read-only mounts (EROFS) and
 * missing permissions (EACCES) without opening anything.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PluginErrors } from '@f2b/core';
import { type F2bError } from '@f2b/kit';

/**
 * The core's F2B_ERR_STATE_* factories, as the core hands them to the plugin (`api.errors`): taken
 * as an argument, not imported, so the plugin needs no copy of the core at run time.
 */
export type StateErrors = Pick<
  PluginErrors,
  'F2B_ERR_STATE_DIR' | 'F2B_ERR_STATE_PATH' | 'F2B_ERR_STATE_READONLY' | 'F2B_ERR_STATE_LOCKED' | 'F2B_ERR_STATE_VERSION'
>;

/** The files SQLite uses for a database in WAL mode. */
export function databaseFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/** Throws the F2B_ERR_STATE_* error that says why `path` cannot hold the database; creates nothing. */
export function checkStatePath(path: string, errors: StateErrors): void {
  if (path === ':memory:') return;
  const abs = resolve(path);
  const st = statOrNull(abs);
  if (st?.isDirectory()) throw errors.F2B_ERR_STATE_PATH(abs);
  if (st) {
    for (const file of databaseFiles(abs)) {
      if (file === abs || statOrNull(file)) assertWritable(file, abs, errors);
    }
    // SQLite creates the -wal and -shm files next to the database.
    assertWritable(dirname(abs), abs, errors);
    return;
  }
  // The database does not exist yet: its directory, or the nearest ancestor we would create it in,
  // must be a writable directory.
  let dir = dirname(abs);
  for (;;) {
    const d = statOrNull(dir);
    if (d) {
      if (!d.isDirectory()) throw errors.F2B_ERR_STATE_DIR(dirname(abs), `${dir} is not a directory`);
      const problem = writeProblem(dir);
      if (problem) throw errors.F2B_ERR_STATE_DIR(dirname(abs), `${dir} ${problem.text}`);
      return;
    }
    const parent = dirname(dir);
    if (parent === dir) throw errors.F2B_ERR_STATE_DIR(dirname(abs), 'no part of it exists');
    dir = parent;
  }
}

/** Before each use of an open database: the same test for the files SQLite writes. */
export function assertDatabaseWritable(path: string, errors: StateErrors): void {
  for (const file of databaseFiles(path)) {
    if (file === path || statOrNull(file)) assertWritable(file, path, errors);
  }
}

function assertWritable(file: string, db: string, errors: StateErrors): void {
  const problem = writeProblem(file);
  if (problem) throw readonlyError(db, file, problem, errors);
}

interface WriteProblem {
  code: string;
  text: string;
}

function writeProblem(file: string): WriteProblem | null {
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') return null; // gone meanwhile: SQLite recreates it
    const text =
      code === 'EROFS'
        ? 'is on a read-only file system'
        : code === 'EPERM'
          ? 'is immutable (chattr +i) or append-only'
          : code === 'EACCES'
            ? 'is not writable by this user'
            : `cannot be written (${code})`;
    return { code, text };
  }
}

function readonlyError(db: string, file: string, problem: WriteProblem, errors: StateErrors): F2bError {
  const fix =
    problem.code === 'EROFS'
      ? 'Mount that file system read-write, or point state.path at a writable directory (under systemd: ReadWritePaths= must include it).'
      : problem.code === 'EPERM'
        ? `Remove the attribute (\`chattr -i ${file}\`; \`lsattr\` shows it), or point state.path elsewhere.`
        : `Give the user f2b runs as write access (\`chown\`/\`chmod\` ${file}), or point state.path elsewhere.`;
  return errors.F2B_ERR_STATE_READONLY(db, `${file} ${problem.text}`, fix);
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') return null; // a file where a directory should be: found at an ancestor
    throw err;
  }
}
