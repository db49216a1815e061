/**
 * When each ban ends, for the tracker: one clock timer for the earliest end instead of a timer per
 * ban. A Node timer with its closures and handle cost about 450 bytes a ban — 45 MB of a daemon
 * holding 100,000 bans. A binary heap of (end, order, id) in plain arrays; `add` returns the entry's
 * order, which the tracker keeps with the ban. Entries of bans lifted or replaced meanwhile stay
 * until they come up and are then passed over (their order is no longer the ban's), and the heap is
 * rebuilt without them when they outnumber the live ones.
 */
import type { Clock, TimerHandle } from './clock.js';

/** `K`: what names a ban to its owner (an id, a slot number). */
export class BanExpiries<K = string> {
  private ends: number[] = [];
  private orders: number[] = [];
  private ids: K[] = [];
  private order = 0;
  private timer: TimerHandle | undefined = undefined;
  private due = Infinity;

  /**
   * `fire(id, order)` for every entry whose end has come, earliest first (ties in the order they
   * were added, as separate timers would fire).
   */
  constructor(
    private readonly clock: Clock,
    private readonly fire: (id: K, order: number) => void,
  ) {}

  get size(): number {
    return this.ends.length;
  }

  /** Schedules `id`'s end; returns the entry's order, its token for `fire` and `compact`. */
  add(id: K, end: number): number {
    const order = this.order++;
    this.push(end, order, id);
    this.arm();
    return order;
  }

  /** Drop every entry and the timer (no ban with an end is left, or the tracker is disposed). */
  clear(): void {
    this.ends = [];
    this.orders = [];
    this.ids = [];
    this.timer?.cancel();
    this.timer = undefined;
    this.due = Infinity;
  }

  /** Keep only the entries `live` says are still bans (when stale entries outnumber them). */
  compact(live: (id: K, order: number) => boolean): void {
    const ends = this.ends,
      orders = this.orders,
      ids = this.ids;
    this.ends = [];
    this.orders = [];
    this.ids = [];
    for (let i = 0; i < ends.length; i++) if (live(ids[i]!, orders[i]!)) this.push(ends[i]!, orders[i]!, ids[i]!);
    if (this.ends.length === 0) this.clear();
  }

  private arm(): void {
    const next = this.ends.length > 0 ? this.ends[0]! : Infinity;
    if (next >= this.due) return;
    this.timer?.cancel();
    this.due = next;
    this.timer = next === Infinity ? undefined : this.clock.setTimer(Math.max(0, next - this.clock.now()), () => this.expire());
  }

  private expire(): void {
    this.timer = undefined;
    this.due = Infinity;
    const now = this.clock.now();
    while (this.ends.length > 0 && this.ends[0]! <= now) {
      const order = this.orders[0]!,
        id = this.ids[0]!;
      this.pop();
      this.fire(id, order);
    }
    this.arm();
  }

  private before(i: number, j: number): boolean {
    const a = this.ends[i]!,
      b = this.ends[j]!;
    return a < b || (a === b && this.orders[i]! < this.orders[j]!);
  }

  private swap(i: number, j: number): void {
    const e = this.ends[i]!,
      o = this.orders[i]!,
      id = this.ids[i]!;
    this.ends[i] = this.ends[j]!;
    this.orders[i] = this.orders[j]!;
    this.ids[i] = this.ids[j]!;
    this.ends[j] = e;
    this.orders[j] = o;
    this.ids[j] = id;
  }

  private push(end: number, order: number, id: K): void {
    let i = this.ends.length;
    this.ends.push(end);
    this.orders.push(order);
    this.ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = this.ends.length - 1;
    this.swap(0, last);
    this.ends.pop();
    this.orders.pop();
    this.ids.pop();
    const n = this.ends.length;
    for (let i = 0; ;) {
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
