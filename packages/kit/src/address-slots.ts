/**
 * A table of addresses in typed arrays: each address held gets a slot number, which its owner uses
 * to index columns of its own (a struct of arrays), and is found again through an open-addressing
 * hash index keyed by its 16 bytes (IPv4 as its IPv4-mapped form). An address costs about 30 bytes
 * here (key, family, index) instead of an object, a `Uint8Array` and its buffer (about 230), and its
 * text is made only when someone asks for it. The ban book keeps its bans in one.
 *
 * Freed slots are reused (most recently freed first); `capacity` grows by half when all are used,
 * and the owner extends its columns to it (`extendTo`).
 */
import { formatIp, type IpAddress } from './ip.js';

const NONE = -1;
const INITIAL_SLOTS = 64;
/** `family` of a free slot. */
const FREE = 0;

export class AddressSlots {
  private cap = 0;
  /** 4 words per slot: the address (network order, IPv4 mapped into IPv6). */
  private keys = new Int32Array(0);
  /** 4 or 6 for a slot in use, FREE otherwise. */
  private family = new Uint8Array(0);
  /** Freed slots, chained (most recently freed first). */
  private nextFree = new Int32Array(0);
  /** Hash index: slot + 1 at the address's position (linear probing), 0 = empty. */
  private index = new Int32Array(0);
  private mask = 0;
  private free = NONE;
  /** Slots ever used (the rest of the arrays is untouched). */
  private used = 0;
  private count = 0;

  /** Addresses held. */
  get size(): number {
    return this.count;
  }

  /** Slots there are columns for (the owner's columns must be at least this long). */
  get capacity(): number {
    return this.cap;
  }

  /** One past the highest slot ever used: a walk over `0 … end-1` with `has` meets every address. */
  get end(): number {
    return this.used;
  }

  /** Whether `slot` holds an address. */
  has(slot: number): boolean {
    return slot >= 0 && slot < this.used && this.family[slot] !== FREE;
  }

  /**
   * Whether the table can hold `ip` exactly as given: its text is the canonical one of its bytes
   * (what parseIp makes), so an address rebuilt from the slot is the same address with the same text.
   */
  static holds(ip: IpAddress): boolean {
    const b = ip.bytes;
    if (!(b instanceof Uint8Array)) return false;
    if (ip.version === 4 ? b.length !== 4 : ip.version !== 6 || b.length !== 16 || isMapped(b)) return false;
    return ip.text === formatIp(ip);
  }

  /** The slot of `ip`, or -1 (an IPv4-mapped IPv6 address is not the IPv4 address held). */
  find(ip: IpAddress): number {
    if (this.count === 0) return NONE;
    const b = ip.bytes;
    let slot: number;
    if (b.length === 4) slot = this.findKey(0, 0, 0xffff, word(b, 0));
    else if (b.length === 16) slot = this.findKey(word(b, 0), word(b, 4), word(b, 8), word(b, 12));
    else return NONE;
    return slot !== NONE && this.family[slot] === ip.version ? slot : NONE;
  }

  /** A slot for `ip` (which must not be held; see `holds`). The owner then extends its columns to `capacity`. */
  insert(ip: IpAddress): number {
    let slot: number;
    if (this.free !== NONE) {
      slot = this.free;
      this.free = this.nextFree[slot]!;
    } else {
      if (this.used === this.cap) this.grow();
      slot = this.used++;
    }
    const b = ip.bytes,
      k = slot * 4;
    if (b.length === 4) {
      this.keys[k] = 0;
      this.keys[k + 1] = 0;
      this.keys[k + 2] = 0xffff;
      this.keys[k + 3] = word(b, 0);
    } else {
      this.keys[k] = word(b, 0);
      this.keys[k + 1] = word(b, 4);
      this.keys[k + 2] = word(b, 8);
      this.keys[k + 3] = word(b, 12);
    }
    this.family[slot] = ip.version;
    this.count++;
    // The index stays at most half full; rehashing walks the slots in use, which `slot` is now.
    if (this.count * 2 > this.index.length) this.rehash(Math.max(INITIAL_SLOTS * 2, this.index.length * 2));
    else this.indexInsert(slot);
    return slot;
  }

  /** Free `slot` (in use). */
  release(slot: number): void {
    this.indexRemove(slot);
    this.family[slot] = FREE;
    this.nextFree[slot] = this.free;
    this.free = slot;
    this.count--;
  }

  /** The address in `slot` (in use), made now: a new object each time. */
  address(slot: number): IpAddress {
    const k = slot * 4;
    if (this.family[slot] === 4) {
      const w = this.keys[k + 3]!;
      const bytes = new Uint8Array([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
      return { version: 4, bytes, text: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` };
    }
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setInt32(i * 4, this.keys[k + i]!);
    return { version: 6, bytes, text: formatIp({ version: 6, bytes, text: '' }) };
  }

  /** The canonical text of the address in `slot` (in use). */
  text(slot: number): string {
    if (this.family[slot] === 4) {
      const w = this.keys[slot * 4 + 3]!;
      return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
    }
    return this.address(slot).text;
  }

  private findKey(k0: number, k1: number, k2: number, k3: number): number {
    for (let i = hash(k0, k1, k2, k3) & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.index[i]! - 1;
      if (s < 0) return NONE;
      const k = s * 4;
      if (this.keys[k] === k0 && this.keys[k + 1] === k1 && this.keys[k + 2] === k2 && this.keys[k + 3] === k3) return s;
    }
  }

  private slotHash(slot: number): number {
    const k = slot * 4;
    return hash(this.keys[k]!, this.keys[k + 1]!, this.keys[k + 2]!, this.keys[k + 3]!);
  }

  private indexInsert(slot: number): void {
    let i = this.slotHash(slot) & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = slot + 1;
  }

  /** Linear probing's deletion by backward shift: no tombstones, so lookups never slow down. */
  private indexRemove(slot: number): void {
    const mask = this.mask;
    let i = this.slotHash(slot) & mask;
    while (this.index[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const home = this.slotHash(this.index[j]! - 1) & mask;
      // The entry at j may move into the hole at i if its home is not in (i, j] (cyclically).
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        this.index[i] = this.index[j]!;
        i = j;
      }
    }
    this.index[i] = 0;
  }

  private rehash(size: number): void {
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < this.used; s++) if (this.family[s] !== FREE) this.indexInsert(s);
  }

  private grow(): void {
    const cap = Math.max(INITIAL_SLOTS, Math.ceil(this.cap * 1.5));
    this.keys = extendTo(this.keys, cap * 4);
    this.family = extendTo(this.family, cap);
    this.nextFree = extendTo(this.nextFree, cap);
    this.cap = cap;
  }
}

/** A copy of `a`, `length` long (an owner's column grown to the table's capacity). */
export function extendTo<T extends Int32Array | Uint32Array | Uint8Array | Uint16Array | Float64Array>(a: T, length: number): T {
  if (a.length >= length) return a;
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function word(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** murmur3's finaliser over the four words: addresses of one /64 or /24 spread over the index. */
function hash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ d ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
