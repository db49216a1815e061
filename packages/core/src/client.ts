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
export { F2bError, errors, isF2bError, messageOf, type F2bErrorDetails } from './errors.js';
export { escapeControls, escapeDeep, escapeLines, jsonText } from './escape.js';
export { exitClassOf, localIsoTime, parseIp, tryParseCidr, type IpAddress } from '@f2b/kit';

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
