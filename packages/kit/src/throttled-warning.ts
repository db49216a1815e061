/**
 * A warning about something that can happen thousands of times a second (a flood of overlong lines,
 * sources forgotten at maxTracked): every occurrence is counted, and the warning goes out at most
 * once per interval, saying how many happened since the last one. An attacker who triggers it must
 * not flood our own log too.
 */
import type { Clock } from './clock.js';

export class ThrottledWarning {
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly say: (sinceLast: number) => void;
  private lastAt = -Infinity;
  private sinceLast = 0;

  constructor(clock: Clock, intervalMs: number, say: (sinceLast: number) => void) {
    this.clock = clock;
    this.intervalMs = intervalMs;
    this.say = say;
  }

  /** One more occurrence; warns if the last warning is at least an interval old. */
  count(): void {
    this.sinceLast++;
    const now = this.clock.now();
    if (now - this.lastAt < this.intervalMs) return;
    this.say(this.sinceLast);
    this.lastAt = now;
    this.sinceLast = 0;
  }
}
