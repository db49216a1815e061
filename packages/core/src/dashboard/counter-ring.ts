/**
 * Counters per time slot in a fixed ring: `slots` slots of `slotMs` each, a few series per slot
 * (failures, bans). Memory is fixed at creation; a slot is reused when time comes round to it
 * again, and one nobody wrote to since is read as zero (each slot remembers which slot of time it
 * holds), so an idle ring needs no timer to forget.
 */
export class CounterRing {
  /** Which slot of time (epoch ms / slotMs) each position holds; -1: none yet. */
  private readonly stamps: Float64Array;
  private readonly values: Uint32Array[];

  constructor(
    readonly slots: number,
    readonly slotMs: number,
    series: number,
  ) {
    this.stamps = new Float64Array(slots).fill(-1);
    this.values = Array.from({ length: series }, () => new Uint32Array(slots));
  }

  add(now: number, series: number, n = 1): void {
    const slot = Math.floor(now / this.slotMs);
    const pos = slot % this.slots;
    if (this.stamps[pos] !== slot) {
      this.stamps[pos] = slot;
      for (const v of this.values) v[pos] = 0;
    }
    const v = this.values[series]!;
    v[pos] = Math.min(0xffffffff, v[pos]! + n);
  }

  /** The last `slots` values of a series, oldest first, the current slot last. */
  series(now: number, series: number): number[] {
    const current = Math.floor(now / this.slotMs);
    const v = this.values[series]!;
    const out = new Array<number>(this.slots);
    for (let i = 0; i < this.slots; i++) {
      const slot = current - this.slots + 1 + i;
      const pos = slot % this.slots;
      out[i] = this.stamps[pos] === slot ? v[pos]! : 0;
    }
    return out;
  }

  /** The sum of a series over the last `n` slots (the current one included). */
  sum(now: number, series: number, n = this.slots): number {
    const s = this.series(now, series);
    let total = 0;
    for (let i = Math.max(0, s.length - n); i < s.length; i++) total += s[i]!;
    return total;
  }
}
