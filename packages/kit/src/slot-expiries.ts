/**
 * BanExpiries (one clock timer for the earliest end of many bans) for owners that name their bans
 * by a number — the ban book's slots —, with the heap in paged typed arrays (ends and orders as
 * doubles, keys as 32-bit integers: 20 bytes an entry) instead of three growing JavaScript arrays
 * (24 bytes an entry, up to half again as slack, and a copy left to the collector at every
 * growth). Same contract: `add` returns the entry's order; entries of bans lifted or replaced stay
 * until they come up (then `fire` passes them over) or until `compact` drops them.
 */
import type { Clock, TimerHandle } from './clock.js';
import { Column } from './address-slots.js';

export class SlotExpiries {
  private ends = new Column((n) => new Float64Array(n));
  private orders = new Column((n) => new Float64Array(n));
  private keys = new Column((n) => new Int32Array(n));
  private length = 0;
  private capacity = 0;
  private order = 0;
  private timer: TimerHandle | undefined = undefined;
  private due = Infinity;

  /** `fire(key, order)` for every entry whose end has come, earliest first (ties in the order they were added). */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (key: number, order: number) => void,
  ) {}

  get size(): number {
    return this.length;
  }

  /** Schedules `key`'s end (an integer of 32 bits); returns the entry's order. */
  add(key: number, end: number): number {
    const order = this.order++;
    this.push(end, order, key);
    this.arm();
    return order;
  }

  /** Drop every entry (and their pages) and the timer. */
  clear(): void {
    this.ends = new Column((n) => new Float64Array(n));
    this.orders = new Column((n) => new Float64Array(n));
    this.keys = new Column((n) => new Int32Array(n));
    this.length = 0;
    this.capacity = 0;
    this.timer?.cancel();
    this.timer = undefined;
    this.due = Infinity;
  }

  /** Keep only the entries `live` says are still bans: the heap is rebuilt in place from them. */
  compact(live: (key: number, order: number) => boolean): void {
    const n = this.length;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (!live(this.keys.get(i), this.orders.get(i))) continue;
      this.move(i, kept++);
    }
    this.length = kept;
    if (kept === 0) {
      this.clear();
      return;
    }
    // Bottom-up heapify: O(n).
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private arm(): void {
    const next = this.length > 0 ? this.ends.get(0) : Infinity;
    if (next >= this.due) return;
    this.timer?.cancel();
    this.due = next;
    this.timer = next === Infinity ? undefined : this.clock.setTimer(Math.max(0, next - this.clock.now()), () => this.expire());
  }

  private expire(): void {
    this.timer = undefined;
    this.due = Infinity;
    const now = this.clock.now();
    while (this.length > 0 && this.ends.get(0) <= now) {
      const order = this.orders.get(0),
        key = this.keys.get(0);
      this.pop();
      this.fire(key, order);
    }
    this.arm();
  }

  private before(i: number, j: number): boolean {
    const a = this.ends.get(i),
      b = this.ends.get(j);
    return a < b || (a === b && this.orders.get(i) < this.orders.get(j));
  }

  private move(from: number, to: number): void {
    if (from === to) return;
    this.ends.set(to, this.ends.get(from));
    this.orders.set(to, this.orders.get(from));
    this.keys.set(to, this.keys.get(from));
  }

  private swap(i: number, j: number): void {
    const e = this.ends.get(i),
      o = this.orders.get(i),
      k = this.keys.get(i);
    this.move(j, i);
    this.ends.set(j, e);
    this.orders.set(j, o);
    this.keys.set(j, k);
  }

  private push(end: number, order: number, key: number): void {
    let i = this.length++;
    if (this.length > this.capacity) {
      this.capacity = this.length <= 64 ? 64 : this.capacity < 4096 ? this.capacity * 2 : this.capacity + 4096;
      this.ends.cover(this.capacity);
      this.orders.cover(this.capacity);
      this.keys.cover(this.capacity);
    }
    this.ends.set(i, end);
    this.orders.set(i, order);
    this.keys.set(i, key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = this.length - 1;
    this.swap(0, last);
    this.length = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const n = this.length;
    for (let i = start; ;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < n && this.before(l, m)) m = l;
      if (r < n && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
