/**
 * Keeps a daemon's young generation from growing without need. V8 doubles the new space (its two
 * semi-spaces) whenever enough of what it allocates survives, up to 2 × 16 MiB here, and the pages
 * of both semi-spaces stay resident. Restoring 100,000 bans (everything survives for a while) took
 * an idle daemon's new space from 16 to 32 MiB: 16 MiB of its resident size for nothing that it
 * keeps. From YOUNG_CAP on (or at once, when it is there already) it grows no more: a scavenge then
 * comes as often as one of that size, which still finds nearly everything dead on a daemon's
 * per-line work (test-filter's heap budget stops it at 8 MiB for the same reason).
 *
 * `--semi-space-growth-factor` is read by V8 at each scavenge, so it can be set at run time; the
 * new space's maximum cannot (it is fixed when the heap is made). `f2b start` calls this; a library
 * user embedding `Daemon` decides for its own process.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import type { Clock, TimerHandle } from './clock.js';

/** New space (both semi-spaces) from which it grows no more. */
export const YOUNG_CAP = 8 << 20;
/** How often a young generation below the cap is looked at again (it may grow past it once meanwhile). */
const CHECK_MS = 1000;

function newSpaceSize(): number {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') return s.space_size;
  return 0;
}

/**
 * Stops the young generation's growth now, at the size it has (a process just started: V8's
 * initial 2 × 2 MiB, or what module loading grew it to). For a daemon, called before it loads its
 * config and plugins: their start-up survives long enough to double the new space twice, to
 * 2 × 8 MiB, and the pages stay resident for the daemon's life. A daemon's per-line work leaves
 * nearly nothing alive, so a small new space costs more scavenges, each of them short.
 */
export function stopYoungGenerationGrowth(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Stops the young generation's growth once it has reached `cap`; `cancel` stops looking. */
export function limitYoungGeneration(clock: Clock, cap = YOUNG_CAP): TimerHandle {
  let timer: TimerHandle | undefined;
  const reached = (): boolean => {
    if (newSpaceSize() < cap) return false;
    setFlagsFromString('--semi-space-growth-factor=1');
    return true;
  };
  const check = (): void => {
    timer = reached() ? undefined : clock.setTimer(CHECK_MS, check);
  };
  check();
  return { cancel: () => timer?.cancel() };
}
