/**
 * Repeat offenders, as a plugin that taps `hooks.ban` — the model tap. Every ban in another jail
 * becomes one failure of the `recidive` jail (source `f2b-bans`, filter `f2b-recidive`), so its
 * tracker does the counting: `maxbans` bans within `findtime` ban the address for the recidive
 * bantime. Those failures are stored and restored like any jail's, so a restart keeps the count.
 * fail2ban does the same by reading its own log; here the bans come straight from the hook.
 *
 * A ban received from the fleet (it has an `origin`) is not counted: the host that decided it counts
 * it in its own recidive jail, and that jail's ban reaches every host through the fleet like any
 * other. Counting it here too would make every host of the fleet escalate at once on bans it never
 * decided, and publish N copies of the same recidive ban.
 */
import type { F2bPlugin, SourceContext } from '../plugin.js';

export const RECIDIVE_JAIL = 'recidive';
export const RECIDIVE_FILTER = 'f2b-recidive';
export const RECIDIVE_SOURCE = 'f2b-bans';
const PLUGIN_NAME = '@f2b/core:recidive';

export const recidivePlugin = {
  meta: { name: PLUGIN_NAME },
  apply(api) {
    /** The recidive jail's source while it runs (one; a reload briefly has the next one too). */
    const listeners = new Set<SourceContext>();
    api.registerFilter({
      id: RECIDIVE_FILTER,
      description: 'Bans by the other jails (fed by the recidive plugin, not read from a log)',
      rules: [{ id: 'recidive', pattern: '^\\[(?P<jail>[^\\]]+)\\] Ban <HOST>$' }],
    });
    api.registerSource({
      type: RECIDIVE_SOURCE,
      create: (_options, ctx) => ({
        start: async () => {
          listeners.add(ctx);
        },
        stop: async () => {
          listeners.delete(ctx);
        },
      }),
    });
    api.hooks.ban.tap(PLUGIN_NAME, (ban) => {
      if (ban.jail === RECIDIVE_JAIL || ban.origin !== undefined || listeners.size === 0) return;
      const line = `[${ban.jail}] Ban ${ban.id}`;
      const entry = { raw: Buffer.from(line), message: Buffer.from(line), time: ban.start, program: 'f2b', origin: 'f2b-bans' };
      for (const ctx of listeners) void ctx.entries?.([entry]);
    });
  },
} satisfies F2bPlugin;
