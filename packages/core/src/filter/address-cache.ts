/**
 * Addresses parsed lately, by the bytes of the token they were read from: a memoised hit carried
 * over to another address (volatileAddresses) needs that address parsed, and a third of a big
 * auth.log's lines are such carried hits. A Map keyed by the token's text cost a decoded string per
 * line before the lookup; here a token the cache knows costs a hash and a compare of its bytes.
 * Emptied at once when full, like the memo (an attack's addresses recur within a window).
 */
import { parseIp, type IpAddress } from '../ip.js';

/** Longer tokens are parsed each time (no IPv6 text is longer than 45 bytes). */
const MAX_TOKEN = 64;

export class AddressCache {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly starts: Int32Array;
  private readonly lengths: Int8Array;
  private readonly values: (IpAddress | null)[];
  private readonly bytes: Buffer;
  private count = 0;

  constructor(private readonly limit = 4096) {
    let size = 1;
    while (size < limit * 2) size <<= 1;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.hashes = new Int32Array(limit);
    this.starts = new Int32Array(limit);
    this.lengths = new Int8Array(limit);
    this.values = new Array<IpAddress | null>(limit).fill(null);
    this.bytes = Buffer.allocUnsafe(limit * MAX_TOKEN);
  }

  /** The address the ASCII text `buf[start, end)` parses to, or null when it is none. */
  parse(buf: Uint8Array, start: number, end: number): IpAddress | null {
    const n = end - start;
    if (n > MAX_TOKEN) return parseIp(latin1(buf, start, n));
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let slot = h & this.mask;
    for (; ; slot = (slot + 1) & this.mask) {
      const e = this.slots[slot]!;
      if (e < 0) break;
      if (this.hashes[e] !== h || this.lengths[e] !== n) continue;
      const at = this.starts[e]!;
      let same = true;
      for (let k = 0; k < n && same; k++) same = this.bytes[at + k] === buf[start + k];
      if (same) return this.values[e]!;
    }
    const ip = parseIp(latin1(buf, start, n));
    if (this.count >= this.limit) {
      this.slots.fill(-1);
      this.values.fill(null);
      this.count = 0;
      // The slot found above belonged to the old table.
      slot = h & this.mask;
    }
    const e = this.count++;
    this.hashes[e] = h;
    this.lengths[e] = n;
    this.starts[e] = e * MAX_TOKEN;
    for (let k = 0; k < n; k++) this.bytes[e * MAX_TOKEN + k] = buf[start + k]!;
    this.values[e] = ip;
    this.slots[slot] = e;
    return ip;
  }
}

function latin1(buf: Uint8Array, start: number, n: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, n).toString('latin1');
}
