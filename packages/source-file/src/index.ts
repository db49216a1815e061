/**
 * `@f2b/source-file`: tails log files (and globs) for a jail. Lines are read as Buffers and handed
 * to the jail in batches; rotation by rename and copytruncate is followed (see tailer.ts).
 */
import type { F2bPlugin, SourceInstance, SourceWatch } from '@f2b/core';
import { FileTailer, type TailPosition } from './tailer.js';

export interface FileSourceOptions {
  /** Files or globs (`/var/log/nginx/*.log`). */
  paths?: string[];
  /** Shorthand for one path. */
  path?: string;
  /** Read existing content from the beginning (replay) instead of starting at the end. */
  fromStart?: boolean;
  /** Safety-net stat poll, ms (file events are the primary trigger). */
  pollInterval?: number;
  /** Longer lines (bytes) are never matched: dropped up to their newline and counted (default 65536). */
  maxLineLength?: number;
  /** Saved positions to resume from (used by the state store). */
  positions?: TailPosition[];
}

export const fileSourceSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    paths: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    path: { type: 'string', minLength: 1 },
    fromStart: { type: 'boolean' },
    pollInterval: { type: 'integer', minimum: 10 },
    maxLineLength: { type: 'integer', minimum: 256 },
    positions: { type: 'array' },
  },
};

function pathsOf(opts: FileSourceOptions): string[] {
  return [...(opts.paths ?? []), ...(opts.path ? [opts.path] : [])];
}

/**
 * Whether any file matches the paths now. A jail whose paths match nothing (a typo, a log that
 * is not written on this machine) would silently protect nothing: say which paths and why.
 */
export async function checkFiles(paths: string[]): Promise<SourceWatch> {
  if (paths.length === 0) return { watching: false, reason: 'no paths are given' };
  const problems: string[] = [];
  const tailer = new FileTailer({ paths, onLines: () => undefined, onError: (err) => problems.push(err.message) });
  const files = await tailer.matchingFiles();
  await tailer.stop();
  if (files.length > 0) return { watching: true };
  const what = paths.map((p) => (/[*?[{]/.test(p) ? `no file matches ${p}` : `${p} does not exist`)).join(', ');
  return { watching: false, reason: problems.length > 0 ? `${what} (${problems.join('; ')})` : what };
}

export interface FileSourceInstance extends SourceInstance {
  positions(): TailPosition[];
}

/** The plugin (its name, version and core range are in package.json). */
export default function fileSource(): F2bPlugin {
  return {
    apply(api) {
      api.registerSource({
        type: 'file',
        schema: fileSourceSchema,
        check: (raw) => checkFiles(pathsOf(raw as FileSourceOptions)),
        create(raw, ctx): FileSourceInstance {
          const opts = raw as FileSourceOptions;
          const paths = pathsOf(opts);
          const tailer = new FileTailer({
            paths,
            fromStart: opts.fromStart,
            positions: opts.positions ?? (Array.isArray(ctx.saved) ? (ctx.saved as TailPosition[]) : undefined),
            pollInterval: opts.pollInterval,
            maxLineLength: opts.maxLineLength,
            onLines: (lines, path, more) => ctx.lines(lines, path, more),
            onOverlong: (path) => ctx.overlong?.(path),
            onError: (err, path) => ctx.error(path ? new Error(`${path}: ${err.message}`) : err),
            clock: ctx.clock,
          });
          return {
            start: () => tailer.start(),
            stop: () => tailer.stop(),
            poll: () => tailer.poll(),
            positions: () => tailer.positions(),
            state: () => tailer.positions(),
            lag: async () => (await tailer.lag()).map((l) => ({ source: l.path, bytes: l.bytes })),
          };
        },
      });
    },
  };
}

export { FileTailer, type TailPosition, type FileTailerOptions } from './tailer.js';
