/**
 * When a jail's checkpoint carries its filter's state (sshd's table of connections half-way through
 * an attempt) besides the read positions: with every checkpoint while the state is small; at most
 * once per FILTER_STATE_INTERVAL_MS while it is large (a flood of open connections); always at stop.
 *
 * Why: a checkpoint is written per tick in which lines were read. Saved with the positions of the
 * same instant, the state lets the filter continue exactly where the sources resume after a crash
 * (an attempt split across a `kill -9` is counted once: test/resume.e2e.test.ts). But in a flood the
 * sshd state is up to 10,000 connections, a few MB of JSON into the store with every checkpoint:
 * that was more than half of the daemon's work per line in a burst. So while the last state saved
 * was large, it is saved once a second (and at the end of a second in which lines came, so that a
 * quiet log's state is never left behind); a crash then costs at most that second's connection
 * context (later lines of a connection not attributed to its earlier ones). A clean stop or a
 * reload always saves the state of the last line read.
 *
 * Nor does a large state go with a checkpoint that bans or unbans wait for (the first of a burst,
 * when the state has just grown large: writing 4,500 connections was a third of it): it is then
 * owed, and saved an interval later by the next checkpoint whatever that carries — after the
 * burst; in a flood that bans in every batch, every other second at worst.
 */
import type { Clock, TimerHandle } from './clock.js';

export const FILTER_STATE_INTERVAL_MS = 1_000;
/** A state with a list longer than this (sshd: connections) is "large". Normal traffic stays far below. */
export const LARGE_FILTER_STATE_ENTRIES = 1_000;

export class FilterStateSaving {
  private lastSaved = -Infinity;
  private large = false;
  /**
   * An interval has passed since a large state was left out of a checkpoint that decisions waited
   * for: the next checkpoint takes it, decisions or not.
   */
  private owed = false;
  private trailing: TimerHandle | undefined;

  /** `checkpoint`: asks for a checkpoint (the jail's outbox) when a skipped state becomes due. */
  constructor(
    private readonly clock: Clock,
    private readonly checkpoint: () => void,
  ) {}

  /**
   * Whether the checkpoint being written now takes the filter's state. `force`: the jail stops.
   * `decisions`: bans or unbans wait for this checkpoint. `size`: the state's list length now
   * (`Reducer.stateSize`), when the filter can tell; otherwise the last export's decides.
   */
  due(force: boolean, decisions = false, size?: number): boolean {
    const now = this.clock.now();
    const wait = this.lastSaved + FILTER_STATE_INTERVAL_MS - now;
    const large = size === undefined ? this.large : size > LARGE_FILTER_STATE_ENTRIES;
    if (force || !large || this.owed || (wait <= 0 && !decisions)) {
      this.lastSaved = now;
      this.owed = false;
      this.cancel();
      return true;
    }
    if (wait <= 0) {
      // Due, but decisions wait for this checkpoint: the state is saved an interval on, by the
      // next checkpoint whatever it carries — not in the middle of the burst, when the actions
      // are busy with its bans (on two cores, writing it then slowed them down).
      this.lastSaved = now;
      this.cancel();
      this.trailing = this.clock.setTimer(FILTER_STATE_INTERVAL_MS, () => {
        this.trailing = undefined;
        this.owed = true;
        this.checkpoint();
      });
      return false;
    }
    this.trailing ??= this.clock.setTimer(wait, () => {
      this.trailing = undefined;
      this.checkpoint();
    });
    return false;
  }

  /** The state just exported (to be saved): its size decides whether the next ones wait. */
  exported(state: unknown): void {
    this.large = largestList(state) > LARGE_FILTER_STATE_ENTRIES;
  }

  cancel(): void {
    this.trailing?.cancel();
    this.trailing = undefined;
  }
}

/** The longest array among the state's values, two levels down (the engine wraps a reducer's state). */
function largestList(state: unknown, depth = 0): number {
  if (Array.isArray(state)) return state.length;
  if (typeof state !== 'object' || state === null || depth >= 2) return 0;
  let max = 0;
  for (const v of Object.values(state)) max = Math.max(max, largestList(v, depth + 1));
  return max;
}
