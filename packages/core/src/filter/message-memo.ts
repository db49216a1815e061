/**
 * The filter engine's memo: what the rules made of a message, keyed by the message's bytes. A Map
 * keyed by strings cost a decoded string per line plus hashing it (about 1 µs a line, more than
 * the rest of matching a line the memo knows); here a line the memo knows costs one pass over its
 * bytes to write its key (ports and addresses masked), and one over the key's words to hash it and
 * one to compare it with the entry's, and allocates nothing.
 *
 * Keys live in one byte arena outside the JavaScript heap, found through an open-addressing table
 * of 32-bit hashes. At `limit` entries everything is dropped at once (brute-force attacks repeat
 * their messages within seconds, so a recent window is what pays).
 *
 * Masking addresses (`FilterDefinition.volatileAddresses`): every whole IPv4 or IPv6 token of the
 * message is one escape in the key, so the messages of one attack from a thousand addresses share
 * one entry. The memo only makes the key and says where the last message's tokens were
 * (`addressCount`, `addressStart`, `addressEnd`); the engine decides whether its answer may be
 * carried over to another address, and stores it as exact (only that very message) when not.
 * The escape byte itself is doubled in keys, so no message's own bytes can pose as a masked token.
 */
/** ` port ` in bytes, for masking the port numbers of filters with volatile ports. */
const PORT = [0x20, 0x70, 0x6f, 0x72, 0x74, 0x20];
const HASH = 0x23; // `#`, what the digits of a masked port become
/** Starts a masked token in a key (then `4` or `6`); a message's own 0x01 is written twice. */
const ESC = 0x01;
const V4 = 0x34;
const V6 = 0x36;
/**
 * Bytes of keys (and exact messages) kept at most: a memo of long messages (up to the line limit,
 * 64 KiB) would otherwise hold `limit` times that.
 */
const MAX_ARENA_BYTES = 8 << 20;
/** Address tokens whose place is recorded per message (more are still masked). */
const MAX_TOKENS = 8;

/** Byte classes for the address scanner: hex digits and `:`/`.` make a token's run. */
const DIGIT = 1,
  HEX = 2,
  RUN = 4, // [0-9A-Fa-f.:]
  WORD = 8, // [0-9A-Za-z_]: a token neither starts nor ends inside a word
  START = 16, // [0-9A-Fa-f:]: where a token may start
  SPECIAL = 32; // ESC and space: bytes the key writes otherwise
const CLASS = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = DIGIT | HEX | RUN | WORD;
for (const c of 'abcdefABCDEF') CLASS[c.charCodeAt(0)] = HEX | RUN | WORD;
for (const c of 'ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_') CLASS[c.charCodeAt(0)] = WORD;
CLASS[0x2e] = RUN; // .
CLASS[0x3a] = RUN; // :
for (const c of '0123456789abcdefABCDEF:') CLASS[c.charCodeAt(0)]! |= START;
CLASS[ESC] = SPECIAL;
CLASS[0x20] = SPECIAL;

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
  // Keys start at multiples of 4 in the arena and the scratch, zero-padded to whole words: they are
  // hashed and compared four bytes at a time through the Uint32Array views.
  private arena = new Uint8Array(1 << 16);
  private arena32 = new Uint32Array(this.arena.buffer);
  private arenaEnd = 0;
  /** The key of the last `get`, written there by `writeKey`; `set` copies it into the arena. */
  private scratch = new Uint8Array(1 << 10);
  private scratch32 = new Uint32Array(this.scratch.buffer);
  private scratchLength = 0;
  /** The hash of the last `get` that missed, for `set`. */
  private missHash = 0;
  /** The table slot the last `get` ended on: where `set` puts a new key. */
  private probe = -1;
  /** The entry the last `get` found with the right key but another exact message (-1: none). */
  private stale = -1;
  private tokens = 0;
  private readonly tokenStart = new Int32Array(MAX_TOKENS);
  private readonly tokenEnd = new Int32Array(MAX_TOKENS);
  /** Per recorded token, 1 when it has IPv6's shape (as the key's escape says), else 0. */
  private readonly tokenV6 = new Uint8Array(MAX_TOKENS);

  /**
   * `limit`: entries kept before all are dropped. `maskPorts`: messages that differ only in the
   * digits of ` port N` share an entry (`FilterDefinition.volatilePorts`). `maskAddresses`: and
   * in their IPv4 and IPv6 tokens (`FilterDefinition.volatileAddresses`).
   */
  constructor(
    private readonly limit: number,
    private readonly maskPorts: boolean,
    private readonly maskAddresses = false,
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

  /** How many address tokens the message of the last `get` had (all of them, even past the recorded ones). */
  get addressCount(): number {
    return this.tokens;
  }

  /** Where the message's `k`-th address token starts, for k < min(addressCount, 8); -1 past the recorded ones. */
  addressStart(k: number): number {
    return k < MAX_TOKENS && k < this.tokens ? this.tokenStart[k]! : -1;
  }

  addressEnd(k: number): number {
    return k < MAX_TOKENS && k < this.tokens ? this.tokenEnd[k]! : -1;
  }

  /** Whether the message's `k`-th recorded address token has IPv6's shape (else a dotted quad). */
  addressIsV6(k: number): boolean {
    return k < MAX_TOKENS && k < this.tokens && this.tokenV6[k] === 1;
  }

  /**
   * What was stored for the message `buf[start, end)`, or undefined. An entry stored with `exact`
   * answers only the very message it was stored for (its masked twins miss, and `set` replaces it).
   */
  get(buf: Uint8Array, start: number, end: number): V | undefined {
    const hash = this.writeKey(buf, start, end);
    const keyLength = this.scratchLength;
    this.stale = -1;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.slots[slot]!;
      if (e < 0) {
        this.probe = slot;
        this.missHash = hash;
        return undefined;
      }
      if (this.hashes[e] !== hash || this.keyLength[e] !== keyLength || !this.sameKey(this.keyStart[e]! >>> 2, (keyLength + 3) >>> 2)) continue;
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
   * Store `value` for the message of the last `get` (which must have missed, and be this very
   * message). `exact`: only that exact message may reuse it, not one that differs in a port
   * number or an address.
   */
  set(buf: Uint8Array, start: number, end: number, value: V, exact: boolean): void {
    if (this.arenaEnd + this.scratchLength + 8 + (end - start) > MAX_ARENA_BYTES || (this.stale < 0 && this.count >= this.limit)) {
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
    this.keyStart[e] = this.copyKeyIn();
    this.keyLength[e] = this.scratchLength;
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
   * Write the key of `buf[start, end)` into the scratch buffer and return its hash (over its
   * zero-padded words): the bytes, with the digits of each whole ` port N` as one `#` when ports are masked, each whole
   * address token as ESC and `4` or `6` when addresses are, and ESC doubled. Anything else
   * (`port 7.2.3.4`, an address inside a word) stays in the key as it is.
   */
  private writeKey(buf: Uint8Array, start: number, end: number): number {
    // Room for every byte doubled (all ESC), the most a key can grow, and the padding.
    if (this.scratch.length < 2 * (end - start) + 4) {
      this.scratch = new Uint8Array((2 * (end - start) + 4 + 3) & ~3);
      this.scratch32 = new Uint32Array(this.scratch.buffer);
    }
    const out = this.scratch,
      ports = this.maskPorts,
      addresses = this.maskAddresses;
    let n = 0,
      tokens = 0,
      // Whether the byte before `i` ends no word or run: an address token may start at `i`.
      boundary = true;
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      // Most bytes are letters that are no hex digit (g–z, G–Z): a word byte, nothing to mask.
      const folded = c | 0x20;
      if (folded >= 0x67 && folded <= 0x7a) {
        out[n++] = c;
        boundary = false;
        continue;
      }
      const cls = CLASS[c]!;
      if ((cls & START) !== 0 && boundary && addresses) {
        const kind = addressToken(buf, i, end);
        if (kind !== 0) {
          const tokenEnd = kind >>> 1;
          if (tokens < MAX_TOKENS) {
            this.tokenStart[tokens] = i;
            this.tokenEnd[tokens] = tokenEnd;
            this.tokenV6[tokens] = kind & 1;
          }
          tokens++;
          const family = (kind & 1) === 1 ? V6 : V4;
          out[n++] = ESC;
          out[n++] = family;
          // The token ended before a byte that is no word byte (addressToken): no run goes on.
          i = tokenEnd - 1;
          boundary = false;
          continue;
        }
      }
      boundary = (cls & (WORD | RUN)) === 0;
      out[n++] = c;
      if ((cls & SPECIAL) === 0) continue;
      if (c === ESC) {
        out[n++] = c;
        continue;
      }
      // A space: ` port N`? (Most spaces are followed by anything but a `p`.)
      if (!ports || buf[i + 1] !== 0x70) continue;
      const digits = maskedPortEnd(buf, i, end);
      if (digits < 0) continue;
      for (let k = i + 1; k < i + 6; k++) out[n++] = buf[k]!;
      out[n++] = HASH;
      i = digits - 1;
      // The digits end before a space, `:` or `]`, or the message (maskedPortEnd).
      boundary = false;
    }
    this.scratchLength = n;
    this.tokens = tokens;
    // Zero padding to a whole word, then the hash of the words: a multiply per word, mixed down
    // (the index takes the low bits, which a product alone draws from the low bits only).
    for (let k = n; (k & 3) !== 0; k++) out[k] = 0;
    const words = this.scratch32,
      count = (n + 3) >>> 2;
    let h = n | 0;
    for (let k = 0; k < count; k++) {
      h = Math.imul(h ^ words[k]!, 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h;
  }

  /** Whether the arena's words from `at` are the scratch key's `count` words. */
  private sameKey(at: number, count: number): boolean {
    const a = this.arena32,
      b = this.scratch32;
    for (let k = 0; k < count; k++) if (a[at + k] !== b[k]) return false;
    return true;
  }

  /** Copy the scratch key, padding included, to the next word of the arena; returns where it starts. */
  private copyKeyIn(): number {
    const count = (this.scratchLength + 3) >>> 2;
    const at = (this.arenaEnd + 3) & ~3;
    if (at + count * 4 > this.arena.length) this.grow(at + count * 4 - this.arenaEnd);
    const a = this.arena32,
      b = this.scratch32,
      w = at >>> 2;
    for (let k = 0; k < count; k++) a[w + k] = b[k]!;
    this.arenaEnd = at + count * 4;
    return at;
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
    const next = new Uint8Array((Math.max(this.arena.length * 2, this.arenaEnd + need) + 3) & ~3);
    next.set(this.arena.subarray(0, this.arenaEnd));
    this.arena = next;
    this.arena32 = new Uint32Array(next.buffer);
  }
}

/**
 * Whether a whole address token starts at `i` (the caller checked that no word or run goes on
 * before it): the maximal run of `[0-9A-Fa-f.:]` from there, not followed by a word byte, is
 * an IPv6 shape (two colons or more) or a dotted quad of 1–3 digit parts. Returns 0 when not, else
 * `end << 1 | 1` for IPv6 and `end << 1` for IPv4 (end: the index after the token). Only a shape:
 * whether it is an address is for the engine's parser to say, and a run that is a little more
 * (`192.0.2.1:22`, `192.0.2.1.`) is not masked at all.
 */
function addressToken(buf: Uint8Array, i: number, end: number): number {
  let j = i,
    colons = 0,
    dots = 0;
  while (j < end && (CLASS[buf[j]!]! & RUN) !== 0) {
    const c = buf[j]!;
    if (c === 0x3a) colons++;
    else if (c === 0x2e) dots++;
    j++;
  }
  if (j < end && (CLASS[buf[j]!]! & WORD) !== 0) return 0;
  if (colons >= 2) return (j << 1) | 1;
  if (colons > 0 || dots !== 3) return 0;
  // A dotted quad: four parts of one to three digits.
  let digits = 0;
  for (let k = i; k < j; k++) {
    const c = buf[k]!;
    if (c === 0x2e) {
      if (digits === 0) return 0;
      digits = 0;
    } else if ((CLASS[c]! & DIGIT) === 0 || ++digits > 3) return 0;
  }
  return digits === 0 ? 0 : j << 1;
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
