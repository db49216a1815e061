/**
 * A table of addresses in typed arrays: each address held gets a slot number, which its owner uses
 * to index columns of its own (a struct of arrays), and is found again through an open-addressing
 * hash index keyed by its 16 bytes (IPv4 as its IPv4-mapped form). An address costs about 30 bytes
 * here (key, family, index) instead of an object, a `Uint8Array` and its buffer (about 230), and its
 * text is made only when someone asks for it. The ban book keeps its bans in one.
 *
 * Freed slots are reused (most recently freed first). Slots come in pages of PAGE_SLOTS, and so do
 * the owner's columns (`Column`): the table grows by a page and never copies what it holds. Arrays
 * grown by copying left the freed copies to the allocator — 100,000 bans left several MiB of them
 * resident — and held up to half again what was in use.
 */
import { addressHash, addressWord, indexInsert, indexRemove } from './address-index.js';
import { formatIp, type IpAddress } from './ip.js';

const NONE = -1;
const PAGE_BITS = 12;
/** Slots per page: a page of 8-byte values is 32 KiB. */
export const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;
const INITIAL_INDEX = 128;
/** The first page starts this small and doubles up to a whole page. */
const FIRST_PAGE_SLOTS = 64;
/** `family` of a free slot. */
const FREE = 0;

type TypedArray = Float64Array | Int32Array | Uint16Array | Uint8Array;

/** One value per slot, in pages (an owner's column beside the table's slots). */
export class Column<T extends TypedArray> {
  private readonly pages: T[] = [];

  constructor(private readonly make: (length: number) => T) {}

  get(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]![slot & PAGE_MASK]!;
  }

  set(slot: number, value: number): void {
    this.pages[slot >>> PAGE_BITS]![slot & PAGE_MASK] = value;
  }

  /** Pages for every slot below `capacity` (the table's). */
  cover(capacity: number): void {
    if (capacity <= PAGE_SLOTS) {
      const first = this.pages[0];
      if (first === undefined || first.length < capacity) this.pages[0] = grown(first, capacity, this.make);
      return;
    }
    if (this.pages[0]!.length < PAGE_SLOTS) this.pages[0] = grown(this.pages[0], PAGE_SLOTS, this.make);
    while (this.pages.length * PAGE_SLOTS < capacity) this.pages.push(this.make(PAGE_SLOTS));
  }
}

export class AddressSlots {
  private cap = 0;
  /** 4 words per slot: the address (network order, IPv4 mapped into IPv6); a free slot's first word chains the free list. */
  private readonly keys: Int32Array[] = [];
  /** 4 or 6 for a slot in use, FREE otherwise. */
  private readonly family: Uint8Array[] = [];
  /** Hash index: slot + 1 at the address's position (linear probing), 0 = empty. */
  private index = new Int32Array(0);
  private mask = 0;
  private free = NONE;
  /** Slots ever used (the rest of the pages is untouched). */
  private used = 0;
  private count = 0;

  /** Addresses held. */
  get size(): number {
    return this.count;
  }

  /** Slots there are pages for (an owner's columns must `cover` it). */
  get capacity(): number {
    return this.cap;
  }

  /** One past the highest slot ever used: a walk over `0 … end-1` with `has` meets every address. */
  get end(): number {
    return this.used;
  }

  /** Whether `slot` holds an address. */
  has(slot: number): boolean {
    return slot >= 0 && slot < this.used && this.familyOf(slot) !== FREE;
  }

  /**
   * Whether the table can hold `ip` exactly as given, so that an address rebuilt from the slot is
   * the same address: 4 bytes for IPv4, 16 for IPv6 other than IPv4-mapped (which parseIp makes
   * IPv4). Its text is taken to be the canonical one, as `IpAddress` promises (not checked: that
   * would make a string per ban restored).
   */
  static holds(ip: IpAddress): boolean {
    const b = ip.bytes;
    if (!(b instanceof Uint8Array)) return false;
    return ip.version === 4 ? b.length === 4 : ip.version === 6 && b.length === 16 && !isMapped(b);
  }

  /** The slot of `ip`, or -1 (an IPv4-mapped IPv6 address is not the IPv4 address held). */
  find(ip: IpAddress): number {
    if (this.count === 0) return NONE;
    const b = ip.bytes;
    let slot: number;
    if (b.length === 4) slot = this.findKey(0, 0, 0xffff, addressWord(b, 0));
    else if (b.length === 16) slot = this.findKey(addressWord(b, 0), addressWord(b, 4), addressWord(b, 8), addressWord(b, 12));
    else return NONE;
    return slot !== NONE && this.familyOf(slot) === ip.version ? slot : NONE;
  }

  /** A slot for `ip` (which must not be held; see `holds`). The owner's columns then `cover` the `capacity`. */
  insert(ip: IpAddress): number {
    let slot: number;
    if (this.free !== NONE) {
      slot = this.free;
      this.free = this.keys[slot >>> PAGE_BITS]![(slot & PAGE_MASK) * 4]!;
    } else {
      if (this.used === this.cap) this.grow();
      slot = this.used++;
    }
    const b = ip.bytes,
      page = this.keys[slot >>> PAGE_BITS]!,
      k = (slot & PAGE_MASK) * 4;
    if (b.length === 4) {
      page[k] = 0;
      page[k + 1] = 0;
      page[k + 2] = 0xffff;
      page[k + 3] = addressWord(b, 0);
    } else {
      page[k] = addressWord(b, 0);
      page[k + 1] = addressWord(b, 4);
      page[k + 2] = addressWord(b, 8);
      page[k + 3] = addressWord(b, 12);
    }
    this.family[slot >>> PAGE_BITS]![slot & PAGE_MASK] = ip.version;
    this.count++;
    // The index stays at most half full; rehashing walks the slots in use, which `slot` is now.
    if (this.count * 2 > this.index.length) this.rehash(Math.max(INITIAL_INDEX, this.index.length * 2));
    else this.indexInsert(slot);
    return slot;
  }

  /** Free `slot` (in use). */
  release(slot: number): void {
    this.indexRemove(slot);
    this.family[slot >>> PAGE_BITS]![slot & PAGE_MASK] = FREE;
    this.keys[slot >>> PAGE_BITS]![(slot & PAGE_MASK) * 4] = this.free;
    this.free = slot;
    this.count--;
  }

  /** The address in `slot` (in use), made now: a new object each time. */
  address(slot: number): IpAddress {
    const page = this.keys[slot >>> PAGE_BITS]!,
      k = (slot & PAGE_MASK) * 4;
    if (this.familyOf(slot) === 4) {
      const w = page[k + 3]!;
      const bytes = new Uint8Array([w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
      return { version: 4, bytes, text: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` };
    }
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setInt32(i * 4, page[k + i]!);
    return { version: 6, bytes, text: formatIp({ version: 6, bytes, text: '' }) };
  }

  /** The canonical text of the address in `slot` (in use). */
  text(slot: number): string {
    if (this.familyOf(slot) === 4) {
      const w = this.keys[slot >>> PAGE_BITS]![(slot & PAGE_MASK) * 4 + 3]!;
      return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
    }
    return this.address(slot).text;
  }

  private familyOf(slot: number): number {
    return this.family[slot >>> PAGE_BITS]![slot & PAGE_MASK]!;
  }

  private findKey(k0: number, k1: number, k2: number, k3: number): number {
    for (let i = addressHash(k0, k1, k2, k3) & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.index[i]! - 1;
      if (s < 0) return NONE;
      const page = this.keys[s >>> PAGE_BITS]!,
        k = (s & PAGE_MASK) * 4;
      if (page[k] === k0 && page[k + 1] === k1 && page[k + 2] === k2 && page[k + 3] === k3) return s;
    }
  }

  /** slotHash for indexRemove, made once. */
  private readonly hashOfSlot = (slot: number): number => this.slotHash(slot);

  private slotHash(slot: number): number {
    const page = this.keys[slot >>> PAGE_BITS]!,
      k = (slot & PAGE_MASK) * 4;
    return addressHash(page[k]!, page[k + 1]!, page[k + 2]!, page[k + 3]!);
  }

  private indexInsert(slot: number): void {
    indexInsert(this.index, this.mask, slot, this.slotHash(slot));
  }

  private indexRemove(slot: number): void {
    indexRemove(this.index, this.mask, slot, this.hashOfSlot);
  }

  private rehash(size: number): void {
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let s = 0; s < this.used; s++) if (this.familyOf(s) !== FREE) this.indexInsert(s);
  }

  /** The first page grows by doubling (a jail with a few bans stays small), the others come whole. */
  private grow(): void {
    if (this.cap < PAGE_SLOTS) {
      this.cap = Math.min(PAGE_SLOTS, Math.max(FIRST_PAGE_SLOTS, this.cap * 2));
      this.keys[0] = grown(this.keys[0], this.cap * 4, (n) => new Int32Array(n));
      this.family[0] = grown(this.family[0], this.cap, (n) => new Uint8Array(n));
      return;
    }
    this.keys.push(new Int32Array(PAGE_SLOTS * 4));
    this.family.push(new Uint8Array(PAGE_SLOTS));
    this.cap += PAGE_SLOTS;
  }
}

/** A copy of `a` (or a new array), `length` long. */
function grown<T extends TypedArray>(a: T | undefined, length: number, make: (length: number) => T): T {
  const out = make(length);
  if (a !== undefined) out.set(a);
  return out;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}
