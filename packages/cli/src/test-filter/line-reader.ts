/**
 * Lines of a log for `f2b test-filter`, as ranges of a buffer (CR stripped), with no Buffer per
 * line. A line longer than `maxLen` goes to `onOverlong` and is not kept while it lasts, so memory
 * stays bounded whatever the input.
 *
 * A regular file is read into one buffer used again for every chunk: fresh chunks were most of the
 * process's system time (each new megabyte is new pages, faulted in and zeroed by the kernel) and
 * a good part of its resident size. Lines are therefore valid only during `onLine` — an entry
 * parsed from one is detached (copied) by the filter engine when a reducer keeps it. Standard input
 * and pipes are read as a stream, in chunks of their own.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface LineSink {
  /** A line `buf[start, end)`; `buf` may be overwritten once this returns. */
  line(buf: Buffer, start: number, end: number): void;
  /** A line longer than the limit, in its place in the order. */
  overlong(): void;
  /** After each chunk: `bytes` more were read. May wait (output back-pressure). */
  afterChunk(bytes: number): void | Promise<void>;
}

const CHUNK = 1 << 20;

/** Every line of a regular file, read into one reused buffer (`chunk`: bytes per read, for tests). */
export async function forEachLineOfFile(path: string, maxLen: number, sink: LineSink, chunk = CHUNK): Promise<void> {
  // Room for a whole chunk after the longest partial line that is kept (maxLen, plus a CR).
  const buf = Buffer.allocUnsafe(chunk + maxLen + 2);
  const fd = openSync(path, 'r');
  try {
    let kept = 0; // bytes of a partial line at the start of buf
    let skipping = false; // inside an overlong line: drop bytes up to its newline
    for (;;) {
      const got = readSync(fd, buf, kept, buf.length - kept, null);
      if (got <= 0) break;
      const end = kept + got;
      const view = buf.subarray(0, end); // bounds the newline search to what was read
      let start = 0;
      for (let nl; (nl = view.indexOf(10, start)) !== -1; start = nl + 1) {
        if (skipping) {
          skipping = false;
          sink.overlong();
        } else sink.line(buf, start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);
      }
      kept = skipping ? 0 : end - start;
      if (kept > 0) buf.copyWithin(0, start, end);
      // One byte more than a line may have: the CR of a CRLF line.
      if (kept > maxLen + 1) {
        kept = 0;
        skipping = true;
      }
      await sink.afterChunk(got);
    }
    if (skipping) sink.overlong();
    else if (kept > 0) sink.line(buf, 0, buf[kept - 1] === 13 ? kept - 1 : kept);
  } finally {
    closeSync(fd);
  }
}

/** Every line of a stream; a line split between two chunks is joined on its own (the chunks are not). */
export async function forEachLineOfStream(input: Readable, maxLen: number, sink: LineSink): Promise<void> {
  let rest: Buffer | null = null;
  let skipping = false;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    if (rest !== null || skipping) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        if (!skipping) rest = Buffer.concat([rest!, chunk]);
        start = chunk.length;
      } else {
        if (skipping) {
          skipping = false;
          sink.overlong();
        } else {
          const joined = Buffer.concat([rest!, chunk.subarray(0, nl)]);
          sink.line(joined, 0, joined.length > 0 && joined[joined.length - 1] === 13 ? joined.length - 1 : joined.length);
        }
        rest = null;
        start = nl + 1;
      }
    }
    for (let nl; start < chunk.length && (nl = chunk.indexOf(10, start)) !== -1; start = nl + 1) {
      sink.line(chunk, start, nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl);
    }
    if (start < chunk.length && rest === null && !skipping) rest = Buffer.from(chunk.subarray(start));
    // One byte more than a line may have: the CR of a CRLF line.
    if (rest && rest.length > maxLen + 1) {
      rest = null;
      skipping = true;
    }
    await sink.afterChunk(chunk.length);
  }
  if (skipping) sink.overlong();
  else if (rest && rest.length > 0) sink.line(rest, 0, rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length);
}
