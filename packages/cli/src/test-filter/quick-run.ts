/**
 * Runs test-filter on a command line read by the quick path (quick-args.ts) as the commander program
 * runs it: the same function with the same arguments, its exit code, and errors reported the same
 * way (runProgram in program-base.ts).
 */
import { testFilter, type TestFilterOptions } from '../commands/test-filter.js';
import { reportCliError } from '../errors.js';
import type { QuickTestFilter } from './quick-args.js';

export async function runQuickTestFilter(q: QuickTestFilter): Promise<number> {
  try {
    return await testFilter(q.args[0], q.args[1], q.options as TestFilterOptions);
  } catch (err) {
    return reportCliError(err);
  }
}
