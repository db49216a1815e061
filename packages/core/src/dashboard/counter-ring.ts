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

  /**
   * Count `n` in the slot of time `at` (when the event happened). `now` bounds it: an event of the
   * future counts now, one older than the ring holds counts nowhere — it must not take the place of
   * a newer slot.
   */
  add(at: number, series: number, n = 1, now = at): void {
    const current = Math.floor(now / this.slotMs);
    const slot = Math.min(Math.floor(at / this.slotMs), current);
    if (slot <= current - this.slots) return;
    const pos = slot % this.slots;
    if (this.stamps[pos] !== slot) {
      // A newer slot of time already holds the position only if the clock went back: keep it.
      if (this.stamps[pos]! > slot) return;
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

  /** The slots still in the ring at `now` that hold a count, as `[slot of time, ...values]` rows (a checkpoint's JSON). */
  exportRows(now: number): number[][] {
    const current = Math.floor(now / this.slotMs);
    const rows: number[][] = [];
    for (let pos = 0; pos < this.slots; pos++) {
      const slot = this.stamps[pos]!;
      if (slot <= current - this.slots || slot > current) continue;
      const values = this.values.map((v) => v[pos]!);
      if (values.some((x) => x > 0)) rows.push([slot, ...values]);
    }
    return rows.sort((a, b) => a[0]! - b[0]!);
  }

  /**
   * Take back rows `exportRows` gave (read from disk: whatever does not fit — not a row of numbers,
   * a slot outside the ring at `now` or after it, another number of series — is skipped). Added to what the
   * ring holds, so counts made since the start are kept.
   */
  importRows(rows: unknown, now: number): void {
    if (!Array.isArray(rows)) return;
    const current = Math.floor(now / this.slotMs);
    for (const row of rows as unknown[]) {
      if (!Array.isArray(row) || row.length !== this.values.length + 1) continue;
      if (!row.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) continue;
      const [slot, ...values] = row as number[];
      if (slot! > current) continue;
      values.forEach((n, series) => {
        if (n > 0) this.add(slot! * this.slotMs, series, n, now);
      });
    }
  }
}
