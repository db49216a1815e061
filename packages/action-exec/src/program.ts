/**
 * May this program be run? It must be an absolute path to an executable regular file. When f2b runs
 * as root, the file and every directory above it must also be owned by root and writable by nobody
 * else (a directory writable by others is allowed only with the sticky bit, like /tmp, where others
 * cannot replace what root owns): whoever could change any of them could make root run their code.
 * The real path (symbolic links resolved) is what is checked, and what is run.
 */
import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

export type ProgramCheck = { ok: true; realPath: string } | { ok: false; problem: string };

const modeText = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** Checks `program` for a process whose effective user id is `euid`. */
export function checkProgram(program: string, euid: number): ProgramCheck {
  if (!program.startsWith('/')) return { ok: false, problem: 'it is not an absolute path' };
  let real: string;
  try {
    real = realpathSync(program);
  } catch (err) {
    return { ok: false, problem: `it cannot be found (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  let st: Stats;
  try {
    st = statSync(real);
  } catch (err) {
    return { ok: false, problem: `it cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  if (!st.isFile()) return { ok: false, problem: `${real} is not a regular file` };
  if ((st.mode & 0o111) === 0) return { ok: false, problem: `${real} is not executable (mode ${modeText(st.mode)})` };
  if (euid === 0) {
    // The directory nearest to / first: "/home/u is owned by uid 1000" says more than its leaf.
    const chain: string[] = [];
    for (let d = dirname(real); ; d = dirname(d)) {
      chain.unshift(d);
      if (dirname(d) === d) break;
    }
    for (const path of [...chain, real]) {
      const problem = writableByOthers(path);
      if (problem) return { ok: false, problem: `${problem}, and f2b runs as root` };
    }
  }
  return { ok: true, realPath: real };
}

function writableByOthers(path: string): string | null {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    return `${path} cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (st.uid !== 0) return `${path} is owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0 && !(st.isDirectory() && (st.mode & 0o1000) !== 0)) {
    const who = [(st.mode & 0o020) !== 0 ? 'its group' : '', (st.mode & 0o002) !== 0 ? 'others' : ''].filter(Boolean).join(' and ');
    return `${path} is writable by ${who} (mode ${modeText(st.mode)})`;
  }
  return null;
}
