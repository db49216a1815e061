/**
 * `@f2b/filter-sshd`: the `sshd` filter for OpenSSH (sshd, and sshd-session/sshd-auth since 9.8/10.0),
 * with fail2ban's modes and per-attempt counting (see reducer.ts).
 *
 *   import sshd from '@f2b/filter-sshd';
 *   core.use(sshd());
 */
import type { F2bPlugin, FilterDefinition } from '@f2b/core';
import { buildRules, MODES } from './rule-spec.js';
import { RULE_SPECS } from './rules.js';
import { createSshdReducer } from './reducer.js';

export const sshdFilter: FilterDefinition = {
  id: 'sshd',
  description:
    'OpenSSH authentication failures (normal), probes without authentication (ddos), ' +
    'failures sshd does not log as such (extra), or all of them (aggressive).',
  modes: MODES,
  // sshd-session (OpenSSH 9.8) and sshd-auth (10.0) log a connection's messages under their own names.
  programs: ['sshd', 'sshd-session', 'sshd-auth'],
  rules: buildRules(RULE_SPECS),
  // No rule captures a port or depends on its digits: one memo entry per attack, not per connection.
  volatilePorts: true,
  volatileAddresses: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxauthtries: {
        description:
          'Unset (default): a connection ended by `maximum authentication attempts exceeded` counts the attempts ' +
          'sshd logged for it, one if none. A number N: it counts N (padding). `auto`: N is read from `sshd -T` at start and reload.',
        anyOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }],
      },
      sshdPath: {
        type: 'string',
        pattern: '^/',
        description: 'The sshd that `maxauthtries: auto` asks (default: /usr/sbin/sshd, /usr/local/sbin/sshd, /sbin/sshd).',
      },
      sshdConfig: { type: 'string', pattern: '^/', description: "The sshd_config that `maxauthtries: auto` reads (`sshd -T -f FILE`; default: sshd's own)." },
    },
  },
  createReducer: createSshdReducer,
};

/** The plugin takes no options of its own; the filter's options are set per jail (`filter.options`). */
export type SshdPluginOptions = Record<string, never>;

/** The plugin (its name, version and core range are in package.json). */
export default function sshd(): F2bPlugin<SshdPluginOptions> {
  return {
    schema: { type: 'object', additionalProperties: false, properties: {} },
    apply(api) {
      api.registerFilter(sshdFilter);
    },
  };
}

export { createSshdReducer } from './reducer.js';
export { readSshdMaxAuthTries, resolveMaxAuthTries, SSHD_PATHS } from './max-auth-tries.js';
export { RULE_SPECS } from './rules.js';
export { MODES, type RuleSpec, type Effect, type Mode } from './rule-spec.js';
