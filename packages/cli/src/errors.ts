/**
 * Exit codes (documented in the README): 0 success; 1 a check failed (annotated mismatches) or the
 * daemon failed at run time; 2 bad usage or configuration (unknown filter id, invalid config). Which
 * errors are which is each code's exit class, stated once in its errors table (`@f2b/kit`
 * `defineErrors`); errors answered by the daemon keep theirs through their code.
 */
import { escapeLines, exitClassOf, isF2bError, type F2bError } from '@f2b/core/client';

import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

export { EXIT_OK, EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';

/** The exit code an error deserves, from its exit class (an error of an older kit copy: from its code). */
export function exitCodeOf(err: F2bError): number {
  return (err.exit ?? exitClassOf(err.code)) === 'usage' ? EXIT_USAGE : EXIT_FAILED;
}

/** Print an error for people (code, sentence, fix) and return the exit code it deserves. */
export function reportCliError(err: unknown): number {
  // The daemon's log lines of this turn come first (the logger's FLUSH_EVENT, named here again: the
  // client commands that load this module never load the logger; test/error-after-log.test.ts).
  (process.emit as (event: string) => boolean)('f2b:flush-stderr');
  if (isF2bError(err)) {
    // Messages quote what they refuse (a file name, an option, a daemon's answer): escaped.
    process.stderr.write(`f2b: ${escapeLines(typeof err.describe === 'function' ? err.describe() : `${err.code}: ${err.message}`)}\n`);
    return exitCodeOf(err);
  }
  process.stderr.write(`f2b: ${escapeLines(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return EXIT_FAILED;
}
