/**
 * Exit codes (documented in the README): 0 success; 1 a check failed (annotated mismatches) or the
 * daemon failed at run time; 2 bad usage or configuration (unknown filter id, invalid config).
 */
import { type F2bError, escapeLines, isF2bError } from '@f2b/core';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE_CODES = new Set([
  'F2B_ERR_USAGE', 'F2B_ERR_CONFIG_INVALID', 'F2B_ERR_CONFIG_NOT_FOUND', 'F2B_ERR_CONFIG_PARSE', 'F2B_ERR_CONFIG_UNTRUSTED', 'F2B_ERR_CONFIG_LIMIT', 'F2B_ERR_PLUGIN_UNTRUSTED', 'F2B_ERR_FILTER_NOT_FOUND',
  'F2B_ERR_PLUGIN_NOT_FOUND', 'F2B_ERR_PLUGIN_VERSION_MISMATCH', 'F2B_ERR_PLUGIN_INVALID', 'F2B_ERR_PLUGIN_OPTIONS',
  'F2B_ERR_MODE_UNKNOWN', 'F2B_ERR_DURATION_INVALID', 'F2B_ERR_ADDRESS_INVALID', 'F2B_ERR_TIMEZONE_INVALID', 'F2B_ERR_PATTERN_INVALID', 'F2B_ERR_PATTERN_UNSUPPORTED',
  'F2B_ERR_STATE_PATH', 'F2B_ERR_STATE_DIR', 'F2B_ERR_STATE_READONLY', 'F2B_ERR_STATE_VERSION',
  'F2B_ERR_CONTROL_UNKNOWN_JAIL', 'F2B_ERR_CONTROL_BAD_ARGS', 'F2B_ERR_CONTROL_UNKNOWN_COMMAND',
  'F2B_ERR_JAIL_WATCHES_NOTHING', 'F2B_ERR_NOTHING_WATCHED',
]);

/** Print an error for people (code, sentence, fix) and return the exit code it deserves. */
export function reportCliError(err: unknown): number {
  if (isF2bError(err)) {
    const e = err as F2bError;
    // Messages quote what they refuse (a file name, an option, a daemon's answer): escaped.
    process.stderr.write(`f2b: ${escapeLines(typeof e.describe === 'function' ? e.describe() : `${e.code}: ${e.message}`)}\n`);
    return USAGE_CODES.has(e.code) ? EXIT_USAGE : EXIT_FAILED;
  }
  process.stderr.write(`f2b: ${escapeLines(err instanceof Error ? err.stack ?? err.message : String(err))}\n`);
  return EXIT_FAILED;
}
