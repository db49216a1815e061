/**
 * The ban trail: one line in the daemon's own log per ban and per unban, at `notice`, the way
 * fail2ban users watch theirs (`NOTICE [sshd] Ban 203.0.113.5 …`) and alert on it; at `debug`, one
 * `Found` line per failure as well. It is a plain tap on the hooks table, as any plugin could write.
 * The text is shared with `@f2b/action-log` (banText in @f2b/kit) and read back by the `recidive`
 * filter; the fields carry the same facts for `logFormat: json`.
 */
import { banText, unbanText, type BanOrigin } from '@f2b/kit';
import type { Core } from './core.js';
import { messageFields } from './logger.js';
import type { Ban } from './types.js';

/** Where a ban came from, from the rule the engine gives it (manual bans, recovery). */
export function banOrigin(ban: Ban): BanOrigin {
  if (ban.rule === 'manual') return 'manual';
  if (ban.rule === 'recovered') return 'recovered';
  // Received from another host of the fleet (its rule `fleet:<host>` names which).
  if (ban.origin !== undefined || ban.rule?.startsWith('fleet:')) return 'fleet';
  return 'local';
}

export function installBanTrail(core: Core, opts: { found?: boolean } = {}): void {
  const loggers = new Map<string, ReturnType<Core['getLogger']>>();
  // Named after the jail, so that the line reads `[sshd] Ban …`.
  const logger = (jail: string) => {
    let l = loggers.get(jail);
    if (!l) loggers.set(jail, (l = core.getLogger(jail)));
    return l;
  };
  core.hooks.ban.tap('f2b:ban-trail', (ban) => {
    const origin = banOrigin(ban);
    logger(ban.jail).notice(
      banText(ban, origin),
      messageFields({
        event: 'ban',
        ip: ban.id,
        until: ban.end === null ? null : new Date(ban.end).toISOString(),
        failures: ban.failures,
        count: ban.count,
        rule: ban.rule ?? null,
        origin,
      }),
    );
  });
  core.hooks.unban.tap('f2b:ban-trail', (unban) => {
    logger(unban.jail).notice(unbanText(unban), messageFields({ event: 'unban', ip: unban.id, reason: unban.reason }));
  });
  if (opts.found) {
    core.hooks.failure.tap('f2b:ban-trail', (f, jail) => {
      logger(jail.name).debug(
        `Found ${f.id} (rule: ${f.rule}, attempts: ${f.attempts})`,
        messageFields({
          event: 'found',
          ip: f.id,
          rule: f.rule,
          attempts: f.attempts,
          time: new Date(f.time).toISOString(),
        }),
      );
    });
  }
}
