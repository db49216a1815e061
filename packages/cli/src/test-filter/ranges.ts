/**
 * Reading a file as lines by byte ranges, for splitting work between threads: ranges end at line
 * boundaries, and lines are handed out as (buffer, start, end) so no per-line Buffer is made.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 8 << 20;

/** The hit index (no rule has it) a worker sends for a line longer than maxLineLength. */
export const OVERLONG_HIT = -0x80000000;

/** Split a file into `parts` byte ranges that each end just after a newline (or at EOF). */
export function splitFile(file: string, parts: number): [number, number][] {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const cuts = [0];
    const probe = Buffer.allocUnsafe(64 * 1024);
    for (let k = 1; k < parts; k++) {
      let at = Math.max(cuts[cuts.length - 1]!, Math.floor((size * k) / parts));
      for (;;) {
        const got = readSync(fd, probe, 0, probe.length, at);
        if (got <= 0) {
          at = size;
          break;
        }
        const nl = probe.subarray(0, got).indexOf(10);
        if (nl >= 0) {
          at += nl + 1;
          break;
        }
        at += got;
      }
      cuts.push(Math.min(at, size));
    }
    cuts.push(size);
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < cuts.length; i++) if (cuts[i + 1]! > cuts[i]!) out.push([cuts[i]!, cuts[i + 1]!]);
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Call `onLine(buf, start, end, fileOffset)` for every line of `file[start, end)`, CR stripped.
 * A last line without a newline is delivered too.
 */
export function forEachLineInRange(file: string, start: number, end: number, onLine: (buf: Buffer, s: number, e: number, fileOffset: number) => void): void {
  const fd = openSync(file, 'r');
  try {
    let pos = start;
    let carry: Buffer | null = null;
    while (pos < end) {
      const want = Math.min(CHUNK, end - pos);
      const fresh = Buffer.allocUnsafe(want);
      const got = readSync(fd, fresh, 0, want, pos);
      if (got <= 0) break;
      const buf: Buffer = carry ? Buffer.concat([carry, fresh.subarray(0, got)]) : fresh.subarray(0, got);
      const base = pos - (carry ? carry.length : 0);
      pos += got;
      let s = 0;
      for (let nl; (nl = buf.indexOf(10, s)) !== -1; s = nl + 1) {
        onLine(buf, s, nl > s && buf[nl - 1] === 13 ? nl - 1 : nl, base + s);
      }
      carry = s < buf.length ? Buffer.from(buf.subarray(s)) : null;
    }
    if (carry && carry.length > 0) onLine(carry, 0, carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length, end - carry.length);
  } finally {
    closeSync(fd);
  }
}
