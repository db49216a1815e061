/**
 * Log lines kept per slot as UTF-8 bytes in one growing buffer, outside the JavaScript heap: a
 * tracked source's ban-record line costs its bytes and 8 bytes of bookkeeping, instead of a string
 * object (header, pointer) that the garbage collector walks and whose heap it grows under a flood.
 * An arena that never gets a line (the tracker of a jail whose store keeps the lines) costs nothing.
 *
 * Freed lines leave holes; when holes outweigh the lines in use, the buffer is rewritten compactly
 * (amortised: each rewrite follows at least as many bytes freed as it copies).
 */
const MIN_BYTES = 1 << 16;
/** Below this many freed bytes, holes are not worth a rewrite. */
const MIN_GARBAGE = 1 << 20;

export class LineArena {
  private buf = Buffer.allocUnsafe(MIN_BYTES);
  private end = 0;
  private garbage = 0;
  /** Per slot: where its line starts, and its length in bytes (-1: no line). */
  private off = new Uint32Array(0);
  private len = new Int32Array(0);

  /** Slots the arena must be able to hold; its per-slot arrays are made at the first line. */
  private slots = 0;

  /** Make room for slots below `slots`. */
  ensureSlots(slots: number): void {
    this.slots = Math.max(this.slots, slots);
    if (this.len.length > 0) this.resize();
  }

  set(slot: number, line: string): void {
    if (this.len.length < this.slots) this.resize();
    this.clear(slot);
    const need = Buffer.byteLength(line, 'utf8');
    if (this.end + need > this.buf.length) this.makeRoom(need);
    this.buf.write(line, this.end, 'utf8');
    this.off[slot] = this.end;
    this.len[slot] = need;
    this.end += need;
  }

  private resize(): void {
    if (this.slots <= this.len.length) return;
    const off = new Uint32Array(this.slots);
    off.set(this.off);
    const len = new Int32Array(this.slots).fill(-1);
    len.set(this.len);
    this.off = off;
    this.len = len;
  }

  /** The line of a slot, or undefined. */
  get(slot: number): string | undefined {
    const n = this.len[slot] ?? -1;
    if (n < 0) return undefined;
    const o = this.off[slot]!;
    return this.buf.toString('utf8', o, o + n);
  }

  clear(slot: number): void {
    const n = this.len[slot] ?? -1;
    if (n < 0) return;
    this.garbage += n;
    this.len[slot] = -1;
  }

  /** Bytes in use and bytes held (for the benchmark's view of memory). */
  get bytes(): { used: number; held: number } {
    return { used: this.end - this.garbage, held: this.buf.length };
  }

  private makeRoom(need: number): void {
    const live = this.end - this.garbage;
    if (this.garbage >= MIN_GARBAGE && this.garbage >= live) {
      this.rewrite(Math.max(MIN_BYTES, Math.ceil((live + need) * 1.5)));
      if (this.end + need <= this.buf.length) return;
    }
    this.rewrite(Math.max(MIN_BYTES, Math.ceil((live + need) * 1.5), this.buf.length * 2));
  }

  /** Copy the lines in use into a new buffer of `size` bytes, in slot order. */
  private rewrite(size: number): void {
    // allocUnsafe: the pages of the new buffer are touched only as lines are copied or written.
    const next = Buffer.allocUnsafe(size);
    let end = 0;
    for (let slot = 0; slot < this.len.length; slot++) {
      const n = this.len[slot]!;
      if (n < 0) continue;
      const o = this.off[slot]!;
      this.buf.copy(next, end, o, o + n);
      this.off[slot] = end;
      end += n;
    }
    this.buf = next;
    this.end = end;
    this.garbage = 0;
  }
}
