/**
 * `@f2b/core/client`: what the control client commands (`f2b ping`, `status`, `banned`, …) need,
 * and nothing of the engine, the daemon or the plugin machinery. The whole of `@f2b/core` costs
 * a client command several times its own work in start-up (about 80 modules, RE2 and tapable);
 * this entry loads the client, the errors and the escaping of output.
 */
export { ControlClient, controlRequest, type ControlClientOptions } from './control/client.js';
export { READ_ONLY_COMMANDS } from './control/read-only-commands.js';
export type { BanView, BanDetail, ControlCommand } from './control/handler.js';
export type { FleetStatus } from './fleet.js';
export type { Explanation, JailExplanation, ExplainVerdict, ExplainedFailure, ExplainedBan, NotCountedFailure, OtherModeLine } from './control/explain.js';
export { defaultPaths } from './config/paths.js';
// The errors' class from the kit; the table of every error the core raises (25 KB, with the
// plugin catalogue its fixes name) only when a command needs one of them: most runs need none.
export { F2bError, isF2bError, messageOf, type F2bErrorDetails } from '@f2b/kit/client';

/** The core's errors table (`errors` of `@f2b/core`), loaded on first use. */
export async function coreErrors(): Promise<typeof import('./errors.js').errors> {
  return (await import('./errors.js')).errors;
}
export { escapeControls, escapeDeep, escapeLines, jsonText } from './escape.js';
export { exitClassOf, localIsoTime, parseIp, tryParseCidr, type IpAddress } from '@f2b/kit/client';

/**
 * The socket settings of a config file (`--config` of a client command): the config machinery is
 * loaded only then.
 */
export async function configSockets(file: string): Promise<{ socket: string | null; readOnlySocket: string | undefined } | null> {
  const { loadConfig, resolveConfig } = await import('./config.js');
  const found = await loadConfig(file);
  if (!found) return null;
  const resolved = resolveConfig(found.config, found.file);
  return { socket: resolved.socket, readOnlySocket: resolved.readOnlySocket?.path };
}
