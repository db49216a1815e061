/**
 * The trust boundary for code and config, on OpenSSH's `StrictModes` model: f2b imports a module or
 * reads a config file only when the file and every directory above it, up to `/`, are owned by a
 * trusted user and writable by nobody else. Whoever could write any of them could make f2b run their
 * code (a plugin is a module, and so is `f2b.config.mjs`) — as root, for a system daemon.
 *
 * Trusted users: root, the user f2b runs as, and the owners of f2b's own installed files (whoever can
 * change those already decides what f2b runs). A directory writable by group or others is refused,
 * unless it has the sticky bit (like /tmp): there, others cannot rename or remove entries they do not
 * own, and the entry below it must itself be owned by a trusted user. Symbolic links are resolved
 * first and the real path is checked — and the real path is what gets imported.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flushStderr, sanitizeLine } from './logger.js';

export type TrustReporter = (message: string) => void;

export interface TrustBoundaryOptions {
  /** User ids whose files are trusted (besides nobody else). */
  owners: Iterable<number>;
  /** Where refused paths are reported (default: one line on stderr per path). */
  report?: TrustReporter;
}

export class TrustBoundary {
  readonly owners: ReadonlySet<number>;
  private readonly report: TrustReporter;
  /** Directories already found trusted (null) or not (the problem). */
  private readonly dirs = new Map<string, string | null>();
  private readonly reported = new Set<string>();

  constructor(opts: TrustBoundaryOptions) {
    this.owners = new Set(opts.owners);
    this.report =
      opts.report ??
      ((m) => {
        flushStderr();
        process.stderr.write(`f2b: ${m}\n`);
      });
  }

  /**
   * Why `path` may not be loaded (a sentence fragment: "/home/u is owned by uid 1000"), or null when
   * it may. A path that does not exist has no problem here (there is nothing to load).
   */
  problem(path: string): string | null {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return null;
    }
    // The component nearest to / first: "/home/u is owned by uid 1000" says more than its leaf.
    return this.dirProblem(dirname(real)) ?? this.entryProblem(real);
  }

  /** The real path of `path` when it may be loaded; otherwise reports it (once) and returns null. */
  admit(path: string, what = 'not loading'): string | null {
    const problem = this.problem(path);
    if (problem === null) return safeRealpath(path);
    this.refused(path, problem, what);
    return null;
  }

  /** Report a refused path once: "not loading /home/u/node_modules/x: /home/u is owned by uid 1000". */
  refused(path: string, problem: string, what = 'not loading'): void {
    if (this.reported.has(path)) return;
    this.reported.add(path);
    this.report(
      sanitizeLine(
        `${what} ${path}: ${problem} (f2b loads code and config only from files that ${this.ownersText()} and nobody else may write; see "Security" in the README)`,
      ),
    );
  }

  private ownersText(): string {
    const names = [...this.owners].map((u) => (u === 0 ? 'root' : `uid ${u}`));
    return names.length <= 1 ? `${names.join('')} owns` : `${names.slice(0, -1).join(', ')} or ${names.at(-1)} own`;
  }

  private dirProblem(dir: string): string | null {
    const cached = this.dirs.get(dir);
    if (cached !== undefined) return cached;
    const parent = dirname(dir);
    const problem = (parent === dir ? null : this.dirProblem(parent)) ?? this.entryProblem(dir);
    this.dirs.set(dir, problem);
    return problem;
  }

  /** One entry's owner and mode (a sticky directory may be open: others cannot replace what is in it). */
  private entryProblem(path: string): string | null {
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      return `${path} cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
    if (!this.owners.has(st.uid)) return `${path} is owned by uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && !(st.isDirectory() && (st.mode & 0o1000) !== 0)) {
      return `${path} is writable by ${(st.mode & 0o020) !== 0 ? 'its group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${(st.mode & 0o002) !== 0 ? 'others' : ''} (mode ${modeText(st.mode)})`;
    }
    return null;
  }
}

export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The directory of the @f2b/core package f2b runs from (…/core, holding dist/). */
const CORE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** Owners of f2b's own files along their path: they already decide what f2b runs. */
function selfOwners(): number[] {
  const out: number[] = [];
  let dir = safeRealpath(join(CORE_DIR, 'package.json'));
  for (;;) {
    try {
      const uid = statSync(dir).uid;
      if (!out.includes(uid)) out.push(uid);
    } catch {
      /* not there */
    }
    const parent = dirname(dir);
    if (parent === dir) return out;
    dir = parent;
  }
}

/** The users whose files f2b trusts: root, itself, and the owners of its own files. */
export function trustedOwners(): number[] {
  const me = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  return [...new Set([0, me, ...selfOwners()])];
}

let current: TrustBoundary | null = null;

/** The process's trust boundary (created on first use). */
export function trustBoundary(): TrustBoundary {
  current ??= new TrustBoundary({ owners: trustedOwners() });
  return current;
}

/** Replace the process's trust boundary (tests, embedding); returns the previous one. */
export function setTrustBoundary(boundary: TrustBoundary | null): TrustBoundary | null {
  const prev = current;
  current = boundary;
  return prev;
}
