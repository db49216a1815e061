/** The clock lives in `@f2b/kit` (plugins fall back to its system clock); the core's modules import it here. */
export { systemClock, type Clock, type TimerHandle } from '@f2b/kit';
