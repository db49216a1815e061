/** Small programs written into a temp dir at test time: /bin/sh scripts as the *program*. */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Scratch {
  dir: string;
  /** Writes an executable /bin/sh script and returns its path. */
  script(name: string, body: string): string;
  path(name: string): string;
  read(name: string): string;
  exists(name: string): boolean;
  cleanup(): void;
}

export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-exec-test-'));
  chmodSync(dir, 0o755);
  return {
    dir,
    script(name, body) {
      const p = join(dir, name);
      writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      chmodSync(p, 0o755);
      return p;
    },
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name), 'utf8'),
    exists: (name) => existsSync(join(dir, name)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The NUL-separated argv a recording script wrote (`printf '%s\0' "$@"`), one array per call. */
export function calls(text: string): string[][] {
  return text
    .split('\x01\n')
    .filter((c) => c !== '')
    .map((c) => c.split('\0').slice(0, -1));
}

/** A script body that appends its argv (NUL-separated, one call per record) to `file`. */
export const recordArgs = (file: string) => `printf '%s\\0' "$@" >> '${file}'; printf '\\001\\n' >> '${file}'`;

/** True while a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
