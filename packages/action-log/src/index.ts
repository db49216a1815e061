/**
 * `@f2b/action-log`: the dry-run action. It bans nothing; it records every ban and unban and prints
 * one line per event, so a new setup can be watched before it is allowed to touch the firewall.
 */
import { appendFileSync } from 'node:fs';
import { banText, escapeControls, jsonText, unbanText } from '@f2b/kit';
import type { ActionInstance, Ban, F2bPlugin, Unban } from '@f2b/core';

export interface LogActionOptions {
  /** Also append one JSON line per event to this file. */
  file?: string;
  /** Print to stdout (default true). */
  stdout?: boolean;
}

export interface LogActionInstance extends ActionInstance {
  /** Everything this instance recorded, in order. */
  readonly events: (({ type: 'ban' } & Ban) | ({ type: 'unban' } & Unban))[];
}

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: { file: { type: 'string' }, stdout: { type: 'boolean' } },
};

/** The ban trail's own words (`@f2b/kit` banText), so recidive and alerts read both alike. */
export function formatBan(b: Ban): string {
  return `[${b.jail}] ${banText(b)}`;
}

export function formatUnban(u: Unban): string {
  return `[${u.jail}] ${unbanText(u)}`;
}

/**
 * The plugin. Its options (config `plugins: [["@f2b/action-log", {...}]]`) are defaults for every
 * jail; a jail's `{ type: log, ... }` options override them.
 */
export default function logAction(): F2bPlugin<LogActionOptions> {
  return {
    schema,
    apply(api, options) {
      api.registerAction({
        type: 'log',
        schema,
        create(instanceOptions, ctx): LogActionInstance {
          const opts = { ...options, ...instanceOptions } as LogActionOptions;
          const events: LogActionInstance['events'] = [];
          const emit = (line: string, record: object) => {
            if (opts.stdout !== false) process.stdout.write(`${escapeControls(line)}\n`);
            if (opts.file) {
              try {
                appendFileSync(opts.file, jsonText(record) + '\n');
              } catch (err) {
                ctx.error(err);
              }
            }
          };
          return {
            events,
            async ban(bans) {
              for (const b of bans) {
                events.push({ type: 'ban', ...b });
                emit(formatBan(b), { event: 'ban', jail: b.jail, id: b.id, start: b.start, end: b.end, count: b.count, failures: b.failures, rule: b.rule });
              }
            },
            async unban(unbans) {
              for (const u of unbans) {
                events.push({ type: 'unban', ...u });
                emit(formatUnban(u), { event: 'unban', jail: u.jail, id: u.id, time: u.time, reason: u.reason });
              }
            },
          };
        },
      });
    },
  };
}
