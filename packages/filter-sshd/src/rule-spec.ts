/**
 * The shape of the sshd rule table: modes, what a line means for its connection (`Effect`), and how a
 * table entry becomes the engine's rules.
 */
import type { FilterRule } from '@f2b/core';

export const MODES = ['normal', 'ddos', 'extra', 'aggressive'] as const;
export type Mode = (typeof MODES)[number];

/** Modes that count authentication failures (fail2ban's normal, extra and aggressive). */
export const AUTH_MODES: readonly Mode[] = ['normal', 'extra', 'aggressive'];
export const DDOS: readonly Mode[] = ['ddos', 'aggressive'];
export const PROBE_OR_EXTRA: readonly Mode[] = ['ddos', 'extra', 'aggressive'];
export const ALL: readonly Mode[] = MODES;

/**
 * What a line means for its connection (the reducer's switch):
 * - `connect`: a new connection starts (its address is known from now on);
 * - `address`: only the address (Postponed/Partial, vendor connection banners);
 * - `success`: Accepted — pending, unconfirmed failures of the same user are forgiven;
 * - `failed`: one failed attempt (`Failed <method>`), or the attempt a pre-attempt line counted;
 * - `soft-key`: a refused public key of a valid user — counted only if the connection never succeeds
 *   (clients offer every key of their agent; fail2ban gh-1263);
 * - `pre`: a line sshd writes before the `Failed` line of the same attempt (Invalid user, User … not
 *   allowed, ROOT LOGIN REFUSED, PAM errors): counts the attempt, the next `Failed` line does not;
 * - `pam-soft`: a PAM module's `authentication failure` — stacked modules log it even when another
 *   module then accepts the password (gh-2070), so it counts only once confirmed;
 * - `pam-more`: PAM's summary of failures already counted;
 * - `max`: MaxAuthTries reached: the connection totals `maxauthtries` attempts;
 * - `close`: the connection ends (or fails before authenticating): as a failure it counts one attempt
 *   when nothing was counted for the connection yet; in every mode it confirms pending failures.
 */
export type Effect = 'connect' | 'address' | 'success' | 'failed' | 'soft-key' | 'pre' | 'pam-soft' | 'pam-more' | 'max' | 'close';

export interface RuleSpec {
  id: string;
  pattern: string;
  effect: Effect;
  /** Modes in which a match is a failure. */
  failure?: readonly Mode[];
  /** Modes in which a match only informs the reducer. */
  info?: readonly Mode[];
  /** The connection is over after this line: forget it. */
  final?: boolean;
  /** Not per connection (the listener logs it, or each line is its own connection): always 1 attempt. */
  stateless?: boolean;
  /** Reads the captures of a matching message instead of RE2's exec (scanners.ts, `FilterRule.scan`). */
  scan?: FilterRule['scan'];
}

/** The engine's rules: each spec becomes a failure rule and/or an info rule for its modes. */
export function buildRules(specs: readonly RuleSpec[]): FilterRule[] {
  const rules: FilterRule[] = [];
  for (const s of specs) {
    const scan = s.scan ? { scan: s.scan } : {};
    if (s.failure?.length) rules.push({ id: s.id, pattern: s.pattern, modes: s.failure, kind: 'failure', ...scan });
    // A success (Accepted) is also reported to the jail's tracker, which may forgive the address.
    const success = s.effect === 'success' ? { success: true } : {};
    if (s.info?.length) rules.push({ id: s.id, pattern: s.pattern, modes: s.info, kind: 'info', ...success, ...scan });
  }
  return rules;
}
