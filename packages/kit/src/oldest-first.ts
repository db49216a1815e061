/**
 * Evicts the oldest key of a Map or Set (its first in insertion order) in amortised constant time.
 *
 * `map.keys().next()` starts at the front of V8's hash table every time and steps over every entry
 * deleted since the table was last compacted. A Map used as a bounded LRU (delete the oldest, insert
 * the newest) keeps its holes at the front, so each eviction stepped over tens of thousands of them:
 * 31 µs per eviction at 100,000 entries, most of sshd's per-line cost in a flood of connections. An
 * iterator kept from one eviction to the next steps over each hole once (V8's Map and Set iterators
 * follow the table through its compactions and see entries added after they were made).
 *
 * This holds as long as entries are only added at the end (as Map and Set always do) and every key
 * the iterator passed was deleted, which `evict` does itself.
 */
export class OldestFirst<K> {
  private cursor: Iterator<K> | null = null;

  constructor(private readonly collection: { keys(): Iterator<K>; delete(key: K): boolean; readonly size: number }) {}

  /** Delete the oldest key and return it; undefined when the collection is empty. */
  evict(): K | undefined {
    if (this.collection.size === 0) return undefined;
    let next = this.cursor?.next();
    // An iterator that reached the end stays done for good: start another one.
    if (next === undefined || next.done === true) {
      this.cursor = this.collection.keys();
      next = this.cursor.next();
    }
    if (next.done === true) return undefined;
    this.collection.delete(next.value);
    return next.value;
  }
}
