/**
 * `@f2b/source-journald`: reads the systemd journal for a jail through `journalctl --follow
 * --output=json`, hands the records to the jail as parsed entries, resumes at the cursor of the last
 * processed record, and restarts journalctl with backoff when it fails.
 *
 * ```yaml
 * jails:
 *   sshd:
 *     source: { type: journald, preset: sshd }
 * ```
 */
import type { F2bPlugin } from '@f2b/core';
import { journaldSourceSchema, resolveOptions, type JournaldSourceOptions } from './options.js';
import { JournaldSource } from './source.js';
import { checkJournal } from './check.js';

/** The plugin (its name, version and core range are in package.json). */
export default function journaldSource(): F2bPlugin {
  return {
    apply(api) {
      api.registerSource({
        type: 'journald',
        schema: journaldSourceSchema,
        check: (raw, ctx) => checkJournal(raw as JournaldSourceOptions, ctx, api),
        create(raw, ctx): JournaldSource {
          const opts = resolveOptions(raw as JournaldSourceOptions, ctx.jail, api);
          return new JournaldSource(opts, {
            jail: ctx.jail,
            logger: ctx.logger,
            error: (err) => ctx.error(err),
            saved: ctx.saved,
            clock: ctx.clock,
            // Sources that predate `entries` get the journal's short form as lines.
            entries: ctx.entries
              ? (entries) => ctx.entries!(entries)
              : (entries) =>
                  ctx.lines(
                    entries.map((e) => e.raw),
                    'journal',
                  ),
          });
        },
      });
    },
  };
}

export { JournaldSource, type JournaldContext, type JournaldTuning, type JournaldStatus, type JournaldState } from './source.js';
export {
  journaldSourceSchema,
  resolveOptions,
  journalctlArgs,
  PRESETS,
  DEFAULTS,
  type JournaldSourceOptions,
  type ResolvedOptions,
  type Position,
} from './options.js';
export { LineSplitter } from './splitter.js';
export { checkJournal, JOURNAL_DIRS, JOURNALD_SOCKET, type JournalCheckEnv } from './check.js';
export { CursorFile } from './state-file.js';
export { normalizeRecord, recordToEntry, parseRecord } from './record.js';
export { journaldErrors } from './errors.js';
