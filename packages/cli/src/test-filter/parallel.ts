/**
 * Runs `test-filter` over a large file with worker threads. This thread takes the first byte range
 * itself (match and reduce, in order); workers match the other ranges and send back their hits;
 * then this thread reduces those hits, range by range, in log order — the stateful part (sshd's
 * per-connection attempt counting) sees exactly the sequence a single thread would.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Hit } from '@f2b/core';
import { forEachLineInRange, splitFile } from './ranges.js';
import type { WorkerJob, WorkerMessage } from './worker.js';

export interface ParallelJob extends Omit<WorkerJob, 'start' | 'end' | 'plugin'> {
  jobs: number;
  /** The filter's package; null for --pattern filters (the worker builds them from `patterns`). */
  source: WorkerJob['plugin'] | null;
}

export interface ParallelSinks {
  /** A line of the range this thread matches itself. */
  local(buf: Buffer, start: number, end: number): void;
  /** A line a worker matched. */
  remote(buf: Buffer, start: number, end: number, hit: Hit): void;
  /** A line a worker found nothing in; `undated`: it had no date the worker could read. */
  skip(undated: boolean): void;
  /** Date formats a worker saw. */
  dates(counts: Record<string, number>): void;
  afterBatch(): void;
}

export async function runParallel(job: ParallelJob, sinks: ParallelSinks): Promise<void> {
  const ranges = splitFile(job.file, job.jobs);
  const workers = ranges.slice(1).map(([start, end]) =>
    startWorker({
      file: job.file,
      start,
      end,
      plugin: job.source ?? undefined,
      definition: job.definition,
      filter: job.filter,
      patterns: job.patterns,
      mode: job.mode,
      options: job.options,
      timezone: job.timezone,
      now: job.now,
      maxLineLength: job.maxLineLength,
    }),
  );
  try {
    if (ranges.length > 0) forEachLineInRange(job.file, ranges[0]![0], ranges[0]![1], sinks.local);
    sinks.afterBatch();
    for (const [i, w] of workers.entries()) {
      const [start, end] = ranges[i + 1]!;
      const bytes = readRange(job.file, start, end);
      let next = 0; // the next line number (within the range) not yet emitted
      const undated: number[] = []; // line numbers of undated lines without a hit, not yet emitted
      let u = 0;
      const skipTo = (line: number) => {
        for (; next < line; next++) {
          while (u < undated.length && undated[u]! < next) u++;
          sinks.skip(u < undated.length && undated[u] === next);
        }
      };
      for await (const msg of w.messages()) {
        if (msg.type === 'error') throw new Error(`worker: ${msg.message}`);
        for (const l of msg.undated) undated.push(l);
        if (msg.type === 'hits') {
          const b = msg.batch;
          const data = JSON.parse(b.data) as [string | null, Record<string, string>][];
          for (let k = 0; k < b.rules.length; k++) {
            const line = b.lines[k]!;
            skipTo(line);
            const [host, captures] = data[k]!;
            sinks.remote(bytes, b.starts[k]! - start, b.ends[k]! - start, { index: b.rules[k]!, host: host ?? undefined, captures });
            next = line + 1;
          }
          sinks.afterBatch();
        } else {
          skipTo(msg.lines);
          sinks.dates(msg.dates);
          break;
        }
      }
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function readRange(file: string, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  const fd = openSync(file, 'r');
  try {
    let off = 0;
    while (off < buf.length) {
      const got = readSync(fd, buf, off, buf.length - off, start + off);
      if (got <= 0) break;
      off += got;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** A worker and its messages as an async queue (messages arrive while this thread is busy). */
function startWorker(job: WorkerJob): { messages(): AsyncIterable<WorkerMessage>; terminate(): Promise<number> } {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  worker.on('message', (m: WorkerMessage) => {
    queue.push(m);
    wake?.();
  });
  worker.on('error', (err) => {
    failure = err;
    wake?.();
  });
  worker.on('exit', (code) => {
    if (code !== 0 && !failure) failure = new Error(`worker exited with code ${code}`);
    wake?.();
  });
  return {
    async *messages() {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (failure) throw failure;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = null;
      }
    },
    terminate: () => worker.terminate(),
  };
}
