/**
 * The open-addressing index both address tables use — the ban book's slots (address-slots.ts) and the
 * core's failing sources: an address is four 32-bit words (IPv4 as `::ffff:a.b.c.d`), hashed into a
 * power-of-two `Int32Array` of slot + 1 (0: empty), found by linear probing. Lookups stay in each
 * table (they read the words where that table keeps them); inserting and deleting are here.
 */

/** Four bytes of an address, big-endian, as one 32-bit word of its key. */
export function addressWord(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** murmur3's finaliser over the four words: addresses of one /64 or /24 spread over the index. */
export function addressHash(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ c ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ d ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Put `slot` (whose key hashes to `hash`) into the first empty cell from its home. */
export function indexInsert(index: Int32Array, mask: number, slot: number, hash: number): void {
  let i = hash & mask;
  while (index[i] !== 0) i = (i + 1) & mask;
  index[i] = slot + 1;
}

/**
 * Take `slot` out by backward shift (no tombstones, so lookups never slow down); `hashOf` gives the
 * hash of a slot's key.
 */
export function indexRemove(index: Int32Array, mask: number, slot: number, hashOf: (slot: number) => number): void {
  let i = hashOf(slot) & mask;
  while (index[i] !== slot + 1) i = (i + 1) & mask;
  for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
    const home = hashOf(index[j]! - 1) & mask;
    // The entry at j may move into the hole at i if its home is not in (i, j] (cyclically).
    if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
      index[i] = index[j]!;
      i = j;
    }
  }
  index[i] = 0;
}
