/**
 * Program names (`sshd`, `postfix/smtpd`) decoded once per distinct name instead of once per line:
 * a log holds a few dozen of them, and a fresh string per line cost more than the rest of reading
 * the syslog header — and had to be hashed again by every filter's program check. The same string
 * comes back for the same bytes, so that hash is computed once too.
 *
 * Direct-mapped by a hash of the bytes; a collision just decodes and replaces (bounded, no lists).
 */
const SLOTS = 256;
/** Longer names (setName allows 64 bytes) are decoded every time: rare, and not worth a slot. */
const MAX_CACHED = 32;

export class ProgramNames {
  private readonly bytes = Buffer.alloc(SLOTS * MAX_CACHED);
  private readonly lengths = new Int8Array(SLOTS);
  private readonly names: (string | undefined)[] = new Array<string | undefined>(SLOTS);

  /** The latin1 text of `buf[start, end)`. */
  name(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > MAX_CACHED) return buf.toString('latin1', start, end);
    let h = n;
    for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
    const slot = (h ^ (h >>> 8)) & (SLOTS - 1);
    const at = slot * MAX_CACHED;
    if (this.lengths[slot] === n) {
      let same = true;
      for (let k = 0; k < n; k++)
        if (this.bytes[at + k] !== buf[start + k]) {
          same = false;
          break;
        }
      if (same) return this.names[slot]!;
    }
    const name = buf.toString('latin1', start, end);
    for (let k = 0; k < n; k++) this.bytes[at + k] = buf[start + k]!;
    this.lengths[slot] = n;
    this.names[slot] = name;
    return name;
  }
}
