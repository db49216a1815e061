/**
 * Splits a byte stream into lines on `\n` without decoding it. A line can span any number of chunks;
 * a line longer than `maxLength` is dropped whole (its bytes are not kept), so one huge record can't
 * exhaust memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;
  /** Lines dropped for being longer than `maxLength`. */
  dropped = 0;

  constructor(private readonly maxLength: number) {}

  /** Feed a chunk; returns the complete lines it finished (without the newline). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (this.size + piece.length > this.maxLength) {
        this.drop();
        continue;
      }
      if (this.parts.length === 0) out.push(piece);
      else {
        this.parts.push(piece);
        out.push(Buffer.concat(this.parts, this.size + piece.length));
        this.parts = [];
        this.size = 0;
      }
    }
    if (start < chunk.length && !this.discarding) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxLength) {
        this.drop();
        this.discarding = true;
      } else {
        this.parts.push(rest);
        this.size += rest.length;
      }
    }
    return out;
  }

  /** Bytes of an unfinished line held back. */
  get pending(): number {
    return this.size;
  }

  /** Forget an unfinished line (the stream ended or was cut). */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.discarding = false;
  }

  private drop(): void {
    this.dropped++;
    this.parts = [];
    this.size = 0;
  }
}
