/**
 * `f2b test-filter <id> [file|-]`, `f2b test-filter --pattern RE [file|-]`: our `fail2ban-regex`. Runs
 * a filter (or patterns from the command line) over a log and reports what it matched. `--json` is a
 * contract other tools rely on: exactly one JSON object per input line, in order. `--annotated`
 * checks a sample log's `# failJSON` annotations.
 */
import { closeSync, createReadStream, openSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { Progress } from '../progress.js';
import {
  Core,
  EntryParser,
  FilterRunner,
  errors,
  escapeControls,
  formatIsoWithOffset,
  hostZoneName,
  isF2bError,
  jsonText,
  parseJournalJsonLine,
  resolveMode,
  DateParser,
  type Failure,
  type Hit,
  type LogEntry,
} from '@f2b/core/engine';
import { runParallel } from '../test-filter/parallel.js';
import { forEachLineOfFile, forEachLineOfStream, type LineSink } from '../test-filter/line-reader.js';
import { adHocFilter, IgnorePatterns } from '../test-filter/ad-hoc.js';
import { OVERLONG_HIT } from '../test-filter/ranges.js';
import { HeapBudget } from '../test-filter/heap-budget.js';
import { LineExplainer, renderExplanation, type LineExplanation } from '../test-filter/explain-line.js';
import type { checkAnnotatedLog } from '@f2b/core/testing';
import { loadFilter, pluginSearchStarts, type FilterSource } from '../plugins.js';
import { configFilter } from '../test-filter/config-filter.js';
import { EXIT_FAILED, EXIT_OK } from '../exit-codes.js';

export interface TestFilterOptions {
  json?: boolean;
  mode?: string;
  option?: string[];
  now?: string;
  timezone?: string;
  format?: string;
  annotated?: boolean;
  show?: string;
  jobs?: string;
  pattern?: string[];
  ignorePattern?: string[];
  maxLineLength?: string;
  /** Per line: the date the parser saw, the rules tried and matched, the captures. */
  explain?: boolean;
  maxretry?: string;
  /** A config file whose `filters:` may define the filter id. */
  config?: string;
}

/** The file source's default: longer lines are never matched (their end could be forged). */
const DEFAULT_MAX_LINE_LENGTH = 65_536;

/**
 * The filter to run: an installed filter by id, or the `--pattern`s. With patterns the first
 * positional argument is the log file (like `fail2ban-regex LOG REGEX`), and a second is an error.
 */
async function chooseFilter(core: Core, first: string | undefined, second: string | undefined, opts: TestFilterOptions) {
  const patterns = opts.pattern ?? [];
  if (patterns.length === 0) {
    if (first === undefined)
      throw errors.F2B_ERR_USAGE(
        'test-filter needs a filter id or --pattern.',
        "Write e.g. f2b test-filter sshd /var/log/auth.log, or f2b test-filter --pattern 'failure from <HOST>' /var/log/auth.log.",
      );
    const [id, file] = argumentOrder(first, second);
    const configured = opts.config === undefined ? undefined : await configFilter(opts.config, id);
    if (configured) return { def: configured.def, source: configured.source as FilterSource | null, file, definition: configured.def };
    const { def, source } = await loadFilter(core, id, opts.config === undefined ? undefined : pluginSearchStarts(resolvePath(opts.config)));
    return { def, source: source as typeof source | null, file };
  }
  if (second !== undefined) {
    throw errors.F2B_ERR_USAGE(
      `With --pattern, give only the log file, not "${first}" and "${second}".`,
      "Write f2b test-filter --pattern 'failure from <HOST>' FILE (a filter id and --pattern do not go together).",
    );
  }
  if (opts.annotated)
    throw errors.F2B_ERR_USAGE('--annotated checks a filter by id, not --pattern.', 'Give the filter id: f2b test-filter <filter-id> FILE --annotated.');
  if (opts.mode !== undefined || (opts.option ?? []).length > 0)
    throw errors.F2B_ERR_USAGE('--mode and --option configure a filter by id, not --pattern.', 'Leave them out, or give a filter id instead of --pattern.');
  return { def: adHocFilter(patterns), source: null, file: first };
}

/**
 * fail2ban-regex takes `LOG REGEX`; f2b takes `FILTER LOG`. When the first argument is a file that
 * exists and the second is not, they were given in fail2ban-regex's order: said, and read so. A lone
 * file where the filter id belongs is a usage error that says which argument comes first.
 */
function argumentOrder(first: string, second: string | undefined): [string, string | undefined] {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (second !== undefined && second !== '-' && isFile(first) && !isFile(second) && !first.includes('=')) {
    process.stderr.write(
      `f2b: note: reading ${escapeControls(JSON.stringify(first))} as the log and ${escapeControls(JSON.stringify(second))} as the filter id (fail2ban-regex's order); f2b's order is: f2b test-filter ${escapeControls(second)} ${escapeControls(first)}\n`,
    );
    return [second, first];
  }
  if (second === undefined && (isFile(first) || first.includes('/'))) {
    throw errors.F2B_ERR_USAGE(
      `"${first}" is where the filter id goes: test-filter takes the filter first, then the log.`,
      `Write f2b test-filter FILTER ${first} (e.g. f2b test-filter sshd ${first}); \`f2b filters\` lists the ids.`,
    );
  }
  return [first, second];
}

/** A log named on the command line that cannot be read: F2B_ERR_FILE with the path, not a stack. */
function checkReadable(file: string | undefined): void {
  if (!file || file === '-') return;
  try {
    if (statSync(file).isDirectory()) throw errors.F2B_ERR_FILE(file, 'EISDIR');
    closeSync(openSync(file, 'r'));
  } catch (err) {
    if (isF2bError(err)) throw err;
    throw errors.F2B_ERR_FILE(file, (err as NodeJS.ErrnoException).code, err);
  }
}

export async function testFilter(first: string | undefined, second: string | undefined, opts: TestFilterOptions): Promise<number> {
  const core = new Core({ logLevel: 'warn' });
  const { def, source, file, definition } = await chooseFilter(core, first, second, opts);
  checkReadable(file);
  resolveMode(def, opts.mode, '--mode'); // an unknown mode is the --mode option's error
  const maxretry = parseMaxretry(opts.maxretry);
  const ignore = new IgnorePatterns(opts.ignorePattern ?? []);
  const options = parseOptions(opts.option ?? []);
  const timezone = opts.timezone ?? hostZoneName();
  new DateParser({ timezone }); // validates the zone (F2B_ERR_TIMEZONE_INVALID)
  const now = parseNow(opts.now);
  const format = opts.format ?? 'text';
  if (format !== 'text' && format !== 'journal')
    throw errors.F2B_ERR_USAGE(
      `--format must be "text" or "journal", not "${format}".`,
      'Use --format text (log files) or --format journal (journalctl -o json).',
    );
  if (opts.annotated) return annotated(def, file, { now: now ?? Date.now(), timezone, mode: opts.mode, options, json: opts.json });

  const maxLen = parseMaxLineLength(opts.maxLineLength);
  // Nothing here prints a failure's lines (--show prints the entry's): none decoded for them.
  const runner = new FilterRunner(def, { mode: opts.mode, options, path: '--option', failureLines: false });
  const clockNow = now ?? Date.now();
  const parser = new EntryParser({ timezone, now: () => clockNow });
  const stats = { lines: 0, matched: 0, partOf: 0, attempts: 0, unparsed: 0, undated: 0, ignored: 0, overlong: 0, dates: new Map<string, number>() };
  const dates = new RunCounter(stats.dates);
  const addresses = new Map<string, { attempts: number; first: number; last: number }>();
  const shown: string[] = [];
  const out = new JsonWriter(opts.json === true);
  const explainer = opts.explain ? new LineExplainer(runner, { timezone, now: clockNow }) : null;
  const explained = (text: string) => {
    process.stdout.write(text);
  };
  const started = process.hrtime.bigint();

  /** A line longer than maxLen, in order: never parsed nor matched, as in the daemon. */
  const overlong = () => {
    const n = ++stats.lines;
    stats.overlong++;
    out.overlong(n);
  };
  /**
   * One line, in order: `hit` undefined = find it here; null = a worker found nothing (`undated`
   * then says whether the worker found no date in it).
   */
  const handle = (entry: LogEntry | null, hit?: Hit | null, workerUndated = false) => {
    const n = ++stats.lines;
    if (!entry) {
      if (hit === undefined) stats.unparsed++;
      if (workerUndated) stats.undated++;
      if (explainer && !opts.json) explained(`line ${n}: not a journal record (ignored)\n`);
      out.line(n, null, timezone, workerUndated);
      return;
    }
    if (hit === undefined) dates.count(entry.dateFormat ?? '(none)');
    // A line without a date we could read still counts, at the time of reading (never dropped).
    const undated = isUndated(entry);
    if (undated) stats.undated++;
    let found = hit === undefined ? runner.find(entry) : hit;
    const ignored = found !== null && ignore.ignores(entry);
    if (ignored) {
      found = null;
      stats.ignored++;
    }
    const failures = found ? runner.reduce(entry, found, clockNow) : NO_FAILURES;
    const f = failures.length > 0 ? failures.reduce((a, b) => (b.attempts > a.attempts ? b : a)) : null;
    if (f) {
      stats.matched++;
      for (const x of failures) {
        stats.attempts += x.attempts;
        const a = addresses.get(x.id);
        if (a) {
          a.attempts += x.attempts;
          a.first = Math.min(a.first, x.time);
          a.last = Math.max(a.last, x.time);
        } else addresses.set(x.id, { attempts: x.attempts, first: x.time, last: x.time });
      }
    } else if (found) {
      // Recognised by a rule (so in its hits) without a failure of its own: a success, or part of an
      // attempt counted on another line (sshd's "Invalid user" before "Failed password"). Not missed.
      stats.partOf++;
    }
    if (opts.show === 'matched' && f) shown.push(entry.raw.toString('utf8'));
    if (opts.show === 'missed' && !found) shown.push(entry.raw.toString('utf8'));
    const ex = explainer?.explain(entry, failures, ignored);
    if (ex && !opts.json) explained(renderExplanation(n, entry.raw.toString('utf8'), ex));
    out.line(n, f, timezone, undated, ex);
    if (out.pending > 4096) out.flush();
  };

  const jobs = chooseJobs(opts, file, format);
  if (jobs > 1) {
    await runParallel(
      {
        file: file!,
        jobs,
        source,
        definition,
        filter: def.id,
        patterns: source ? undefined : opts.pattern,
        mode: opts.mode,
        options,
        timezone,
        now: clockNow,
        maxLineLength: maxLen,
      },
      {
        local: (buf, s, e) => (e - s > maxLen ? overlong() : handle(parser.parseShared(buf, s, e, file))),
        remote: (buf, s, e, hit) => (hit.index === OVERLONG_HIT ? overlong() : handle(parser.parseShared(buf, s, e, file), hit)),
        skip: (undated) => handle(null, null, undated),
        dates: (counts) => {
          for (const [k, v] of Object.entries(counts)) stats.dates.set(k, (stats.dates.get(k) ?? 0) + v);
        },
        afterBatch: () => out.flush(),
      },
    );
  } else {
    const stdin = !file || file === '-';
    const progress = Progress.forTerminal({ total: stdin ? 0 : sizeOf(file) });
    const heap = new HeapBudget();
    let linesBefore = 0;
    const sink: LineSink = {
      line:
        format === 'journal'
          ? (buf, s, e) => (e - s > maxLen ? overlong() : handle(parseJournalJsonLine(buf.subarray(s, e), file)))
          : (buf, s, e) => (e - s > maxLen ? overlong() : handle(parser.parseShared(buf, s, e, file))),
      overlong,
      afterChunk: (bytes) => {
        out.flush();
        heap.check();
        progress?.advance(bytes, stats.lines - linesBefore);
        linesBefore = stats.lines;
        // A turn of the event loop: output written so far can go out while the next chunk is read.
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
    };
    // Journal records are parsed into entries that keep views of their line: chunks of their own.
    if (stdin || format === 'journal' || !isRegularFile(file))
      await forEachLineOfStream(stdin ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 }), maxLen, sink);
    else await forEachLineOfFile(file, maxLen, sink);
    progress?.done();
  }
  await out.end();
  dates.flush();
  if (opts.json) return EXIT_OK;

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Rule ids and date formats come from plugins: escaped like the log lines (escape.ts).
  const w = (s: string) => process.stdout.write(escapeControls(s) + '\n');
  if (shown.length > 0) {
    w(`${opts.show === 'matched' ? 'Matched' : 'Missed'} lines:`);
    for (const l of shown) w(`  ${l}`);
    w('');
  }
  w(source ? `Filter: ${def.id} (mode: ${runner.mode})` : `Filter: ${def.rules.length} pattern(s) from --pattern`);
  w(
    `Lines: ${stats.lines} read, ${stats.matched} matched, ${stats.partOf ? `${stats.partOf} recognised but no failure of their own, ` : ''}${stats.lines - stats.matched - stats.partOf - stats.unparsed - stats.overlong} missed${stats.unparsed ? `, ${stats.unparsed} ignored (not a journal record)` : ''}${stats.overlong ? `, ${stats.overlong} overlong` : ''}`,
  );
  if (stats.overlong > 0) w(`Overlong lines: ${stats.overlong} (longer than ${maxLen} bytes: never matched, as in the daemon)`);
  if (ignore.active) w(`Ignored by --ignore-pattern: ${stats.ignored} line(s) that matched`);
  w(`Without a date: ${stats.undated} line(s)${stats.undated ? ' (no date found or readable: counted at the time of reading)' : ''}`);
  w(`Failures: ${stats.attempts} attempt(s) counted`);
  w('Hits per rule:');
  const rules = [...runner.ruleHits.entries()].sort((a, b) => b[1] - a[1]);
  if (rules.length === 0) w('  (none)');
  const patternOf = (rule: string) => (source && !definition ? '' : `  ${def.rules.find((r) => r.id === rule)?.pattern ?? ''}`);
  for (const [rule, count] of rules) w(`  ${rule.padEnd(40)} ${count}${patternOf(rule)}`);
  writeAddresses(w, addresses, maxretry, timezone);
  w('Date formats:');
  for (const [name, count] of [...stats.dates.entries()].sort((a, b) => b[1] - a[1])) w(`  ${name.padEnd(40)} ${count}`);
  w(`Speed: ${Math.round(stats.lines / Math.max(seconds, 1e-9)).toLocaleString('en-US')} lines/s (${seconds.toFixed(3)} s)`);
  return EXIT_OK;
}

/** What a line without a match reduces to (shared: it is only read). */
const NO_FAILURES: readonly Failure[] = [];

/**
 * Counts into a Map, a run of equal keys at a time: a log's lines nearly all have one date format,
 * and a Map update per line cost more than the rest of counting it.
 */
class RunCounter {
  private key: string | undefined = undefined;
  private run = 0;
  constructor(private readonly into: Map<string, number>) {}
  count(key: string): void {
    if (key !== this.key) {
      this.flush();
      this.key = key;
    }
    this.run++;
  }
  flush(): void {
    if (this.key !== undefined && this.run > 0) this.into.set(this.key, (this.into.get(this.key) ?? 0) + this.run);
    this.run = 0;
  }
}

/** Most addresses listed by name; the rest are summed up. */
const MAX_ADDRESSES_SHOWN = 20;

/** Per address: attempts, first and last seen (local time with offset), and whether maxretry bans it. */
function writeAddresses(
  w: (s: string) => void,
  addresses: Map<string, { attempts: number; first: number; last: number }>,
  maxretry: number,
  timezone: string,
): void {
  const rows = [...addresses.entries()].sort((a, b) => b[1].attempts - a[1].attempts || a[0].localeCompare(b[0]));
  const banned = rows.filter(([, a]) => a.attempts >= maxretry).length;
  w(`Addresses: ${rows.length}, ${banned} with at least maxretry ${maxretry} attempts (banned, if all fell within findtime)`);
  const width = Math.max(7, ...rows.slice(0, MAX_ADDRESSES_SHOWN).map(([id]) => id.length));
  for (const [id, a] of rows.slice(0, MAX_ADDRESSES_SHOWN)) {
    w(
      `  ${id.padEnd(width)}  ${String(a.attempts).padStart(6)} attempt(s)  first ${formatIsoWithOffset(a.first, timezone)}  last ${formatIsoWithOffset(a.last, timezone)}${a.attempts >= maxretry ? '  banned' : ''}`,
    );
  }
  if (rows.length > MAX_ADDRESSES_SHOWN) w(`  … and ${rows.length - MAX_ADDRESSES_SHOWN} more (--json lists every line)`);
}

function parseMaxretry(text: string | undefined): number {
  if (text === undefined) return 5;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw errors.F2B_ERR_USAGE(`--maxretry "${text}" is not a whole number of at least 1.`, "Write e.g. --maxretry 5 (the jail's maxretry).");
  return n;
}

function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A regular file's size (0 when unknown: a pipe, a device). */
function sizeOf(file: string): number {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/** A line with text but no date we could read (its failures are timed at the time of reading). */
function isUndated(entry: LogEntry): boolean {
  return entry.time === undefined && entry.raw.length > 0;
}

/**
 * Threads for large regular files: matching is stateless and splits by byte ranges; reducing stays
 * in order on this thread. Small inputs, pipes, journal input and --show run on one thread.
 */
function chooseJobs(opts: TestFilterOptions, file: string | undefined, format: string): number {
  // One thread unless asked: threads only pay where cores really run in parallel. On the 2-vCPU
  // machines this was measured on, two CPU-bound threads each ran 1.8× slower than one alone.
  if (opts.jobs === undefined || opts.explain) return 1; // explaining runs every step here
  const wanted = Number(opts.jobs);
  if (!Number.isInteger(wanted) || wanted < 1)
    throw errors.F2B_ERR_USAGE(`--jobs "${opts.jobs}" is not a positive whole number.`, 'Write e.g. --jobs 2, or leave it out.');
  if (!file || file === '-' || format !== 'text' || opts.show) return 1; // needs a regular file by byte ranges
  try {
    return statSync(file).isFile() ? wanted : 1;
  } catch {
    return 1;
  }
}

/** Buffers `--json` output and writes it in large pieces, respecting back-pressure. */
class JsonWriter {
  private parts: string[] = [];
  private drain: Promise<void> = Promise.resolve();
  /** Whether a 'drain' listener is already waiting (one is enough; more pile up as a leak warning). */
  private waiting = false;
  constructor(private readonly enabled: boolean) {}
  get pending(): number {
    return this.parts.length;
  }
  line(n: number, f: Failure | null, timezone: string, undated: boolean, explanation?: LineExplanation): void {
    if (!this.enabled) return;
    const tail = (undated ? ',"undated":true' : '') + (explanation ? `,"explain":${jsonText(explanation)}` : '') + '}';
    this.parts.push(
      f
        ? jsonText({
            line: n,
            match: true,
            id: f.id,
            time: formatIsoWithOffset(f.time, timezone),
            rule: f.rule,
            captures: f.captures,
            attempts: f.attempts,
          }).slice(0, -1) + tail
        : `{"line":${n},"match":false${tail}`,
    );
  }
  overlong(n: number): void {
    if (this.enabled) this.parts.push(`{"line":${n},"match":false,"overlong":true}`);
  }
  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    if (!process.stdout.write(text) && !this.waiting) {
      this.waiting = true;
      this.drain = new Promise((r) =>
        process.stdout.once('drain', () => {
          this.waiting = false;
          r();
        }),
      );
    }
  }
  async end(): Promise<void> {
    this.flush();
    await this.drain;
  }
}

async function annotated(
  def: Parameters<typeof checkAnnotatedLog>[0],
  file: string | undefined,
  o: { now: number; timezone: string; mode?: string; options: Record<string, unknown>; json?: boolean },
): Promise<number> {
  if (!file || file === '-') throw errors.F2B_ERR_USAGE('--annotated needs a file, not standard input.', 'Give the path of an annotated sample log.');
  // The testing helpers are loaded only for --annotated.
  const { checkAnnotatedLog: check } = await import('@f2b/core/testing');
  const report = check(def, file, o);
  const wrong = report.results.filter((r) => !r.ok);
  const pct = report.total === 0 ? 0 : (100 * report.right) / report.total;
  if (o.json) {
    process.stdout.write(
      jsonText({
        filter: def.id,
        total: report.total,
        right: report.right,
        percent: Number(pct.toFixed(2)),
        mismatches: wrong.map((r) => ({ file: r.file, line: r.lineNo, options: r.run, problems: r.problems, text: r.text })),
      }) + '\n',
    );
  } else {
    for (const r of wrong) {
      const mode = typeof r.run.mode === 'string' ? ` [mode ${r.run.mode}]` : '';
      process.stdout.write(`MISMATCH ${escapeControls(`${r.file}:${r.lineNo}${mode}: ${r.problems.join('; ')}`)}\n  ${escapeControls(r.text)}\n`);
    }
    process.stdout.write(`${escapeControls(def.id)}: ${report.right}/${report.total} annotated lines right (${pct.toFixed(1)} %)\n`);
  }
  return wrong.length === 0 && report.total > 0 ? EXIT_OK : EXIT_FAILED;
}

function parseOptions(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw errors.F2B_ERR_USAGE(`--option "${p}" is not key=value.`, 'Write --option key=value, e.g. --option maxauthtries=3.');
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    try {
      out[key] = JSON.parse(value);
    } catch {
      out[key] = value;
    }
  }
  return out;
}

function parseMaxLineLength(text: string | undefined): number {
  if (text === undefined) return DEFAULT_MAX_LINE_LENGTH;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 256)
    throw errors.F2B_ERR_USAGE(
      `--max-line-length "${text}" is not a whole number of at least 256.`,
      "Write e.g. --max-line-length 65536 (the file source's maxLineLength).",
    );
  return n;
}

function parseNow(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw errors.F2B_ERR_USAGE(`--now "${text}" is not an ISO 8601 date.`, 'Write e.g. --now 2005-08-14T12:00:00+02:00.');
  return t;
}
