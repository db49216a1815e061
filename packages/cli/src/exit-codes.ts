/**
 * The exit codes (documented in the README): 0 success; 1 a check failed or a run-time failure; 2 bad
 * usage or configuration. A module of their own so that test-filter, which needs only these while
 * it runs, loads errors.ts (and the control client it imports) only when it reports an error.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
