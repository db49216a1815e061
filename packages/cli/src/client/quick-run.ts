/**
 * Runs a client command read by the quick path (quick-args.ts) as the commander program runs it:
 * the same action, its exit code, and errors reported the same way (runProgram in program-base.ts).
 */
import { CLIENT_ACTIONS } from '../commands/control.js';
import { reportCliError } from '../errors.js';
import type { QuickCommand } from './quick-args.js';

export async function runQuick(q: QuickCommand): Promise<number> {
  const action = CLIENT_ACTIONS[q.command] as (...args: unknown[]) => Promise<number>;
  try {
    return await action(...q.args, q.options);
  } catch (err) {
    return reportCliError(err);
  }
}
