/**
 * Keeps test-filter's heap near what it holds. Reading a log keeps little alive (the memo, the open
 * sessions, the addresses: ≈ 10 MiB on a 1,000,000-line sshd log) but allocates some hundred
 * bytes a line that die young; V8 doubles the young generation up to 2 × 16 MiB whenever enough
 * survives, and lets the old one grow to twice what a collection left. On that log the heap
 * reached 57 MiB, the process 117 MiB, most of it garbage between collections.
 *
 * Two of V8's heuristics are turned down for the rest of the process: the young generation stops
 * growing once it has reached YOUNG_CAP (its semi-spaces at 4 MiB: a scavenge still finds nearly
 * everything dead), and the old generation grows by OLD_GROWTH_PERCENT over what survived. Both
 * are limits on how far the heap grows, not on what it may hold: a log that needs more memory
 * still gets it. V8 reads these two flags afresh at each collection; the heap's maximum sizes are
 * fixed at start-up, which is why the caps are not set there (a re-exec with `--max-semi-space-size`
 * would cost a second start-up, more than the whole run on a small log).
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/**
 * New space (both semi-spaces) at which it stops growing. On the 1M-line log: CPU time within the
 * noise of V8 left alone (the collector's own time 243 → 306 ms of ≈ 2.5 s), 115 → 90 MiB.
 */
const YOUNG_CAP = 8 << 20;
/** The old generation's growth over its live size after a full collection (V8's default: up to 300 %). */
const OLD_GROWTH_PERCENT = 30;

export class HeapBudget {
  private capped = false;

  /** Limits the old generation's growth from now on. */
  constructor() {
    setFlagsFromString(`--heap-growing-percent=${OLD_GROWTH_PERCENT}`);
  }

  /** After each chunk read: stops the young generation's growth once it has reached its cap. */
  check(): void {
    if (this.capped) return;
    for (const space of getHeapSpaceStatistics()) {
      if (space.space_name !== 'new_space') continue;
      if (space.space_size >= YOUNG_CAP) {
        setFlagsFromString('--semi-space-growth-factor=1');
        this.capped = true;
      }
      return;
    }
  }
}
