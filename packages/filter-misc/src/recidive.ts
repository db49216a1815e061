/**
 * `recidive`: bans, read back from the ban log, to ban repeat offenders for longer. Reads f2b's own
 * ban lines (`[sshd] Ban 192.0.2.10 until 2026-01-01T12:00:00.000Z (failures: 5, ban #1, rule: …)`, as
 * `@f2b/action-log` prints them to stdout, the journal or a `--log-file`) and fail2ban's
 * (`fail2ban.actions [pid]: NOTICE [sshd] Ban 1.2.3.4`), for fleets that run both.
 *
 * Bans by the recidive jail itself are not counted (option `ignoreJails`, default `["recidive"]`), nor
 * unbans or fail2ban's `Restore Ban` after a restart.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { draft } from './common.js';

export interface RecidiveOptions {
  /** Jails whose bans are not counted (default: `["recidive"]`). */
  ignoreJails?: string[];
}

export const recidiveFilter: FilterDefinition = {
  id: 'recidive',
  description: 'Repeat offenders: f2b and fail2ban ban lines',
  rules: [
    {
      id: 'ban',
      pattern: '^(?:fail2ban\\.actions *(?:\\[[0-9]+\\])?: +)?(?:NOTICE +)?\\[(?P<jail>[^\\]]+)\\] Ban <ADDR>(?: (?:until [0-9TZ:.+-]+|forever) \\(failures: [0-9]+, ban #[0-9]+(?:, rule: [^)]*)?\\))?$',
    },
  ],
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { ignoreJails: { type: 'array', items: { type: 'string' } } },
  },
  createReducer(ctx): Reducer {
    const ignore = new Set(Array.isArray(ctx.options.ignoreJails) ? ctx.options.ignoreJails as string[] : ['recidive']);
    return {
      reduce(m) {
        if (ignore.has(m.captures.jail ?? '')) return null;
        return draft(m);
      },
    };
  },
};
