/**
 * Line splitting for one followed file: complete lines out of the chunks read, the unterminated
 * rest kept (copied) until its newline comes, and lines longer than the limit dropped whole. A cut
 * line is never delivered: its end could be a forged one (`… from <decoy> port 22 ssh2` padded to
 * end exactly at the cut).
 */

const NL = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private readonly maxLineLength: number;
  private readonly onOverlong: () => void;
  /** Kept bytes of the current incomplete line (copies, at most maxLineLength + 1 in total). */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** The current line exceeded maxLineLength: it is discarded up to the newline. */
  private truncated = false;
  /** Discard the current line entirely (we started in the middle of it). */
  private skip = false;

  constructor(maxLineLength: number, onOverlong: () => void) {
    this.maxLineLength = maxLineLength;
    this.onOverlong = onOverlong;
  }

  /** Bytes of an unterminated line are kept. */
  get hasPending(): boolean {
    return this.pendingLen > 0;
  }

  /** We start in the middle of a line: drop everything up to the next newline. */
  skipToNextLine(): void {
    this.skip = true;
  }

  /** Forget everything (the file starts over). */
  reset(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.truncated = false;
    this.skip = false;
  }

  /** Split a chunk into complete lines (no `\n`, no trailing `\r`); `lineStart` is the offset after the last newline, or -1. */
  split(chunk: Buffer, chunkStart: number): { lines: Buffer[]; lineStart: number } {
    const lines: Buffer[] = [];
    const max = this.maxLineLength;
    let pos = 0;
    let lastNl = -1;
    for (;;) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break;
      lastNl = nl;
      if (this.skip) {
        this.skip = false;
      } else if (this.pendingLen === 0 && !this.truncated) {
        let line = chunk.subarray(pos, nl);
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        if (line.length > max) this.overlong();
        else lines.push(line);
      } else {
        this.append(chunk.subarray(pos, nl));
        const line = this.truncated ? null : this.take();
        if (line === null || line.length > max) this.overlong();
        else lines.push(line);
      }
      pos = nl + 1;
    }
    if (pos < chunk.length) this.append(chunk.subarray(pos));
    return { lines, lineStart: lastNl >= 0 ? chunkStart + lastNl + 1 : -1 };
  }

  /** The file ends here (it will not grow any more for us): the unterminated last line, if it is one to deliver. */
  finish(): Buffer | null {
    const line = this.skip || this.truncated || this.pendingLen === 0 ? null : this.take();
    let out: Buffer | null = line;
    if (!this.skip && (this.truncated || (line !== null && line.length > this.maxLineLength))) {
      this.overlong();
      out = null;
    }
    this.reset();
    return out;
  }

  private append(part: Buffer): void {
    if (this.skip || this.truncated || part.length === 0) return;
    // One byte more than a line may have: room for the `\r` of a CRLF line, stripped when it ends.
    const room = this.maxLineLength + 1 - this.pendingLen;
    if (part.length > room) {
      // Nothing of an overlong line is kept: it is dropped whole at its newline.
      this.pending = [];
      this.pendingLen = 0;
      this.truncated = true;
    } else {
      this.pending.push(Buffer.from(part)); // copy: do not pin the whole read chunk
      this.pendingLen += part.length;
    }
  }

  private take(): Buffer {
    let line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLen);
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    this.pending = [];
    this.pendingLen = 0;
    return line;
  }

  /** The current line was longer than maxLineLength: forget it and report it. */
  private overlong(): void {
    this.pending = [];
    this.pendingLen = 0;
    this.truncated = false;
    this.onOverlong();
  }
}
