/**
 * Knowing a file again: by identity (dev+ino), by the hash of its first line (inodes are reused),
 * and by the hash of the bytes just before the offset we had read to (a file rewritten under the
 * same inode and first line). `SavedPositions` decides where each file found at start resumes.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readdir, stat, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';

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

export const HASH_BYTES = 4096;
/** Bytes before the offset that identify the content read so far (see TailPosition.tailHash). */
export const TAIL_BYTES = 256;
const NL = 0x0a;

export function identityKey(dev: number, ino: number): string {
  return `${dev}:${ino}`;
}

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The last TAIL_BYTES bytes of `prev` followed by `chunk[0, end)`, as a copy. */
export function lastBytes(prev: Buffer, chunk: Buffer, end: number): Buffer {
  if (end >= TAIL_BYTES) return Buffer.from(chunk.subarray(end - TAIL_BYTES, end));
  const keep = Math.min(prev.length, TAIL_BYTES - end);
  return Buffer.concat([prev.subarray(prev.length - keep), chunk.subarray(0, end)]);
}

/** The bytes of the file just before `pos` (at most TAIL_BYTES). */
export async function bytesBefore(fh: FileHandle, pos: number): Promise<Buffer> {
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

/** Hash of the first line, or '' if there is no complete first line yet. */
export async function firstLineHash(fh: FileHandle): Promise<string> {
  const buf = Buffer.allocUnsafe(HASH_BYTES);
  let got = 0;
  while (got < HASH_BYTES) {
    const want = HASH_BYTES - got;
    const { bytesRead } = await fh.read(buf, got, want, got);
    got += bytesRead;
    // A short read of a regular file is its end: asking again would only read 0 bytes (one more
    // trip to the thread pool on every look at a log shorter than HASH_BYTES).
    if (bytesRead < want) break;
  }
  const data = buf.subarray(0, got);
  const nl = data.indexOf(NL);
  if (nl < 0 && got < HASH_BYTES) return '';
  return sha256Hex(nl >= 0 ? data.subarray(0, nl) : data);
}

/** Where a file found at start begins to be read. */
export interface StartPoint {
  offset: number;
  /** Hashes saved with the position, to verify once the file is open (resume), or null. */
  expectHash: string | null;
  expectTail: string | null;
  /** Check the byte before the offset on open; if it is not a newline, skip to the next line. */
  syncToLine: boolean;
}

/** The positions saved by a previous run, looked up by identity and by path. */
export class SavedPositions {
  readonly valid: TailPosition[];
  private readonly byKey = new Map<string, TailPosition>();
  private readonly paths = new Set<string>();
  /** Identities of saved positions already given to a file. */
  private readonly used = new Set<string>();

  constructor(positions: readonly TailPosition[] | undefined) {
    this.valid = (positions ?? []).filter(
      (s) =>
        s !== null &&
        typeof s === 'object' &&
        typeof s.path === 'string' &&
        Number.isFinite(s.dev) &&
        Number.isFinite(s.ino) &&
        Number.isInteger(s.offset) &&
        s.offset >= 0,
    );
    for (const s of this.valid) {
      const k = identityKey(s.dev, s.ino);
      if (!this.byKey.has(k)) this.byKey.set(k, s);
      this.paths.add(path.resolve(s.path));
    }
  }

  /** Whether a file with this identity was being followed. */
  knows(st: Stats): boolean {
    return this.byKey.has(identityKey(st.dev, st.ino));
  }

  /** Where the file found at `p` starts: its saved offset (same inode, not shorter), its beginning, or its end. */
  startFor(p: string, st: Stats, fromStart: boolean): StartPoint {
    const k = identityKey(st.dev, st.ino);
    const s = this.byKey.get(k);
    if (s) this.used.add(k);
    if (s && st.size >= s.offset) {
      // Same inode: resume (the hash is verified once the file is open).
      return {
        offset: s.offset,
        syncToLine: s.offset > 0,
        expectHash: typeof s.firstLineHash === 'string' ? s.firstLineHash : '',
        expectTail: typeof s.tailHash === 'string' ? s.tailHash : '',
      };
    }
    // Truncated while we were stopped, new since we stopped, or replay requested: from the beginning.
    if (s || this.paths.has(p) || fromStart) return { offset: 0, syncToLine: false, expectHash: null, expectTail: null };
    return { offset: st.size, syncToLine: st.size > 0, expectHash: null, expectTail: null };
  }

  /** Saved files not given to a file at a matching path (rotated away while we were stopped, if `claim`ed). */
  *unclaimed(isTracked: (key: string) => boolean): Generator<TailPosition> {
    for (const s of this.valid) {
      const k = identityKey(s.dev, s.ino);
      if (this.used.has(k) || isTracked(k)) continue;
      yield s;
    }
  }

  /** The saved file `s` is being looked for (at most once per identity). */
  claim(s: TailPosition): void {
    this.used.add(identityKey(s.dev, s.ino));
  }
}

/** Look for a file with the given identity in `dir`, trying names that start with `hint` first. */
export async function findByIdentity(
  dir: string,
  hint: string,
  dev: number,
  ino: number,
  onError: (e: unknown) => void,
): Promise<{ path: string; st: Stats } | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    onError(e);
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
