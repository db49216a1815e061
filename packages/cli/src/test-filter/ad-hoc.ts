/**
 * `f2b test-filter --pattern RE [--ignore-pattern RE]`: a filter made on the spot from patterns on the
 * command line, the way `fail2ban-regex LOG 'failure from <HOST>'` is used to try a regex. Patterns
 * match the parsed message like a filter's rules (date and `host prog[pid]:` already cut off), with
 * the same placeholders, and run on RE2.
 */
import { errors, FilterRunner, validatePattern, type FilterDefinition, type LogEntry } from '@f2b/core/engine';

/** The id shown for an ad-hoc filter (in the summary; `rule` is `pattern-N`). */
export const AD_HOC_ID = '--pattern';

const HOST_GROUP = /<(?:HOST|ADDR|IP4|IP6)>|\(\?P?<host>/;

/** A filter of one rule per pattern (`pattern-1`, …); every match with a host is one failure. */
export function adHocFilter(patterns: readonly string[]): FilterDefinition {
  patterns.forEach((p, i) => {
    const where = `--pattern ${i + 1} (${JSON.stringify(p)})`;
    validatePattern(p, where);
    if (!HOST_GROUP.test(p)) {
      throw errors.F2B_ERR_USAGE(
        `${where} has no <HOST>, so a match could never name whom to count.`,
        "Put <HOST> (an address or host name), <ADDR> (an address only), <IP4> or <IP6> where the client's address is, e.g. --pattern 'failure from <HOST>'.",
      );
    }
  });
  return { id: AD_HOC_ID, description: 'patterns from the command line', rules: patterns.map((pattern, i) => ({ id: `pattern-${i + 1}`, pattern })) };
}

/** `--ignore-pattern`s: a line whose message matches one is never a match (fail2ban's ignoreregex). */
export class IgnorePatterns {
  /** The patterns as a filter of their own: one RE2.Set test per line, memoised like any filter. */
  private readonly runner: FilterRunner | null;

  constructor(patterns: readonly string[]) {
    patterns.forEach((p, i) => validatePattern(p, `--ignore-pattern ${i + 1} (${JSON.stringify(p)})`));
    this.runner =
      patterns.length === 0
        ? null
        : new FilterRunner({ id: '--ignore-pattern', rules: patterns.map((pattern, i) => ({ id: `ignore-${i + 1}`, pattern, kind: 'info' as const })) });
  }

  get active(): boolean {
    return this.runner !== null;
  }

  ignores(entry: LogEntry): boolean {
    return this.runner !== null && this.runner.find(entry) !== null;
  }
}
