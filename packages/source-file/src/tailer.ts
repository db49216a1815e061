/**
 * A log file tailer: follows files and glob patterns like `tail -F`, survives rename and
 * copytruncate rotation, picks up files that appear later, and can resume from saved positions.
 *
 * Independent of the rest of f2b. Files are identified by dev+inode, plus a hash of their first
 * line and a hash of the bytes just before the saved offset: a copytruncated log whose first line is
 * a constant header, rewritten past the old offset, has the same inode and first line but not the
 * same bytes before the offset, and is read again from its beginning. chokidar events trigger reads immediately; a periodic scan
 * is the safety net and also what detects rotation and new files if an event is missed.
 *
 * All file work runs in one serialised "pump", so `onLines` is never called concurrently and its
 * promise is awaited before more is read (back-pressure).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FailureStreaks } from '@f2b/kit';
import { watch, type FSWatcher } from 'chokidar';
import { compileGlob, globCouldContain, globDepth, globMatches, type CompiledGlob } from './glob.js';

export interface TailPosition {
  path: string;
  dev: number;
  ino: number;
  /** Bytes consumed up to (and including the newline of) the last complete line delivered. */
  offset: number;
  /**
   * sha256 hex of the first line (without its newline; at most the first 4096 bytes), to
   * recognise a file after restart when inodes are reused. Empty when the file has no complete
   * first line yet (or could not be read); an empty hash is not compared.
   */
  firstLineHash: string;
  /**
   * sha256 hex of the (at most 256) bytes just before `offset`; '' at offset 0. Absent in positions
   * saved by older versions (then not compared).
   */
  tailHash?: string;
}

export interface FileTailerOptions {
  /** Files or glob patterns (`*`, `?`, `[...]`, `**`, `{a,b}`). Relative paths resolve against the cwd. */
  paths: string[];
  /**
   * Start reading existing files at their end (default, like `tail -f`) or from the beginning
   * (replay). Files that appear later are always read from their beginning.
   */
  fromStart?: boolean;
  /**
   * Saved positions from a previous run. A file that is still the same (dev+ino, first-line hash,
   * size >= offset) resumes at its offset; a different file at a saved path starts at its
   * beginning. A rotated-away file that still exists in the same directory is finished first.
   */
  positions?: TailPosition[];
  /** Complete lines (no '\n', no trailing '\r'), in file order. Never called concurrently; awaited. */
  onLines: (lines: Buffer[], path: string) => void | Promise<void>;
  onError?: (err: Error, path: string) => void;
  /** Milliseconds between safety-net scans (default 1000). */
  pollInterval?: number;
  /**
   * Maximum line length in bytes (default 64 KiB). A longer line is never delivered: cut, its end
   * could be a forged one (`… from <decoy> port 22 ssh2` padded to end exactly at the cut), so it is
   * skipped to the next newline and reported to `onOverlong`.
   */
  maxLineLength?: number;
  /** Called once per line longer than maxLineLength (which is not delivered). */
  onOverlong?: (path: string) => void;
}

const CHUNK_SIZE = 256 * 1024;
/** Chunks read from one file before other work gets a turn (4 MiB). */
const CHUNKS_PER_TURN = 16;
const HASH_BYTES = 4096;
/** Bytes before the offset that identify the content read so far (see TailPosition.tailHash). */
const TAIL_BYTES = 256;
const EMPTY = Buffer.alloc(0);
const NL = 0x0a;
const CR = 0x0d;
const MAX_SCAN_DEPTH = 64;
const READY_TIMEOUT_MS = 10_000;

interface TrackedFile {
  /** Path reported to onLines and in positions. */
  path: string;
  /** Path used to open the file (differs for a rotated-away file found at startup). */
  fsPath: string;
  dev: number;
  ino: number;
  key: string;
  fh: FileHandle | null;
  /** Bytes read from the file so far. */
  readPos: number;
  /** Start of the current (incomplete) line = bytes consumed. */
  lineStart: number;
  /** Kept bytes of the current incomplete line (copies, at most maxLineLength in total). */
  pending: Buffer[];
  pendingLen: number;
  /** The current line exceeded maxLineLength: it is discarded up to the newline. */
  truncated: boolean;
  /** Discard the current line entirely (we started in the middle of it). */
  skip: boolean;
  /** Check the byte before readPos on open; if it is not a newline, skip to the next line. */
  syncToLine: boolean;
  /** Saved first-line hash to verify once the file is open (resume), or null. */
  expectHash: string | null;
  hash: string;
  hashFinal: boolean;
  /** Saved tail hash to verify once the file is open (resume), or null; '' is not compared. */
  expectTail: string | null;
  /** The last bytes before readPos, and before lineStart (at most TAIL_BYTES each). */
  recent: Buffer;
  tail: Buffer;
}

interface WatchGroup {
  base: string;
  depth: number | undefined;
  globs: CompiledGlob[];
  watcher: FSWatcher | null;
  /** dev:ino of the watched base directory, to notice it being replaced. */
  baseKey: string | null;
}

type ReadResult = 'done' | 'more' | 'error';

function identityKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function isGone(e: unknown): boolean {
  const code = errCode(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The last TAIL_BYTES bytes of `prev` followed by `chunk[0, end)`, as a copy. */
function lastBytes(prev: Buffer, chunk: Buffer, end: number): Buffer {
  if (end >= TAIL_BYTES) return Buffer.from(chunk.subarray(end - TAIL_BYTES, end));
  const keep = Math.min(prev.length, TAIL_BYTES - end);
  return Buffer.concat([prev.subarray(prev.length - keep), chunk.subarray(0, end)]);
}

export class FileTailer {
  private readonly opts: FileTailerOptions;
  private readonly globs: CompiledGlob[];
  private readonly groups: WatchGroup[];
  private readonly fromStart: boolean;
  private readonly pollInterval: number;
  private readonly maxLineLength: number;
  /** Lines longer than maxLineLength seen so far (never delivered). */
  overlongLines = 0;

  /** Files being followed, by dev:ino. Insertion order = read order. */
  private readonly tracked = new Map<string, TrackedFile>();
  /** Files that left their path (rotated away / deleted): finish reading them, then close. */
  private draining: TrackedFile[] = [];
  /** The error reported per path and operation: once per streak, until that operation succeeds again (retries happen every poll). */
  private readonly errorStreaks = new FailureStreaks();

  private started = false;
  private stopping = false;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pump: Promise<void> | null = null;
  private fullRequested = false;
  private readonly lightRequested = new Set<string>();
  private pollWaiters: Array<() => void> = [];

  constructor(opts: FileTailerOptions) {
    if (!opts || !Array.isArray(opts.paths) || opts.paths.length === 0) {
      throw new TypeError('FileTailer: `paths` must be a non-empty array of file paths or globs');
    }
    if (typeof opts.onLines !== 'function') throw new TypeError('FileTailer: `onLines` must be a function');
    const pollInterval = opts.pollInterval ?? 1000;
    if (!Number.isFinite(pollInterval) || pollInterval <= 0) {
      throw new RangeError('FileTailer: `pollInterval` must be a positive number of milliseconds');
    }
    const maxLineLength = opts.maxLineLength ?? 64 * 1024;
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError('FileTailer: `maxLineLength` must be a positive integer');
    }
    this.opts = opts;
    this.fromStart = opts.fromStart ?? false;
    this.pollInterval = pollInterval;
    this.maxLineLength = maxLineLength;

    const cwd = process.cwd();
    this.globs = [];
    for (const p of opts.paths) {
      if (typeof p !== 'string' || p.length === 0) throw new TypeError('FileTailer: `paths` entries must be non-empty strings');
      this.globs.push(...compileGlob(p, cwd));
    }
    const byKey = new Map<string, WatchGroup>();
    for (const g of this.globs) {
      const depth = globDepth(g);
      const k = `${g.base}\0${depth ?? '*'}`;
      let group = byKey.get(k);
      if (!group) {
        group = { base: g.base, depth, globs: [], watcher: null, baseKey: null };
        byKey.set(k, group);
      }
      group.globs.push(g);
    }
    this.groups = [...byKey.values()];
  }

  /** Establish initial positions, start watching. Reading then proceeds in the background. */
  start(): Promise<void> {
    if (this.startPromise) return this.startPromise;
    if (this.stopping) return Promise.reject(new Error('FileTailer: start() after stop()'));
    this.startPromise = this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const scan = await this.scan();
    if (this.stopping) return;
    await this.initialSetup(scan.files);
    if (this.stopping) return;
    await this.ensureWatchers(true);
    if (this.stopping) return;
    this.started = true;
    this.timer = setInterval(() => {
      this.fullRequested = true;
      this.kick();
    }, this.pollInterval);
    this.timer.unref();
    this.fullRequested = true;
    this.kick();
  }

  /** Stop watching and close all files. Safe to call more than once. */
  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.pump) await this.pump;
    await Promise.all(
      this.groups.map(async (g) => {
        const w = g.watcher;
        g.watcher = null;
        if (w) await w.close().catch(() => undefined);
      }),
    );
    for (const resolve of this.pollWaiters.splice(0)) resolve();
    await Promise.all([...this.draining, ...this.tracked.values()].map((t) => this.closeFile(t)));
  }

  /** Current positions (offset = bytes consumed up to the last complete line delivered). */
  positions(): TailPosition[] {
    if (!this.startPromise) return (this.opts.positions ?? []).map((p) => ({ ...p }));
    const out: TailPosition[] = [];
    for (const t of [...this.draining, ...this.tracked.values()]) {
      out.push({
        path: t.path, dev: t.dev, ino: t.ino, offset: t.lineStart, firstLineHash: t.expectHash ?? t.hash,
        tailHash: t.expectTail ?? (t.lineStart > 0 && t.tail.length > 0 ? sha256Hex(t.tail) : ''),
      });
    }
    return out;
  }

  /**
   * Scan and read everything that is available now. Resolves immediately if not started or
   * stopped; called during start(), it resolves after the first scan following it.
   */
  poll(): Promise<void> {
    if (this.stopping || !this.startPromise) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.pollWaiters.push(resolve);
      this.fullRequested = true;
      this.kick();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Scheduling

  private kick(): void {
    if (this.pump || this.stopping || !this.started) return;
    this.pump = this.runPump().finally(() => {
      this.pump = null;
      if (!this.stopping && (this.fullRequested || this.lightRequested.size > 0)) this.kick();
    });
  }

  private async runPump(): Promise<void> {
    while (!this.stopping && (this.fullRequested || this.lightRequested.size > 0)) {
      try {
        if (this.fullRequested) {
          this.fullRequested = false;
          const waiters = this.pollWaiters.splice(0);
          try {
            await this.fullSync(waiters.length > 0);
          } finally {
            for (const resolve of waiters) resolve();
          }
        } else {
          const paths = [...this.lightRequested];
          this.lightRequested.clear();
          for (const p of paths) {
            if (this.stopping || this.fullRequested) {
              // A full sync reads every file anyway.
              break;
            }
            await this.lightRead(p);
          }
        }
      } catch (e) {
        this.reportError(e, '', null);
      }
    }
  }

  /** chokidar events: something may have changed, appeared or gone. */
  private onWatchEvent(event: string, p: string): void {
    if (this.stopping) return;
    const np = path.resolve(p);
    if (event === 'change') {
      // Usually already seen as a raw event; the pending set de-duplicates.
      if (this.findTrackedByPath(np)) this.lightRequested.add(np);
      else if (this.matchesAny(np)) this.fullRequested = true;
      else return;
    } else if (event === 'addDir' || event === 'unlinkDir' || this.matchesAny(np) || this.findTrackedByPath(np)) {
      this.fullRequested = true;
    } else {
      return;
    }
    this.kick();
  }

  /**
   * Raw fs.watch events. chokidar's own 'change' event is filtered by timestamps and can be lost
   * for quick successive appends, so file changes are taken from the raw events instead.
   */
  private onRawEvent(event: string, filename: unknown, details: unknown): void {
    if (this.stopping) return;
    const watched =
      typeof details === 'object' && details !== null && 'watchedPath' in details
        ? String((details as { watchedPath: unknown }).watchedPath)
        : null;
    if (watched === null) return;
    const candidates = [path.resolve(watched)];
    if (typeof filename === 'string' && filename.length > 0) candidates.push(path.resolve(watched, filename));
    let wanted = false;
    for (const c of candidates) {
      if (event === 'change' && this.findTrackedByPath(c)) {
        this.lightRequested.add(c);
        wanted = true;
      } else if (this.findTrackedByPath(c) || this.matchesAny(c)) {
        this.fullRequested = true;
        wanted = true;
      }
    }
    if (wanted) this.kick();
  }

  // ---------------------------------------------------------------------------------------------
  // Discovery

  private matchesAny(p: string): boolean {
    for (const g of this.globs) if (globMatches(g, p)) return true;
    return false;
  }

  private findTrackedByPath(p: string): TrackedFile | undefined {
    for (const t of this.tracked.values()) if (t.path === p) return t;
    return undefined;
  }

  /**
   * The regular files matching the patterns now, without starting (for "does this jail watch
   * anything?"); scan errors (a directory f2b may not read) go to `onError`.
   */
  async matchingFiles(): Promise<string[]> {
    return [...(await this.scan()).files.keys()];
  }

  /** All regular files currently matching the patterns. `complete` is false if a scan error hid some. */
  private async scan(): Promise<{ files: Map<string, Stats>; complete: boolean }> {
    const files = new Map<string, Stats>();
    const state = { complete: true };
    for (const g of this.globs) {
      if (this.stopping) break;
      if (g.literalPath !== null) {
        const p = g.literalPath;
        if (files.has(p)) continue;
        try {
          const st = await stat(p);
          if (st.isFile()) files.set(p, st);
          this.clearError('scan', p);
        } catch (e) {
          if (!isGone(e)) {
            state.complete = false;
            this.reportError(e, p, 'scan');
          }
        }
      } else {
        await this.walk(g, g.base, 0, files, new Set<string>(), state);
      }
    }
    return { files, complete: state.complete };
  }

  private async walk(
    g: CompiledGlob,
    dir: string,
    depth: number,
    files: Map<string, Stats>,
    visited: Set<string>,
    state: { complete: boolean },
  ): Promise<void> {
    if (depth > MAX_SCAN_DEPTH || this.stopping) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
      this.clearError('scan', dir);
    } catch (e) {
      if (!isGone(e)) {
        state.complete = false;
        this.reportError(e, dir, 'scan');
      }
      return;
    }
    for (const ent of entries) {
      const full = dir === '/' ? `/${ent.name}` : `${dir}/${ent.name}`;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      let st: Stats | undefined;
      if (ent.isSymbolicLink()) {
        try {
          st = await stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isFile && globMatches(g, full)) {
        if (files.has(full)) continue;
        try {
          st ??= await stat(full);
          if (st.isFile()) files.set(full, st);
          this.clearError('scan', full);
        } catch (e) {
          if (!isGone(e)) {
            state.complete = false;
            this.reportError(e, full, 'scan');
          }
        }
      } else if (isDir && globCouldContain(g, full)) {
        if (g.recursive) {
          // Guard against symlink loops.
          try {
            st ??= await stat(full);
          } catch {
            continue;
          }
          const k = identityKey(st.dev, st.ino);
          if (visited.has(k)) continue;
          visited.add(k);
        }
        await this.walk(g, full, depth + 1, files, visited, state);
      }
    }
  }

  private async ensureWatchers(waitReady: boolean): Promise<void> {
    const readies: Array<Promise<void>> = [];
    for (const group of this.groups) {
      if (this.stopping) return;
      let baseKey: string | null = null;
      try {
        const st = await stat(group.base);
        if (st.isDirectory()) baseKey = identityKey(st.dev, st.ino);
        this.clearError('watch', group.base);
      } catch (e) {
        if (!isGone(e)) this.reportError(e, group.base, 'watch');
      }
      if (group.watcher && group.baseKey !== baseKey) {
        const w = group.watcher;
        group.watcher = null;
        group.baseKey = null;
        await w.close().catch(() => undefined);
      }
      if (!group.watcher && baseKey !== null && !this.stopping) {
        const w = watch(group.base, {
          ignoreInitial: true,
          persistent: true,
          followSymlinks: true,
          atomic: false,
          ignorePermissionErrors: true,
          depth: group.depth,
          ignored: (p: string, st?: Stats) => !this.relevantForGroup(group, p, st),
        });
        group.watcher = w;
        group.baseKey = baseKey;
        w.on('all', (event, p) => this.onWatchEvent(event, p));
        w.on('raw', (event, filename, details) => this.onRawEvent(event, filename, details));
        w.on('error', (err) => this.reportError(err, group.base, 'watch'));
        const ready = new Promise<void>((resolve) => {
          const t = setTimeout(resolve, READY_TIMEOUT_MS);
          t.unref();
          w.once('ready', () => {
            clearTimeout(t);
            resolve();
          });
        });
        if (waitReady) {
          readies.push(ready);
        } else {
          // Anything created before the watcher was ready is caught by one more scan.
          void ready.then(() => {
            this.fullRequested = true;
            this.kick();
          });
        }
      }
    }
    await Promise.all(readies);
  }

  /** chokidar filter: keep the base, directories that can contain matches, and matching files. */
  private relevantForGroup(group: WatchGroup, p: string, st?: Stats): boolean {
    const np = path.resolve(p);
    if (np === group.base || group.base.startsWith(np === '/' ? '/' : np + '/')) return true;
    for (const g of group.globs) {
      if (st?.isDirectory()) {
        if (globCouldContain(g, np)) return true;
      } else if (st) {
        if (globMatches(g, np)) return true;
      } else if (globMatches(g, np) || globCouldContain(g, np)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Startup

  private newTracked(p: string, st: Stats): TrackedFile {
    return {
      path: p,
      fsPath: p,
      dev: st.dev,
      ino: st.ino,
      key: identityKey(st.dev, st.ino),
      fh: null,
      readPos: 0,
      lineStart: 0,
      pending: [],
      pendingLen: 0,
      truncated: false,
      skip: false,
      syncToLine: false,
      expectHash: null,
      hash: '',
      hashFinal: false,
      expectTail: null,
      recent: EMPTY,
      tail: EMPTY,
    };
  }

  private async initialSetup(files: Map<string, Stats>): Promise<void> {
    const saved = (this.opts.positions ?? []).filter(
      (s) =>
        s !== null &&
        typeof s === 'object' &&
        typeof s.path === 'string' &&
        Number.isFinite(s.dev) &&
        Number.isFinite(s.ino) &&
        Number.isInteger(s.offset) &&
        s.offset >= 0,
    );
    const savedByKey = new Map<string, TailPosition>();
    const savedPaths = new Set<string>();
    for (const s of saved) {
      const k = identityKey(s.dev, s.ino);
      if (!savedByKey.has(k)) savedByKey.set(k, s);
      savedPaths.add(path.resolve(s.path));
    }
    const used = new Set<string>();

    // Files we were already following come first, so an old (rotated) file is read before newer ones.
    const entries = [...files].sort(
      ([, a], [, b]) =>
        Number(!savedByKey.has(identityKey(a.dev, a.ino))) - Number(!savedByKey.has(identityKey(b.dev, b.ino))),
    );
    for (const [p, st] of entries) {
      const k = identityKey(st.dev, st.ino);
      if (this.tracked.has(k)) continue; // hard link to a file already followed
      const t = this.newTracked(p, st);
      const s = savedByKey.get(k);
      if (s) used.add(k);
      if (s && st.size >= s.offset) {
        // Same inode: resume (the hash is verified once the file is open).
        t.readPos = t.lineStart = s.offset;
        t.expectHash = typeof s.firstLineHash === 'string' ? s.firstLineHash : '';
        t.expectTail = typeof s.tailHash === 'string' ? s.tailHash : '';
        t.syncToLine = s.offset > 0;
      } else if (s || savedPaths.has(p) || this.fromStart) {
        // Truncated while we were stopped, new since we stopped, or replay requested.
        t.readPos = t.lineStart = 0;
      } else {
        t.readPos = t.lineStart = st.size;
        t.syncToLine = st.size > 0;
      }
      this.tracked.set(k, t);
      await this.ensureOpen(t);
    }

    // Saved files that are no longer at a matching path: rotated away while we were stopped.
    for (const s of saved) {
      const k = identityKey(s.dev, s.ino);
      if (used.has(k) || this.tracked.has(k)) continue;
      const savedPath = path.resolve(s.path);
      if (!this.matchesAny(savedPath)) continue;
      used.add(k);
      const found = await this.findByIdentity(path.dirname(savedPath), path.basename(savedPath), s.dev, s.ino);
      if (!found || found.st.size < s.offset) continue;
      const t = this.newTracked(savedPath, found.st);
      t.fsPath = found.path;
      t.readPos = t.lineStart = s.offset;
      t.syncToLine = s.offset > 0;
      if (!(await this.ensureOpen(t))) continue;
      const expected = typeof s.firstLineHash === 'string' ? s.firstLineHash : '';
      if (expected !== '' && t.hash !== expected) {
        await this.closeFile(t); // inode reused by an unrelated file
        continue;
      }
      this.draining.push(t);
    }
  }

  /** Look for a file with the given identity in `dir`, trying names that start with `hint` first. */
  private async findByIdentity(
    dir: string,
    hint: string,
    dev: number,
    ino: number,
  ): Promise<{ path: string; st: Stats } | null> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (!isGone(e)) this.reportError(e, dir, 'scan');
      return null;
    }
    names.sort((a, b) => Number(!a.startsWith(hint)) - Number(!b.startsWith(hint)));
    for (const name of names) {
      const full = path.join(dir, name);
      try {
        const st = await stat(full);
        if (st.isFile() && st.dev === dev && st.ino === ino) return { path: full, st };
      } catch {
        // vanished or unreadable: not it
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Sync

  private async fullSync(exhaustive: boolean): Promise<void> {
    await this.ensureWatchers(false);
    const { files, complete } = await this.scan();
    if (this.stopping) return;
    const pathByKey = new Map<string, string>();
    for (const [p, st] of files) {
      const k = identityKey(st.dev, st.ino);
      if (!pathByKey.has(k)) pathByKey.set(k, p);
    }

    // Files that left their path: finish them (rename rotation, deletion).
    for (const t of [...this.tracked.values()]) {
      const p = pathByKey.get(t.key);
      if (p !== undefined) {
        t.path = t.fsPath = p; // still matching, possibly under a new name
      } else if (complete) {
        this.tracked.delete(t.key);
        if (t.fh) this.draining.push(t);
      }
    }
    await this.processDrains();
    if (this.stopping) return;

    // New files: always from their beginning.
    for (const [p, st] of files) {
      const k = identityKey(st.dev, st.ino);
      if (this.tracked.has(k) || pathByKey.get(k) !== p) continue;
      const t = this.newTracked(p, st);
      this.tracked.set(k, t);
    }

    for (const t of [...this.tracked.values()]) {
      if (this.stopping) return;
      if (this.tracked.get(t.key) !== t) continue;
      const res = await this.readAvailable(t, exhaustive ? Infinity : CHUNKS_PER_TURN, false);
      if (res === 'more') this.lightRequested.add(t.path);
    }
  }

  private async lightRead(p: string): Promise<void> {
    const t = this.findTrackedByPath(p);
    if (!t) return;
    let st: Stats;
    try {
      st = await stat(p);
    } catch {
      this.fullRequested = true; // gone or inaccessible: let the full sync sort it out
      return;
    }
    if (st.dev !== t.dev || st.ino !== t.ino) {
      this.fullRequested = true; // rotated
      return;
    }
    const res = await this.readAvailable(t, CHUNKS_PER_TURN, false);
    if (res === 'more') this.lightRequested.add(t.path);
  }

  private async processDrains(): Promise<void> {
    while (this.draining.length > 0 && !this.stopping) {
      const t = this.draining[0]!;
      await this.readAvailable(t, Infinity, true);
      if (this.stopping) return; // keep it for positions(); finished on the next start
      this.draining.shift();
      await this.closeFile(t);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  private async ensureOpen(t: TrackedFile): Promise<boolean> {
    if (t.fh) return true;
    let fh: FileHandle;
    try {
      fh = await open(t.fsPath, 'r');
    } catch (e) {
      if (isGone(e)) this.fullRequested = true;
      else this.reportError(e, t.path, 'read');
      return false;
    }
    try {
      const st = await fh.stat();
      if (st.dev !== t.dev || st.ino !== t.ino) {
        // Replaced between scan and open; the next full sync sees the new identity.
        await fh.close().catch(() => undefined);
        this.fullRequested = true;
        return false;
      }
      t.fh = fh;
      if (t.expectHash !== null) {
        const expected = t.expectHash;
        t.expectHash = null;
        await this.updateHash(t);
        if (expected !== '' && t.hash !== expected) this.resetToStart(t); // inode reused
      }
      if (st.size < t.readPos) this.resetToStart(t);
      await this.loadTail(t);
      if (t.syncToLine) {
        t.syncToLine = false;
        if (t.readPos > 0) {
          const b = Buffer.alloc(1);
          const { bytesRead } = await fh.read(b, 0, 1, t.readPos - 1);
          if (bytesRead === 1 && b[0] !== NL) t.skip = true;
        }
      }
      if (!t.hashFinal) await this.updateHash(t);
      this.clearError('read', t.path);
      return true;
    } catch (e) {
      t.fh = null;
      await fh.close().catch(() => undefined);
      this.reportError(e, t.path, 'read');
      return false;
    }
  }

  private async closeFile(t: TrackedFile): Promise<void> {
    const fh = t.fh;
    t.fh = null;
    if (fh) await fh.close().catch(() => undefined);
  }

  private resetToStart(t: TrackedFile): void {
    t.readPos = 0;
    t.lineStart = 0;
    t.pending = [];
    t.pendingLen = 0;
    t.truncated = false;
    t.skip = false;
    t.hash = '';
    t.hashFinal = false;
    t.recent = t.tail = EMPTY;
  }

  /** The bytes of the file just before `pos` (at most TAIL_BYTES). */
  private async bytesBefore(fh: FileHandle, pos: number): Promise<Buffer> {
    const from = Math.max(0, pos - TAIL_BYTES);
    const buf = Buffer.alloc(pos - from);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }

  /**
   * On open at an offset: remember the bytes before it, and when resuming, check they are the ones
   * we had read — otherwise the file was rewritten under the same inode and first line (copytruncate
   * with a constant header) and its content starts at the beginning.
   */
  private async loadTail(t: TrackedFile): Promise<void> {
    const expected = t.expectTail;
    t.expectTail = null;
    if (t.readPos === 0 || t.readPos !== t.lineStart || t.pendingLen > 0) return;
    const before = await this.bytesBefore(t.fh!, t.readPos);
    if (expected && sha256Hex(before) !== expected) {
      this.resetToStart(t);
      return;
    }
    t.recent = t.tail = before;
  }

  /** The bytes before readPos are still the ones we read (not rewritten since the last look). */
  private async tailStillThere(t: TrackedFile, fh: FileHandle): Promise<boolean> {
    if (t.recent.length === 0) return true;
    return (await this.bytesBefore(fh, t.readPos)).subarray(-t.recent.length).equals(t.recent);
  }

  /** Hash of the first line, or '' if there is no complete first line yet. */
  private async firstLineHash(fh: FileHandle): Promise<string> {
    const buf = Buffer.allocUnsafe(HASH_BYTES);
    let got = 0;
    while (got < HASH_BYTES) {
      const { bytesRead } = await fh.read(buf, got, HASH_BYTES - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = buf.subarray(0, got);
    const nl = data.indexOf(NL);
    if (nl < 0 && got < HASH_BYTES) return '';
    return sha256Hex(nl >= 0 ? data.subarray(0, nl) : data);
  }

  private async updateHash(t: TrackedFile): Promise<void> {
    if (!t.fh) return;
    t.hash = await this.firstLineHash(t.fh);
    t.hashFinal = t.hash !== '';
  }

  /**
   * Read what is available, at most `maxChunks` chunks. `drain`: read to the very end and deliver
   * a final unterminated line (the file will not grow any more for us).
   */
  private async readAvailable(t: TrackedFile, maxChunks: number, drain: boolean): Promise<ReadResult> {
    if (!(await this.ensureOpen(t))) return 'error';
    const fh = t.fh!;
    try {
      let size = (await fh.stat()).size;
      if (size < t.readPos) {
        this.resetToStart(t); // copytruncate
      } else if (!drain && t.hashFinal && t.readPos > 0 && size > t.readPos) {
        // Truncated and rewritten past our offset between two looks: the first line changed.
        if ((await this.firstLineHash(fh)) !== t.hash) this.resetToStart(t);
        // … or only what follows a constant first line (a header) did.
        else if (!(await this.tailStillThere(t, fh))) this.resetToStart(t);
      }
      if (!t.hashFinal && size > 0) await this.updateHash(t);
      let chunks = 0;
      for (;;) {
        if (this.stopping) return 'done';
        if (t.readPos >= size) {
          if (!drain) break;
          size = (await fh.stat()).size; // a writer may still be finishing the old file
          if (t.readPos >= size) break;
        }
        if (chunks >= maxChunks) return 'more';
        const want = Math.min(CHUNK_SIZE, size - t.readPos);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, t.readPos);
        if (bytesRead === 0) break; // shrank under us; the next look handles it
        chunks++;
        const chunkStart = t.readPos;
        const data = buf.subarray(0, bytesRead);
        const { lines, lineStart } = this.split(t, data, chunkStart);
        if (lineStart >= 0) t.tail = lastBytes(t.recent, data, lineStart - chunkStart);
        t.recent = lastBytes(t.recent, data, bytesRead);
        t.readPos += bytesRead;
        if (lines.length > 0) await this.deliver(lines, t.path);
        if (lineStart >= 0) t.lineStart = lineStart;
        if (!t.hashFinal && chunkStart < HASH_BYTES) await this.updateHash(t);
        await yieldToEventLoop();
      }
      if (drain && !this.stopping) {
        const line = t.skip || t.truncated || t.pendingLen === 0 ? null : this.takePending(t);
        if (!t.skip && (t.truncated || (line !== null && line.length > this.maxLineLength))) this.overlong(t);
        else if (line !== null) await this.deliver([line], t.path);
        t.pending = [];
        t.pendingLen = 0;
        t.truncated = false;
        t.skip = false;
        t.lineStart = t.readPos;
        t.tail = t.recent;
      }
      this.clearError('read', t.path);
      return 'done';
    } catch (e) {
      this.reportError(e, t.path, 'read');
      return 'error';
    }
  }

  /** Split a chunk into complete lines; keep the unterminated rest in `pending`. */
  private split(t: TrackedFile, chunk: Buffer, chunkStart: number): { lines: Buffer[]; lineStart: number } {
    const lines: Buffer[] = [];
    const max = this.maxLineLength;
    let pos = 0;
    let lastNl = -1;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      lastNl = nl;
      if (t.skip) {
        t.skip = false;
      } else if (t.pendingLen === 0 && !t.truncated) {
        let line = chunk.subarray(pos, nl);
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        if (line.length > max) this.overlong(t);
        else lines.push(line);
      } else {
        this.appendPending(t, chunk.subarray(pos, nl));
        const line = t.truncated ? null : this.takePending(t);
        if (line === null || line.length > max) this.overlong(t);
        else lines.push(line);
      }
      pos = nl + 1;
    }
    if (pos < chunk.length) this.appendPending(t, chunk.subarray(pos));
    return { lines, lineStart: lastNl >= 0 ? chunkStart + lastNl + 1 : -1 };
  }

  private appendPending(t: TrackedFile, part: Buffer): void {
    if (t.skip || t.truncated || part.length === 0) return;
    // One byte more than a line may have: room for the `\r` of a CRLF line, stripped when it ends.
    const room = this.maxLineLength + 1 - t.pendingLen;
    if (part.length > room) {
      // Nothing of an overlong line is kept: it is dropped whole at its newline.
      t.pending = [];
      t.pendingLen = 0;
      t.truncated = true;
    } else {
      t.pending.push(Buffer.from(part)); // copy: do not pin the whole read chunk
      t.pendingLen += part.length;
    }
  }

  private takePending(t: TrackedFile): Buffer {
    let line = t.pending.length === 1 ? t.pending[0]! : Buffer.concat(t.pending, t.pendingLen);
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    t.pending = [];
    t.pendingLen = 0;
    return line;
  }

  /** The current line was longer than maxLineLength: forget it and report it. */
  private overlong(t: TrackedFile): void {
    t.pending = [];
    t.pendingLen = 0;
    t.truncated = false;
    this.overlongLines++;
    try {
      this.opts.onOverlong?.(t.path);
    } catch (e) {
      this.emitError(toError(e), t.path);
    }
  }

  private async deliver(lines: Buffer[], p: string): Promise<void> {
    try {
      await this.opts.onLines(lines, p);
    } catch (e) {
      // The lines count as consumed; retrying them could loop forever.
      this.emitError(toError(e), p);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

  /**
   * Report an error. With a `kind`, the same error for the same path and kind of operation is
   * reported only once until that operation succeeds again (retries happen every poll).
   */
  private reportError(e: unknown, p: string, kind: 'scan' | 'read' | 'watch' | null): void {
    const err = toError(e);
    if (kind !== null) {
      const key = `${kind}\0${p}`;
      const sig = errCode(e) ?? err.message;
      if (!this.errorStreaks.report(key, sig)) return;
    }
    this.emitError(err, p);
  }

  private clearError(kind: 'scan' | 'read' | 'watch', p: string): void {
    this.errorStreaks.succeeded(`${kind}\0${p}`);
  }

  private emitError(err: Error, p: string): void {
    try {
      this.opts.onError?.(err, p);
    } catch {
      // onError must not break the tailer
    }
  }
}
