/** Durations live in `@f2b/kit` (plugins import them from there); the core's modules import them here. */
export { MAX_DURATION_SECONDS, MONTH_SECONDS, YEAR_SECONDS, formatDuration, parseDuration, type ParseDurationOptions } from '@f2b/kit';
