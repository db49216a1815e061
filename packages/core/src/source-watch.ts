/**
 * Whether a jail's sources have anything to watch (a file matching their paths, a journal), checked
 * without reading them, and said when that changes: an error for a jail that watches nothing and may
 * not wait for its log, a warning otherwise, and a note when a log appears later.
 */
import { errors } from './errors.js';
import type { Logger } from './logger.js';
import type { SourceDefinition, SourceWatch } from './plugin.js';

export interface SourceCheck {
  def: SourceDefinition;
  options: Record<string, unknown>;
  /** Config path of the source (`jails.<name>.sources.<i>`). */
  path: string;
}

export class SourceWatchState {
  private readonly checks: SourceCheck[] = [];
  /** What each source watched at its last check; empty before the first. */
  private watch: SourceWatch[] = [];
  private reported = '';

  constructor(
    private readonly jail: string,
    private readonly findtime: number,
    private readonly waitForLog: boolean,
    private readonly logger: Logger,
  ) {}

  add(check: SourceCheck): void {
    this.checks.push(check);
  }

  /** Check every source now; logs what changed since the last check. */
  async check(): Promise<SourceWatch[]> {
    const watch: SourceWatch[] = [];
    for (const c of this.checks) {
      if (!c.def.check) {
        watch.push({ watching: true });
        continue;
      }
      try {
        watch.push(await c.def.check(c.options, { jail: this.jail, path: c.path, findtime: this.findtime }));
      } catch (err) {
        watch.push({ watching: true, reason: `could not check ${c.path}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    const wasWatching = this.watching;
    this.watch = watch;
    const report = JSON.stringify(watch);
    if (report === this.reported) return watch;
    this.reported = report;
    const reasons = this.problems();
    if (!this.watching) {
      if (this.waitForLog) this.logger.warn(`Jail "${this.jail}" waits for its log (waitForLog): ${reasons.join('; ')}.`);
      else this.logger.error(errors.F2B_ERR_JAIL_WATCHES_NOTHING(this.jail, reasons, `jails.${this.jail}`).describe());
    } else {
      if (!wasWatching) this.logger.info(`Jail "${this.jail}" now watches its log.`);
      if (reasons.length > 0) this.logger.warn(`Jail "${this.jail}": ${reasons.join('; ')}.`);
    }
    return watch;
  }

  /** Some source has something to watch (true before the first check, and for jails without sources). */
  get watching(): boolean {
    return this.watch.length === 0 || this.watch.some((w) => w.watching);
  }

  /** Why sources watch nothing, and warnings of those that do. */
  problems(): string[] {
    return this.watch.flatMap((w) => (w.reason ? [w.reason] : []));
  }
}
