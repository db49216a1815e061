/**
 * What one `nft monitor` prints, read into transactions: the event lines of a transaction, then the
 * kernel's `# new generation N by process PID` line that ends it and names who made it. A
 * transaction that deleted or flushed something in a watched table is reported to that table's
 * watchers, unless it was one of this process's own nft runs.
 */
/* eslint-disable no-restricted-globals -- Node's clock on purpose, as in monitor.ts: the timer only
 * closes a transaction whose end line does not come, and is no time f2b reasons about.
 */
import type { MonitorWatcher } from './monitor.js';

/**
 * Event lines of a transaction whose generation line does not come are reported after this, as long
 * as this monitor has never printed one (an older nft that does not write them).
 */
export const ORPHAN_MS = 100;
/**
 * Once the monitor has printed a generation line, every transaction ends with one: its event lines
 * are held until it comes. Under load the end line can come in a later read, long after the events;
 * with a fixed 100 ms wait, f2b's own transaction would then count as someone else's and be
 * "repaired". This only bounds the wait should a line be lost.
 */
export const LATE_END_MS = 10_000;

const EVENT_RE = /^(add|delete|destroy|flush|replace|update|reset) ([a-z-]+) (ip6?|inet|arp|bridge|netdev) (\S+)/;
const GENERATION_RE = /^# new generation \d+(?: by process (\d+))?/;
const DAMAGE_RE = /^(delete|destroy|flush|replace|reset) /;
/** A line this long is not one we parse: dropped rather than held. */
const MAX_LINE = 1 << 20;

export class MonitorEvents {
  private block: { watcher: MonitorWatcher; line: string }[] = [];
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  /** This monitor writes generation lines: wait for them instead of guessing a transaction's end. */
  private endsTransactions = false;

  constructor(
    private readonly watchers: ReadonlySet<MonitorWatcher>,
    private readonly isOwn: (pid: number) => boolean,
  ) {}

  /** A chunk of the monitor's stdout (any split: lines are joined across chunks). */
  data(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE) this.partial = '';
    for (const line of lines) this.line(line);
  }

  /** Forgets everything held (the monitor died or stopped; its successor starts afresh). */
  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.block = [];
    this.partial = '';
    this.endsTransactions = false;
  }

  private line(line: string): void {
    if (line.charCodeAt(0) === 35 /* # */) {
      const gen = GENERATION_RE.exec(line);
      if (gen) {
        this.endsTransactions = true;
        const pid = gen[1] === undefined ? undefined : Number(gen[1]);
        this.endBlock(pid !== undefined && this.isOwn(pid));
      }
      return;
    }
    // Most lines are `add element …` (one per element of every transaction): skipped by the first test.
    if (!DAMAGE_RE.test(line)) return;
    const m = EVENT_RE.exec(line);
    if (!m) return;
    for (const w of this.watchers) {
      if (w.family === m[3] && w.table === m[4]) this.block.push({ watcher: w, line });
    }
    if (this.block.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.endBlock(false);
        },
        this.endsTransactions ? LATE_END_MS : ORPHAN_MS,
      );
      this.timer.unref?.();
    }
  }

  private endBlock(own: boolean): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const block = this.block;
    this.block = [];
    if (own || block.length === 0) return;
    const byWatcher = new Map<MonitorWatcher, string[]>();
    for (const { watcher, line } of block) {
      const list = byWatcher.get(watcher);
      if (list) {
        if (list.length < 20) list.push(line);
      } else byWatcher.set(watcher, [line]);
    }
    for (const [w, lines] of byWatcher) w.onDamage(lines);
  }
}
