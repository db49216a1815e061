/**
 * The `limit` best of many items in one pass (a bounded heap whose root is the worst kept): a page
 * of 200 out of a million bans costs a comparison per ban and a few more for each one kept, however
 * the bans come (the newest last, as a tracker lists them, is the worst case of a sorted array).
 */
export class TopK<T> {
  private readonly heap: T[] = [];

  /** `cmp(a, b) < 0`: a comes before (is better than) b. */
  constructor(
    private readonly limit: number,
    private readonly cmp: (a: T, b: T) => number,
  ) {}

  add(item: T): void {
    const h = this.heap;
    if (h.length < this.limit) {
      h.push(item);
      this.up(h.length - 1);
    } else if (this.limit > 0 && this.cmp(item, h[0]!) < 0) {
      h[0] = item;
      this.down(0);
    }
  }

  /** The items kept, best first. */
  sorted(): T[] {
    return [...this.heap].sort(this.cmp);
  }

  // Max-heap by `cmp`: a parent is never better than its children.
  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(h[p]!, h[i]!) >= 0) return;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && this.cmp(h[l]!, h[worst]!) > 0) worst = l;
      if (r < h.length && this.cmp(h[r]!, h[worst]!) > 0) worst = r;
      if (worst === i) return;
      [h[worst], h[i]] = [h[i]!, h[worst]!];
      i = worst;
    }
  }
}
