/**
 * `recidive`: bans, read back from the ban log, to ban repeat offenders for longer. Reads f2b's own
 * ban lines (`[sshd] Ban 192.0.2.10 until 2026-01-01T12:00:00.000Z (failures: 5, ban #1, rule: …)`, as
 * `@f2b/action-log` prints them to stdout, the journal or a `--log-file`, and its JSON lines file),
 * and fail2ban's (`fail2ban.actions [pid]: NOTICE [sshd] Ban 1.2.3.4`), for users who migrate or
 * fleets that run both. The jail name and the address come from the ban, never from a client.
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
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Repeat offenders: f2b and fail2ban ban lines',
  rules: [
    // f2b: the daemon's ban trail (`<time> NOTICE [jail] Ban …` in its log; `NOTICE [jail] Ban …` in
    // the journal) and @f2b/action-log's formatBan on stdout (the journal, syslog, a --log-file);
    // fail2ban's journal target writes the same `[jail] Ban addr` without the suffix
    {
      id: 'ban',
      pattern:
        '^(?:NOTICE +)?\\[(?P<jail>[^\\]]+)\\] Ban <ADDR>(?: (?:until [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9]{2}:[0-9]{2})|forever) \\(failures: [0-9]+, ban #[0-9]+(?:, rule: [^)]*)?\\))?$',
    },
    // f2b: @f2b/action-log's JSON lines file (`file:` option), written by jsonText in this key order
    {
      id: 'ban',
      pattern:
        '^\\{"event":"ban","jail":"(?P<jail>(?:[^"\\\\]|\\\\.)*)","id":"<ADDR>","start":(?P<start>[0-9]+),"end":(?:[0-9]+|null),"count":[0-9]+,"failures":[0-9]+(?:,"rule":"(?:[^"\\\\]|\\\\.)*")?\\}$',
    },
    // fail2ban ≥ 0.9 (`fail2ban.actions [pid]: NOTICE [jail] Ban addr`), 0.8 (`fail2ban.actions: WARNING [jail] Ban addr`)
    {
      id: 'ban',
      pattern: '^(?:fail2ban\\.actions *(?:\\[[0-9]+\\])?: +)?(?:NOTICE|WARNING) +\\[(?P<jail>[^\\]]+)\\] Ban <ADDR>$',
    },
  ],
  options: {
    type: 'object',
    additionalProperties: false,
    properties: { ignoreJails: { type: 'array', items: { type: 'string' } } },
  },
  createReducer(ctx): Reducer {
    const ignore = new Set(Array.isArray(ctx.options.ignoreJails) ? (ctx.options.ignoreJails as string[]) : ['recidive']);
    return {
      reduce(m) {
        if (ignore.has(m.captures.jail ?? '')) return null;
        const d = draft(m, 1, ['start']);
        // the JSON line says when the ban started (epoch ms); it has no date the entry parser reads
        const start = m.captures.start === undefined ? NaN : Number(m.captures.start);
        return d && Number.isSafeInteger(start) ? { ...d, time: start } : d;
      },
    };
  },
};
