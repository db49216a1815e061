/**
 * A worker thread for `f2b test-filter` on large files: parses and matches one byte range of the
 * file (the stateless part) and sends back, in batches, only the lines that matched — with the rule
 * that matched, the host and the captures. The main thread reduces them in log order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Core, EntryParser, FilterRunner, loadPlugin, type FilterDefinition, type Hit } from '@f2b/core/engine';
import { forEachLineInRange, OVERLONG_HIT } from './ranges.js';
import { adHocFilter } from './ad-hoc.js';

export interface WorkerJob {
  file: string;
  /** Byte range of whole lines: [start, end). */
  start: number;
  end: number;
  /** The filter's package (absent: the filter is made of `patterns`). */
  plugin?: { name: string; dirs: string[] };
  filter: string;
  /** The definition itself, for a filter of the config (`filters:`): plain data, no package to load. */
  definition?: FilterDefinition;
  /** `--pattern`s, for a filter from the command line. */
  patterns?: string[];
  mode?: string;
  options: Record<string, unknown>;
  timezone: string;
  now: number;
  /** Longer lines are sent back as OVERLONG_HIT, never matched. */
  maxLineLength: number;
}

/**
 * A batch of matched lines, packed for a cheap transfer (structured clone of many small objects
 * costs more than the matching saves): per hit, its line number within the range (0-based), its
 * byte offsets in the file and the rule index, plus one JSON array of `[host, captures]`.
 */
export interface HitBatch {
  lines: Float64Array;
  starts: Float64Array;
  ends: Float64Array;
  rules: Int32Array;
  data: string;
}

/** `undated`: line numbers (within the range) of lines without a readable date and without a hit, since the last message. */
export type WorkerMessage =
  | { type: 'hits'; batch: HitBatch; undated: number[] }
  | { type: 'done'; lines: number; dates: Record<string, number>; undated: number[] }
  | { type: 'error'; message: string; undated: number[] };

const BATCH = 4096;

async function run(job: WorkerJob): Promise<void> {
  let def;
  if (job.definition) {
    def = job.definition;
  } else if (job.plugin) {
    const core = new Core({ logLevel: 'error' });
    core.use(await loadPlugin(job.plugin.name, job.plugin.dirs));
    def = core.getFilter(job.filter)!.def;
  } else {
    def = adHocFilter(job.patterns ?? []);
  }
  const runner = new FilterRunner(def, { mode: job.mode, options: job.options });
  const parser = new EntryParser({ timezone: job.timezone, now: () => job.now });
  const dates: Record<string, number> = {};
  let hits: [number, number, number, Hit][] = [];
  let undated: number[] = [];
  let line = 0;
  const send = () => {
    const n = hits.length;
    const batch: HitBatch = { lines: new Float64Array(n), starts: new Float64Array(n), ends: new Float64Array(n), rules: new Int32Array(n), data: '' };
    const data: unknown[] = [];
    hits.forEach(([l, s, e, h], i) => {
      batch.lines[i] = l;
      batch.starts[i] = s;
      batch.ends[i] = e;
      batch.rules[i] = h.index;
      data.push([h.host ?? null, h.captures]);
    });
    batch.data = JSON.stringify(data);
    parentPort!.postMessage({ type: 'hits', batch, undated } satisfies WorkerMessage, [
      batch.lines.buffer as ArrayBuffer,
      batch.starts.buffer as ArrayBuffer,
      batch.ends.buffer as ArrayBuffer,
      batch.rules.buffer as ArrayBuffer,
    ]);
    hits = [];
    undated = [];
  };
  forEachLineInRange(job.file, job.start, job.end, (buf, s, e, offset) => {
    if (e - s > job.maxLineLength) {
      hits.push([line++, offset, offset + (e - s), { index: OVERLONG_HIT, captures: {} }]);
      if (hits.length >= BATCH) send();
      return;
    }
    const entry = parser.parseShared(buf, s, e, job.file);
    const df = entry.dateFormat ?? '(none)';
    dates[df] = (dates[df] ?? 0) + 1;
    const hit = runner.find(entry);
    if (hit) {
      hits.push([line, offset, offset + (e - s), hit]);
      if (hits.length >= BATCH) send();
    } else if (entry.time === undefined && e > s) {
      undated.push(line);
    }
    line++;
  });
  if (hits.length > 0) send();
  parentPort!.postMessage({ type: 'done', lines: line, dates, undated } satisfies WorkerMessage);
}

run(workerData as WorkerJob).catch((err: unknown) => {
  parentPort!.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), undated: [] } satisfies WorkerMessage);
});
