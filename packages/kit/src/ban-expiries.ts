/**
 * When each ban ends, for a tracker that names its bans by anything (an id string, an object): one
 * clock timer for the earliest end instead of a timer per ban (a Node timer with its closures and
 * handle cost about 450 bytes a ban — 45 MB of a daemon holding 100,000 bans). `add` returns the
 * entry's order, which the owner keeps with the ban; entries of bans lifted or replaced meanwhile
 * stay until they come up and are then passed over (their order is no longer the ban's), or until
 * `compact` drops them.
 *
 * The schedule itself is SlotExpiries' heap (the ban book's, keyed by slot numbers); here each
 * entry's name gets a number of its own, given back when the entry fires or is dropped.
 */
import type { Clock } from './clock.js';
import { SlotExpiries } from './slot-expiries.js';

/** `K`: what names a ban to its owner (an id, a slot number). */
export class BanExpiries<K = string> {
  private readonly slots: SlotExpiries;
  /** The name of each entry, by the number it has in the heap. */
  private names: (K | undefined)[] = [];
  private free: number[] = [];

  /**
   * `fire(id, order)` for every entry whose end has come, earliest first (ties in the order they
   * were added, as separate timers would fire).
   */
  constructor(clock: Clock, fire: (id: K, order: number) => void) {
    this.slots = new SlotExpiries(clock, (n, order) => fire(this.release(n), order));
  }

  get size(): number {
    return this.slots.size;
  }

  /** Schedules `id`'s end; returns the entry's order, its token for `fire` and `compact`. */
  add(id: K, end: number): number {
    const n = this.free.length > 0 ? this.free.pop()! : this.names.length;
    this.names[n] = id;
    return this.slots.add(n, end);
  }

  /** Drop every entry and the timer (no ban with an end is left, or the tracker is disposed). */
  clear(): void {
    this.slots.clear();
    this.names = [];
    this.free = [];
  }

  /** Keep only the entries `live` says are still bans (when stale entries outnumber them). */
  compact(live: (id: K, order: number) => boolean): void {
    this.slots.compact((n, order) => {
      if (live(this.names[n] as K, order)) return true;
      this.release(n);
      return false;
    });
    if (this.slots.size === 0) this.clear();
  }

  /** The name of entry `n`, whose number is free again. */
  private release(n: number): K {
    const id = this.names[n] as K;
    this.names[n] = undefined;
    this.free.push(n);
    return id;
  }
}
