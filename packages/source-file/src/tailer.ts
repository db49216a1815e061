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
import type { Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { FailureStreaks, systemClock, type Clock, type TimerHandle } from '@f2b/kit';
import { Discovery, errCode, isGone, type ErrorKind } from './discovery.js';
import { LineSplitter } from './lines.js';
import { bytesBefore, findByIdentity, firstLineHash, HASH_BYTES, identityKey, lastBytes, SavedPositions, sha256Hex, type TailPosition } from './resume.js';

export type { TailPosition } from './resume.js';

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
  onLines: (lines: Buffer[], path: string, more: boolean) => void | Promise<void>;
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
  /** Timers (the poll, the wait for a watcher) run on it; default the system clock. */
  clock?: Clock;
}

const CHUNK_SIZE = 256 * 1024;
/** Chunks read from one file before other work gets a turn (4 MiB). */
const CHUNKS_PER_TURN = 16;
const EMPTY = Buffer.alloc(0);
const NL = 0x0a;

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
  /** The lines of this file: the unterminated rest, an overlong line being dropped. */
  lines: LineSplitter;
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

type ReadResult = 'done' | 'more' | 'error';

/** The size of an open file, or undefined (none open, or it failed: the caller takes it again). */
async function sizeOf(fh: FileHandle | null): Promise<number | undefined> {
  if (fh === null) return undefined;
  try {
    return (await fh.stat()).size;
  } catch {
    return undefined;
  }
}

/** Up to CHUNK_SIZE bytes at `pos` of a file of `size` bytes (fewer if it shrank meanwhile). */
async function readAt(fh: FileHandle, pos: number, size: number): Promise<Buffer> {
  const want = Math.min(CHUNK_SIZE, size - pos);
  const buf = Buffer.allocUnsafe(want);
  const { bytesRead } = await fh.read(buf, 0, want, pos);
  return buf.subarray(0, bytesRead);
}

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class FileTailer {
  private readonly opts: FileTailerOptions;
  private readonly clock: Clock;
  private readonly discovery: Discovery;
  private readonly fromStart: boolean;
  private readonly pollInterval: number;
  private readonly maxLineLength: number;
  /** Lines longer than maxLineLength seen so far (never delivered). */
  overlongLines = 0;
  /** Looks at a followed file after a change event (one per batch of events, not per event). */
  changeReads = 0;

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
  private timer: TimerHandle | null = null;
  private pump: Promise<void> | null = null;
  private fullRequested = false;
  private kickPending = false;
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
    this.clock = opts.clock ?? systemClock;
    this.discovery = new Discovery(opts.paths, {
      clock: this.clock,
      stopping: () => this.stopping,
      reportError: (e, p, kind) => this.reportError(e, p, kind),
      clearError: (kind, p) => this.clearError(kind, p),
      onWatchEvent: (event, p) => this.onWatchEvent(event, p),
      onRawEvent: (event, filename, details) => this.onRawEvent(event, filename, details),
      onLateReady: () => {
        this.fullRequested = true;
        this.kick();
      },
    });
  }

  /** Establish initial positions, start watching. Reading then proceeds in the background. */
  start(): Promise<void> {
    if (this.startPromise) return this.startPromise;
    if (this.stopping) return Promise.reject(new Error('FileTailer: start() after stop()'));
    this.startPromise = this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    const scan = await this.discovery.scan();
    if (this.stopping) return;
    await this.initialSetup(scan.files);
    if (this.stopping) return;
    await this.discovery.ensureWatchers(true);
    if (this.stopping) return;
    this.started = true;
    this.armPoll();
    this.fullRequested = true;
    this.kick();
  }

  /** The safety-net scan every pollInterval (re-armed each time, on the clock). */
  private armPoll(): void {
    this.timer = this.clock.setTimer(this.pollInterval, () => {
      if (this.stopping) return;
      this.armPoll();
      this.fullRequested = true;
      this.kick();
    });
  }

  /** Stop watching and close all files. Safe to call more than once. */
  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    this.timer?.cancel();
    this.timer = null;
    if (this.pump) await this.pump;
    await this.discovery.close();
    for (const resolve of this.pollWaiters.splice(0)) resolve();
    await Promise.all([...this.draining, ...this.tracked.values()].map((t) => this.closeFile(t)));
  }

  /** Current positions (offset = bytes consumed up to the last complete line delivered). */
  positions(): TailPosition[] {
    if (!this.startPromise) return (this.opts.positions ?? []).map((p) => ({ ...p }));
    const out: TailPosition[] = [];
    for (const t of [...this.draining, ...this.tracked.values()]) {
      out.push({
        path: t.path,
        dev: t.dev,
        ino: t.ino,
        offset: t.lineStart,
        firstLineHash: t.expectHash ?? t.hash,
        tailHash: t.expectTail ?? (t.lineStart > 0 && t.tail.length > 0 ? sha256Hex(t.tail) : ''),
      });
    }
    return out;
  }

  /**
   * How far reading is behind each file: its size minus the bytes read (metrics'
   * `f2b_source_lag_bytes`), by reported path; a rotated file still being drained adds to its path.
   * Files not open (missing, unreadable) are left out.
   */
  async lag(): Promise<{ path: string; bytes: number }[]> {
    const by = new Map<string, number>();
    for (const t of [...this.draining, ...this.tracked.values()]) {
      if (!t.fh) continue;
      let size: number;
      try {
        size = (await t.fh.stat()).size;
      } catch {
        continue; // closed meanwhile
      }
      by.set(t.path, (by.get(t.path) ?? 0) + Math.max(0, size - t.readPos));
    }
    return [...by].map(([path, bytes]) => ({ path, bytes }));
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
      // A followed file's change always came as a raw event first (chokidar derives 'change' from the
      // same fs.watch callback, after a stat of its own): by now its read is usually under way, and a
      // second one would only stat the file again — on the event loop, in the middle of the ban.
      if (this.findTrackedByPath(np)) return;
      if (this.matchesAny(np)) this.fullRequested = true;
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
      typeof details === 'object' && details !== null && 'watchedPath' in details ? String((details as { watchedPath: unknown }).watchedPath) : null;
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
    if (wanted) this.kickAfterEvents();
  }

  /**
   * Start the pump once the events of this turn are all in: one append comes as two or three raw
   * events (the file's watcher, its directory's), delivered together; kicked at the first, the pump
   * would read at once and then again for the others — a second stat of the file on the event loop
   * while the first read's ban is on its way. (setImmediate runs right after this turn's I/O.)
   */
  private kickAfterEvents(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.kick();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Discovery

  private matchesAny(p: string): boolean {
    return this.discovery.matchesAny(p);
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
    return [...(await this.discovery.scan()).files.keys()];
  }

  // ---------------------------------------------------------------------------------------------
  // Startup

  private newTracked(p: string, st: Stats): TrackedFile {
    const t: TrackedFile = {
      path: p,
      fsPath: p,
      dev: st.dev,
      ino: st.ino,
      key: identityKey(st.dev, st.ino),
      fh: null,
      readPos: 0,
      lineStart: 0,
      lines: null as unknown as LineSplitter,
      syncToLine: false,
      expectHash: null,
      hash: '',
      hashFinal: false,
      expectTail: null,
      recent: EMPTY,
      tail: EMPTY,
    };
    t.lines = new LineSplitter(this.maxLineLength, () => this.overlong(t));
    return t;
  }

  private async initialSetup(files: Map<string, Stats>): Promise<void> {
    const saved = new SavedPositions(this.opts.positions);
    // Files we were already following come first, so an old (rotated) file is read before newer ones.
    const entries = [...files].sort(([, a], [, b]) => Number(!saved.knows(a)) - Number(!saved.knows(b)));
    for (const [p, st] of entries) {
      const k = identityKey(st.dev, st.ino);
      if (this.tracked.has(k)) continue; // hard link to a file already followed
      const t = this.newTracked(p, st);
      const start = saved.startFor(p, st, this.fromStart);
      t.readPos = t.lineStart = start.offset;
      t.expectHash = start.expectHash;
      t.expectTail = start.expectTail;
      t.syncToLine = start.syncToLine;
      this.tracked.set(k, t);
      await this.ensureOpen(t);
    }

    // Saved files that are no longer at a matching path: rotated away while we were stopped.
    for (const s of saved.unclaimed((k) => this.tracked.has(k))) {
      const savedPath = path.resolve(s.path);
      if (!this.matchesAny(savedPath)) continue;
      saved.claim(s);
      const dir = path.dirname(savedPath);
      const found = await findByIdentity(dir, path.basename(savedPath), s.dev, s.ino, (e) => {
        if (!isGone(e)) this.reportError(e, dir, 'scan');
      });
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

  // ---------------------------------------------------------------------------------------------
  // Sync

  private async fullSync(exhaustive: boolean): Promise<void> {
    await this.discovery.ensureWatchers(false);
    const { files, complete } = await this.discovery.scan();
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
    this.changeReads++;
    // Whether the path still names this file, and how long the open file is: one round trip to the
    // thread pool, not two in a row (each is a wake-up of the daemon between a line and its ban).
    const [st, size] = await Promise.all([stat(p).catch(() => null), sizeOf(t.fh)]);
    if (st === null) {
      this.fullRequested = true; // gone or inaccessible: let the full sync sort it out
      return;
    }
    if (st.dev !== t.dev || st.ino !== t.ino) {
      this.fullRequested = true; // rotated
      return;
    }
    const res = await this.readAvailable(t, CHUNKS_PER_TURN, false, size);
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
          if (bytesRead === 1 && b[0] !== NL) t.lines.skipToNextLine();
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
    t.lines.reset();
    t.hash = '';
    t.hashFinal = false;
    t.recent = t.tail = EMPTY;
  }

  /**
   * On open at an offset: remember the bytes before it, and when resuming, check they are the ones
   * we had read — otherwise the file was rewritten under the same inode and first line (copytruncate
   * with a constant header) and its content starts at the beginning.
   */
  private async loadTail(t: TrackedFile): Promise<void> {
    const expected = t.expectTail;
    t.expectTail = null;
    if (t.readPos === 0 || t.readPos !== t.lineStart || t.lines.hasPending) return;
    const before = await bytesBefore(t.fh!, t.readPos);
    if (expected && sha256Hex(before) !== expected) {
      this.resetToStart(t);
      return;
    }
    t.recent = t.tail = before;
  }

  /** The bytes before readPos are still the ones we read (not rewritten since the last look). */
  private async tailStillThere(t: TrackedFile, fh: FileHandle): Promise<boolean> {
    if (t.recent.length === 0) return true;
    return (await bytesBefore(fh, t.readPos)).subarray(-t.recent.length).equals(t.recent);
  }

  private async updateHash(t: TrackedFile): Promise<void> {
    if (!t.fh) return;
    t.hash = await firstLineHash(t.fh);
    t.hashFinal = t.hash !== '';
  }

  /**
   * Read what is available, at most `maxChunks` chunks. `drain`: read to the very end and deliver
   * a final unterminated line (the file will not grow any more for us). `knownSize`: the open file's
   * size, just taken (undefined: take it here).
   */
  private async readAvailable(t: TrackedFile, maxChunks: number, drain: boolean, knownSize?: number): Promise<ReadResult> {
    const fh0 = t.fh;
    if (!(await this.ensureOpen(t))) return 'error';
    const fh = t.fh!;
    try {
      let size = knownSize !== undefined && fh === fh0 ? knownSize : (await fh.stat()).size;
      /** The first chunk, read together with the checks below (used only if they pass). */
      let prefetched: Buffer | null = null;
      if (size < t.readPos) {
        this.resetToStart(t); // copytruncate
      } else if (!drain && t.hashFinal && t.readPos > 0 && size > t.readPos) {
        // Truncated and rewritten past our offset between two looks: the first line changed, or only
        // what follows a constant first line (a header) did. Both checks and the new bytes are read
        // at once: three reads in parallel on the thread pool cost one wake-up, in a row three.
        const [hash, intact, first] = await Promise.all([firstLineHash(fh), this.tailStillThere(t, fh), readAt(fh, t.readPos, size)]);
        if (hash !== t.hash || !intact) this.resetToStart(t);
        else prefetched = first;
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
        const data = prefetched ?? (await readAt(fh, t.readPos, size));
        prefetched = null;
        const bytesRead = data.length;
        if (bytesRead === 0) break; // shrank under us; the next look handles it
        chunks++;
        const chunkStart = t.readPos;
        const { lines, lineStart } = t.lines.split(data, chunkStart);
        if (lineStart >= 0) t.tail = lastBytes(t.recent, data, lineStart - chunkStart);
        t.recent = lastBytes(t.recent, data, bytesRead);
        t.readPos += bytesRead;
        // More: the file has bytes beyond these that this loop reads next (the jail may then
        // checkpoint them together, SourceContext.lines).
        if (lines.length > 0) await this.deliver(lines, t.path, t.readPos < size && chunks < maxChunks);
        if (lineStart >= 0) t.lineStart = lineStart;
        if (!t.hashFinal && chunkStart < HASH_BYTES) await this.updateHash(t);
        // Others get a turn between chunks; after the last one (the usual single line) the next
        // look at the size is enough.
        if (drain || t.readPos < size) await yieldToEventLoop();
      }
      if (drain && !this.stopping) {
        const line = t.lines.finish();
        if (line !== null) await this.deliver([line], t.path);
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

  /** A line of `t` was longer than maxLineLength (its splitter dropped it): count and report it. */
  private overlong(t: TrackedFile): void {
    this.overlongLines++;
    try {
      this.opts.onOverlong?.(t.path);
    } catch (e) {
      this.emitError(toError(e), t.path);
    }
  }

  private async deliver(lines: Buffer[], p: string, more = false): Promise<void> {
    try {
      await this.opts.onLines(lines, p, more);
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
  private reportError(e: unknown, p: string, kind: ErrorKind | null): void {
    const err = toError(e);
    if (kind !== null) {
      const key = `${kind}\0${p}`;
      const sig = errCode(e) ?? err.message;
      if (!this.errorStreaks.report(key, sig)) return;
    }
    this.emitError(err, p);
  }

  private clearError(kind: ErrorKind, p: string): void {
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
