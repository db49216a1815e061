/**
 * The filter engine's memo: what the rules made of a message, keyed by the message's bytes. A Map
 * keyed by strings cost a decoded string per line plus hashing it (about 1 µs a line, more than
 * the rest of matching a line the memo knows); here a line the memo knows costs one pass over its
 * bytes to hash them (ports masked) and one to compare them with the entry, and allocates nothing.
 *
 * Keys live in one byte arena outside the JavaScript heap, found through an open-addressing table
 * of 32-bit hashes. At `limit` entries everything is dropped at once (brute-force attacks repeat
 * their messages within seconds, so a recent window is what pays).
 */

/** ` port ` in bytes, for masking the port numbers of filters with volatile ports. */
const PORT = [0x20, 0x70, 0x6f, 0x72, 0x74, 0x20];
const HASH = 0x23; // `#`, what the digits of a masked port become (as `maskPorts` writes it)
/**
 * Bytes of keys (and exact messages) kept at most: a memo of long messages (up to the line limit,
 * 64 KiB) would otherwise hold `limit` times that.
 */
const MAX_ARENA_BYTES = 8 << 20;

export class MessageMemo<V> {
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly hashes: Int32Array;
  private readonly keyStart: Int32Array;
  private readonly keyLength: Int32Array;
  /** Per entry, where the unmasked message is kept when only that exact message may reuse it (-1: none). */
  private readonly exactStart: Int32Array;
  private readonly exactLength: Int32Array;
  private readonly values: (V | undefined)[];
  private count = 0;
  private arena = Buffer.allocUnsafe(1 << 16);
  private arenaEnd = 0;
  /** The hash of the last `get` that missed, for `set`. */
  private missHash = 0;
  /** The table slot the last `get` ended on: where `set` puts a new key. */
  private probe = -1;
  /** The entry the last `get` found with the right key but another exact message (-1: none). */
  private stale = -1;

  /**
   * `limit`: entries kept before all are dropped. `maskPorts`: messages that differ only in the
   * digits of ` port N` share an entry (`FilterDefinition.volatilePorts`).
   */
  constructor(
    private readonly limit: number,
    private readonly maskPorts: boolean,
  ) {
    let size = 1;
    while (size < limit * 2) size <<= 1;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.hashes = new Int32Array(limit);
    this.keyStart = new Int32Array(limit);
    this.keyLength = new Int32Array(limit);
    this.exactStart = new Int32Array(limit);
    this.exactLength = new Int32Array(limit);
    this.values = new Array<V | undefined>(limit);
  }

  get size(): number {
    return this.count;
  }

  /**
   * What was stored for the message `buf[start, end)`, or undefined. An entry stored with `exact`
   * answers only the very message it was stored for (its masked twins miss, and `set` replaces it).
   */
  get(buf: Uint8Array, start: number, end: number): V | undefined {
    // One pass to hash (as the masked key reads), one to compare with each entry of that hash: the
    // key is written out only when `set` stores it.
    const hash = this.hashOf(buf, start, end);
    this.stale = -1;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.slots[slot]!;
      if (e < 0) {
        this.probe = slot;
        this.missHash = hash;
        return undefined;
      }
      if (this.hashes[e] !== hash || !this.sameKey(e, buf, start, end)) continue;
      const exact = this.exactStart[e]!;
      if (exact >= 0 && (this.exactLength[e] !== end - start || !sameBytes(this.arena, exact, buf, start, end - start))) {
        this.stale = e;
        this.probe = slot;
        this.missHash = hash;
        return undefined;
      }
      return this.values[e];
    }
  }

  /**
   * Store `value` for the message of the last `get` (which must have missed). `exact`: only that
   * exact message may reuse it, not one that differs in a port number.
   */
  set(buf: Uint8Array, start: number, end: number, value: V, exact: boolean): void {
    if (this.arenaEnd + 2 * (end - start) > MAX_ARENA_BYTES || (this.stale < 0 && this.count >= this.limit)) {
      this.clear();
      // The slot found by `get` belonged to the old table: probe again.
      this.get(buf, start, end);
    }
    if (this.stale >= 0) {
      // Same masked key, another exact message: this entry now answers for the new message.
      const e = this.stale;
      this.values[e] = value;
      this.exactStart[e] = exact ? this.copyIn(buf, start, end) : -1;
      this.exactLength[e] = exact ? end - start : 0;
      this.stale = -1;
      return;
    }
    const e = this.count++;
    this.hashes[e] = this.missHash;
    this.keyStart[e] = this.arenaEnd;
    this.keyLength[e] = this.writeKey(buf, start, end);
    this.exactStart[e] = exact ? this.copyIn(buf, start, end) : -1;
    this.exactLength[e] = exact ? end - start : 0;
    this.values[e] = value;
    this.slots[this.probe] = e;
  }

  clear(): void {
    this.slots.fill(-1);
    this.values.fill(undefined);
    this.count = 0;
    this.arenaEnd = 0;
    this.stale = -1;
  }

  /**
   * The hash (FNV-1a) of the key of `buf[start, end)`: its bytes, with the digits of each whole
   * ` port N` read as one `#` when ports are masked. Anything else (`port 7.2.3.4`, an address)
   * stays in the key as it is.
   */
  private hashOf(buf: Uint8Array, start: number, end: number): number {
    const masking = this.maskPorts;
    let h = 0x811c9dc5 | 0;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      h = Math.imul(h ^ c, 0x01000193);
      if (c !== 0x20 || !masking) continue;
      const digits = maskedPortEnd(buf, i, end);
      if (digits < 0) continue;
      for (let k = i + 1; k < i + 6; k++) h = Math.imul(h ^ buf[k]!, 0x01000193);
      h = Math.imul(h ^ HASH, 0x01000193);
      i = digits - 1;
    }
    return h;
  }

  /** Whether entry `e`'s key is the key of `buf[start, end)` (compared as `hashOf` reads it). */
  private sameKey(e: number, buf: Uint8Array, start: number, end: number): boolean {
    const key = this.arena,
      masking = this.maskPorts;
    let k = this.keyStart[e]!;
    const keyEnd = k + this.keyLength[e]!;
    for (let i = start; i < end; i++, k++) {
      const c = buf[i]!;
      if (k >= keyEnd || key[k] !== c) return false;
      if (c !== 0x20 || !masking) continue;
      const digits = maskedPortEnd(buf, i, end);
      if (digits < 0) continue;
      // ` port ` then `#` in the key for the digits.
      for (let m = 1; m < 6; m++) if (key[k + m] !== buf[i + m]) return false;
      if (key[k + 6] !== HASH) return false;
      k += 6;
      i = digits - 1;
    }
    return k === keyEnd;
  }

  /** Write the key of `buf[start, end)` at the arena's end (growing it); returns its length. */
  private writeKey(buf: Uint8Array, start: number, end: number): number {
    if (this.arenaEnd + (end - start) > this.arena.length) this.grow(end - start);
    const out = this.arena;
    let n = this.arenaEnd;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      out[n++] = c;
      if (c !== 0x20 || !this.maskPorts) continue;
      const digits = maskedPortEnd(buf, i, end);
      if (digits < 0) continue;
      for (let k = i + 1; k < i + 6; k++) out[n++] = buf[k]!;
      out[n++] = HASH;
      i = digits - 1;
    }
    const length = n - this.arenaEnd;
    this.arenaEnd = n;
    return length;
  }

  /** Copy bytes into the arena (growing it) and return where they start. */
  private copyIn(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.arenaEnd + n > this.arena.length) this.grow(n);
    const at = this.arenaEnd;
    for (let k = 0; k < n; k++) this.arena[at + k] = src[start + k]!;
    this.arenaEnd += n;
    return at;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaEnd + need));
    this.arena.copy(next, 0, 0, this.arenaEnd);
    this.arena = next;
  }
}

/**
 * Where the digits end if ` port N` at `i` (its space) is a whole port number — digits, then the
 * end or ` `, `:`, `]` — or -1.
 */
function maskedPortEnd(buf: Uint8Array, i: number, end: number): number {
  if (!isPortWord(buf, i, end)) return -1;
  let j = i + 6;
  while (j < end && buf[j]! >= 0x30 && buf[j]! <= 0x39) j++;
  const after = j < end ? buf[j]! : 0x20;
  return j === i + 6 || (after !== 0x20 && after !== 0x3a && after !== 0x5d) ? -1 : j;
}

/** Whether `buf[i, …)` starts with ` port ` (i is at its space). */
function isPortWord(buf: Uint8Array, i: number, end: number): boolean {
  if (i + 6 > end) return false;
  for (let k = 1; k < 6; k++) if (buf[i + k] !== PORT[k]) return false;
  return true;
}

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}
