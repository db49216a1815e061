/**
 * The leaky buckets of one tracker, one per address. A bucket holds a level: every counted failure
 * pours its attempts in, and it leaks one unit per `leakspeed`, continuously. The level is computed
 * when the bucket is touched (from the time it was last updated), so an idle bucket costs no timer.
 *
 * The map's order is the order of the last pour (a pour moves its bucket to the end): the first
 * bucket is the one poured into least recently — the one to forget under a flood, and the first to
 * have drained.
 */
import type { IpAddress } from '@f2b/kit';

export interface Bucket {
  readonly ip: IpAddress;
  /** Units in the bucket at `updated`. */
  level: number;
  /** Epoch ms (log time) the level was computed at; never goes back. */
  updated: number;
  /** Attempts poured since the bucket was created (the ban's `failures`). */
  poured: number;
  /** With `distinct`: the values counted, and when (oldest first). */
  seen?: Map<string, number>;
  /** The latest lines poured, for the ban record (none kept when the store keeps them). */
  lines?: string[];
}

export class Buckets {
  private readonly map = new Map<string, Bucket>();
  /** Milliseconds one unit takes to leak out. */
  private readonly leakMs: number;

  constructor(leakMs: number) {
    this.leakMs = leakMs;
  }

  get size(): number {
    return this.map.size;
  }

  get(id: string): Bucket | undefined {
    return this.map.get(id);
  }

  /** The address's bucket, leaked up to `time` and moved to the end of the order (it is being poured into). */
  touch(ip: IpAddress, time: number): Bucket {
    let b = this.map.get(ip.text);
    if (b === undefined) {
      b = { ip, level: 0, updated: time, poured: 0 };
    } else {
      this.leak(b, time);
      this.map.delete(ip.text);
    }
    this.map.set(ip.text, b);
    return b;
  }

  /** The level of `b` at `time` (without changing it). */
  levelAt(b: Bucket, time: number): number {
    return Math.max(0, b.level - Math.max(0, time - b.updated) / this.leakMs);
  }

  private leak(b: Bucket, time: number): void {
    if (time <= b.updated) return;
    b.level = this.levelAt(b, time);
    b.updated = time;
  }

  delete(id: string): boolean {
    return this.map.delete(id);
  }

  /** Forget the bucket poured into least recently; its id, or null when there is none. */
  evictOldest(): string | null {
    for (const id of this.map.keys()) {
      this.map.delete(id);
      return id;
    }
    return null;
  }

  /**
   * Forget buckets that cannot hold anything at `now`: a bucket last poured into before `now −
   * drainMs` (the time a full bucket takes to drain) is empty. Stops at the first younger one, so
   * a sweep costs what it removes.
   */
  sweep(now: number, drainMs: number): void {
    for (const [id, b] of this.map) {
      if (b.updated + drainMs > now && this.levelAt(b, now) > 0) break;
      this.map.delete(id);
    }
  }

  values(): IterableIterator<Bucket> {
    return this.map.values();
  }
}
