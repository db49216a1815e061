/**
 * `f2b test-filter --explain`: for each line, what the date parser saw (the date text, its format and
 * the time it means, or why there is none), whether the filter's literal prefilters let the line
 * through, which rules the prefix dispatch tried (and which it skipped) and which matched (host
 * and captures, or why a match was passed over), and what the filter made of it. For text, every
 * string is escaped: log lines and captures are written by attackers.
 */
import { DateParser, escapeControls, formatIsoWithOffset, type Failure, type FilterRunner, type FindExplanation, type LogEntry } from '@f2b/core/engine';

export interface LineExplanation extends FindExplanation {
  date: { text: string; format: string; time: string } | { none: string };
  program: string | null;
  /** An --ignore-pattern matched: the line is not a match whatever the rules say. */
  ignored?: true;
  /** The failures the filter reported for this line (a stateful filter may wait for more lines). */
  failures: { id: string; attempts: number; rule: string }[];
}

export class LineExplainer {
  private readonly runner: FilterRunner;
  private readonly dates: DateParser;
  private readonly timezone: string;

  constructor(runner: FilterRunner, opts: { timezone: string; now: number }) {
    this.runner = runner;
    this.timezone = opts.timezone;
    this.dates = new DateParser({ timezone: opts.timezone, now: () => opts.now });
  }

  explain(entry: LogEntry, failures: readonly Failure[], ignored: boolean): LineExplanation {
    return {
      date: this.date(entry),
      program: entry.program ?? null,
      ...this.runner.explain(entry),
      ...(ignored ? { ignored: true as const } : {}),
      failures: failures.map((f) => ({ id: f.id, attempts: f.attempts, rule: f.rule })),
    };
  }

  private date(entry: LogEntry): LineExplanation['date'] {
    if (entry.dateFormat === 'journal' && entry.time !== undefined) {
      return { text: '__REALTIME_TIMESTAMP', format: 'journal', time: formatIsoWithOffset(entry.time, this.timezone) };
    }
    const found = this.dates.parse(entry.raw);
    if (entry.time !== undefined) {
      const text = found ? entry.raw.toString('utf8', found.start, found.end) : '';
      return { text, format: entry.dateFormat ?? found?.format ?? '', time: formatIsoWithOffset(entry.time, this.timezone) };
    }
    if (!found) return { none: 'no date format f2b knows is in the line; its failures count at the time of reading' };
    const text = entry.raw.toString('utf8', found.start, found.end);
    return {
      none: `${JSON.stringify(text)} (${found.format}) is inside the message of a syslog line, text a client may have sent, not the line's own date; its failures count at the time of reading`,
    };
  }
}

/** The explanation as indented text under the line it explains. */
export function renderExplanation(n: number, raw: string, ex: LineExplanation): string {
  const e = escapeControls;
  const out = [`line ${n}: ${e(raw)}`];
  out.push(
    'text' in ex.date ? `  date:      ${e(JSON.stringify(ex.date.text))} (${e(ex.date.format)}) → ${ex.date.time}` : `  date:      none: ${e(ex.date.none)}`,
  );
  out.push(`  prefilter: ${ex.prefilter.passed ? 'passed' : 'stopped'}: ${e(ex.prefilter.why)}`);
  if (ex.prefilter.passed) {
    out.push(`  tried:     ${ex.tried.length} rule(s)${ex.tried.length > 0 ? `: ${e(ex.tried.join(', '))}` : ''}`);
    // Said apart from `tried`, so a rule that "should have matched" but is listed here points at
    // its pattern's literal start (the dispatch), not at the rest of the pattern.
    if (ex.skipped.length > 0) out.push(`  not tried: ${ex.skipped.length} rule(s), the message does not start with their prefix: ${e(ex.skipped.join(', '))}`);
    if (ex.matched.length === 0) out.push('  matched:   none');
    for (const m of ex.matched) {
      const captures = Object.entries(m.captures ?? {})
        .map(([k, v]) => ` ${e(k)}="${e(v)}"`)
        .join('');
      out.push(
        m.rejected
          ? `  matched:   ${e(m.rule)} (on the ${m.on}), passed over: ${m.rejected}`
          : `  matched:   ${e(m.rule)} (on the ${m.on})${m.rule === ex.chosen ? ' [chosen]' : ''}${m.host !== undefined ? ` host=${e(m.host)}` : ''}${captures}`,
      );
    }
  }
  for (const o of ex.otherModes ?? []) {
    out.push(
      `  other mode: ${e(o.rule)}${o.host !== undefined ? ` host=${e(o.host)}` : ''} matches, a failure only in mode ${e(o.modes.join(' or '))} (not counted here)`,
    );
  }
  if (ex.ignored) out.push('  ignored:   an --ignore-pattern matches the message');
  out.push(
    ex.failures.length > 0
      ? `  failure:   ${ex.failures.map((f) => `${e(f.id)} ×${f.attempts} (${e(f.rule)})`).join(', ')}`
      : `  failure:   none${ex.chosen && !ex.ignored ? ' (the rule is informational, or the filter waits for more lines of the session)' : ''}`,
  );
  return out.join('\n') + '\n';
}
