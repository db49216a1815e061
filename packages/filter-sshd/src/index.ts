/**
 * `@f2b/filter-sshd`: the `sshd` filter for OpenSSH (sshd, and sshd-session/sshd-auth since 9.8/10.0),
 * with fail2ban's modes and per-attempt counting (see reducer.ts).
 *
 *   import sshd from '@f2b/filter-sshd';
 *   core.use(sshd());
 */
import { createRequire } from 'node:module';
import { definePlugin, type F2bPlugin, type FilterDefinition } from '@f2b/core';
import { buildRules, MODES } from './rule-spec.js';
import { RULE_SPECS } from './rules.js';
import { createSshdReducer, DEFAULT_MAX_AUTH_TRIES } from './reducer.js';

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const sshdFilter: FilterDefinition = {
  id: 'sshd',
  description: 'OpenSSH authentication failures (normal), probes without authentication (ddos), ' +
    'failures sshd does not log as such (extra), or all of them (aggressive).',
  modes: MODES,
  // sshd-session (OpenSSH 9.8) and sshd-auth (10.0) log a connection's messages under their own names.
  programs: ['sshd', 'sshd-session', 'sshd-auth'],
  rules: buildRules(RULE_SPECS),
  // No rule captures a port or depends on its digits: one memo entry per attack, not per connection.
  volatilePorts: true,
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxauthtries: {
        type: 'integer', minimum: 1, default: DEFAULT_MAX_AUTH_TRIES,
        description: "sshd's MaxAuthTries: the attempts a connection ended by `maximum authentication attempts exceeded` stands for.",
      },
    },
  },
  createReducer: createSshdReducer,
};

/** The plugin takes no options of its own; the filter's options are set per jail (`filter.options`). */
export type SshdPluginOptions = Record<string, never>;

export default function sshd(options: SshdPluginOptions = {}): F2bPlugin<SshdPluginOptions> {
  return definePlugin({
    meta: { name: pkg.name, version: pkg.version, core: '^0.1.0', kind: 'filter' },
    schema: { type: 'object', additionalProperties: false, properties: {} },
    options,
    apply(core) {
      core.registerFilter(sshdFilter);
    },
  });
}

export { createSshdReducer, DEFAULT_MAX_AUTH_TRIES } from './reducer.js';
export { RULE_SPECS } from './rules.js';
export { MODES, type RuleSpec, type Effect, type Mode } from './rule-spec.js';
