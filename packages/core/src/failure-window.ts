/**
 * One source's failures inside findtime: when each happened, how many attempts it counted, and its
 * log lines (for the ban record), oldest first.
 *
 * Under a flood most sources fail once and are never seen again, so a window of one failure keeps
 * it in plain fields and allocates no arrays: a tracked source costs a small object rather than four
 * arrays (1,000,000 tracked sources in about 200 MiB instead of 750). The arrays appear with the
 * second failure.
 */
export class FailureWindow {
  /** Attempts of the failures in the window. */
  total: number;
  /** The oldest failure (the only one while `rest` is null). */
  private time: number;
  private attempts: number;
  /** Its lines; one line is kept as the string itself (no array per tracked source). */
  private lines: string | readonly string[];
  /** The failures after the oldest, oldest first; null while there is one. */
  private rest: { times: number[]; attempts: number[]; lines: (readonly string[])[] } | null = null;

  constructor(time: number, attempts: number, lines: readonly string[]) {
    this.time = time;
    this.attempts = attempts;
    this.lines = compact(lines);
    this.total = attempts;
  }

  add(time: number, attempts: number, lines: readonly string[]): void {
    if (this.total === 0) {
      // Everything expired: reuse the object as a window of one.
      this.time = time; this.attempts = attempts; this.lines = compact(lines); this.total = attempts; this.rest = null;
      return;
    }
    this.rest ??= { times: [], attempts: [], lines: [] };
    this.rest.times.push(time);
    this.rest.attempts.push(attempts);
    this.rest.lines.push(lines);
    this.total += attempts;
  }

  /** Forget failures older than `horizon` (epoch ms); true if nothing is left. */
  expire(horizon: number): boolean {
    while (this.total > 0 && this.time < horizon) {
      this.total -= this.attempts;
      const r = this.rest;
      if (!r || r.times.length === 0) {
        this.total = 0;
        this.rest = null;
        this.lines = NO_LINES;
        break;
      }
      this.time = r.times.shift()!;
      this.attempts = r.attempts.shift()!;
      this.lines = r.lines.shift()!;
      if (r.times.length === 0) this.rest = null;
    }
    return this.total <= 0;
  }

  /** The most recent `max` lines of the failures in the window, oldest first. */
  recentLines(max: number): string[] {
    const all = [this.lines, ...(this.rest?.lines ?? [])].flat();
    return all.slice(-max);
  }

  /** When the newest failure happened (epoch ms). */
  newest(): number {
    const r = this.rest;
    return r && r.times.length > 0 ? r.times[r.times.length - 1]! : this.time;
  }
}

const NO_LINES: readonly string[] = Object.freeze([]);

function compact(lines: readonly string[]): string | readonly string[] {
  return lines.length === 1 ? lines[0]! : lines;
}
