/** Lives in `@f2b/kit`, beside the other way of not flooding the log (`FailureStreak`). */
export { ThrottledWarning } from '@f2b/kit';
