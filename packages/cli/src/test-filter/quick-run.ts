/**
 * Runs test-filter on a command line read by the quick path (quick-args.ts) as the commander program
 * runs it: the same function with the same arguments, its exit code, and errors reported the same
 * way (runProgram in program-base.ts).
 */
import { testFilter, type TestFilterOptions } from '../commands/test-filter.js';
import type { QuickTestFilter } from './quick-args.js';

export async function runQuickTestFilter(q: QuickTestFilter): Promise<number> {
  try {
    return await testFilter(q.args[0], q.args[1], q.options as TestFilterOptions);
  } catch (err) {
    // Loaded only now: errors.ts imports the control client (for the client commands' errors).
    const { reportCliError } = await import('../errors.js');
    return reportCliError(err);
  }
}
