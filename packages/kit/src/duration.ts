/**
 * Durations in config (`bantime: 1h30m`, `findtime: 600`). Everything inside f2b counts in seconds;
 * -1 means "forever" where the caller allows it (bantime), and nowhere else.
 */
import { kitErrors as errors } from './kit-errors.js';

/** fail2ban's year: 365.25 days (what `fail2ban-client --str2sec 1y` answers). */
export const YEAR_SECONDS = 31_557_600;
/** fail2ban's month: a twelfth of that year, 30.4375 days (`--str2sec 1mo`). */
export const MONTH_SECONDS = YEAR_SECONDS / 12;
/**
 * The longest duration accepted: 100 years. Longer ones only come from typos, and far beyond it the
 * end of a ban cannot be represented as a date at all (it printed as NaN-NaN-NaN). Use -1 for forever.
 */
export const MAX_DURATION_SECONDS = 100 * YEAR_SECONDS;

// The abbreviations of fail2ban's jail.conf(5) "TIME ABBREVIATION FORMAT", plus a few common ones.
// `m` and `mm` are minutes; months are `mo`, `mon`, `month(s)`.
const UNITS: ReadonlyMap<string, number> = new Map([
  ['s', 1],
  ['ss', 1],
  ['sec', 1],
  ['secs', 1],
  ['second', 1],
  ['seconds', 1],
  ['m', 60],
  ['mm', 60],
  ['min', 60],
  ['mins', 60],
  ['minute', 60],
  ['minutes', 60],
  ['h', 3600],
  ['hh', 3600],
  ['hou', 3600],
  ['hr', 3600],
  ['hrs', 3600],
  ['hour', 3600],
  ['hours', 3600],
  ['d', 86400],
  ['dd', 86400],
  ['da', 86400],
  ['day', 86400],
  ['days', 86400],
  ['w', 604800],
  ['ww', 604800],
  ['wee', 604800],
  ['wk', 604800],
  ['wks', 604800],
  ['week', 604800],
  ['weeks', 604800],
  ['mo', MONTH_SECONDS],
  ['mon', MONTH_SECONDS],
  ['month', MONTH_SECONDS],
  ['months', MONTH_SECONDS],
  ['y', YEAR_SECONDS],
  ['yy', YEAR_SECONDS],
  ['yea', YEAR_SECONDS],
  ['year', YEAR_SECONDS],
  ['years', YEAR_SECONDS],
]);

export interface ParseDurationOptions {
  /** Accept -1 (number or text) and `forever`, returned as -1. */
  allowForever?: boolean;
  /** Refuse 0 (a findtime or bantime of nothing). */
  positive?: boolean;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Reads `digits[.digits]` at i; returns the end index, or -1. The value is left in `numberValue`. */
let numberValue = 0;
function readNumber(s: string, i: number): number {
  const start = i;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === start) return -1;
  if (s.charCodeAt(i) === 0x2e) {
    const frac = ++i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === frac) return -1;
  }
  numberValue = Number(s.slice(start, i));
  return i;
}

/** `1h30m`, `1h 30m`, `10min`, `2 hours`: one or more number+unit pairs, any order. NaN if not that. */
function parseUnits(s: string): number {
  let total = 0,
    i = 0,
    pairs = 0;
  while (i < s.length) {
    while (s.charCodeAt(i) === 0x20) i++;
    if (i === s.length) break;
    i = readNumber(s, i);
    if (i < 0) return NaN;
    const n = numberValue;
    while (s.charCodeAt(i) === 0x20) i++;
    const u = i;
    while (i < s.length && s.charCodeAt(i) >= 97 && s.charCodeAt(i) <= 122) i++;
    const size = UNITS.get(s.slice(u, i));
    if (size === undefined) return NaN;
    total += n * size;
    pairs++;
  }
  return pairs > 0 ? total : NaN;
}

/**
 * A duration in seconds from a number of seconds, a numeric string (`"600"`) or a text with units
 * (`30s`, `10m`, `1h30m`, `2 hours`, `1.5d`). With `allowForever`, -1 / `"-1"` / `"forever"` give -1.
 * Anything else throws F2B_ERR_DURATION_INVALID naming `path`.
 */
export function parseDuration(value: unknown, path?: string, opts: ParseDurationOptions = {}): number {
  let result = NaN;
  if (typeof value === 'number') {
    if (value === -1 && opts.allowForever) return -1;
    result = value;
  } else if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (opts.allowForever && (s === '-1' || s === 'forever')) return -1;
    const end = readNumber(s, 0);
    result = end === s.length ? numberValue : parseUnits(s);
  }
  if (!Number.isFinite(result) || result < 0) throw errors.F2B_ERR_DURATION_INVALID(value, path);
  if (opts.positive && result === 0) {
    throw errors.F2B_ERR_DURATION_INVALID(value, path, {
      problem: 'is zero',
      fix: opts.allowForever ? 'Write a duration of at least 1 second, or -1 for forever.' : 'Write a duration of at least 1 second.',
    });
  }
  if (result > MAX_DURATION_SECONDS) {
    throw errors.F2B_ERR_DURATION_INVALID(value, path, {
      problem: 'is longer than the maximum of 100 years',
      fix: opts.allowForever ? 'Write at most 100y, or -1 for a ban that never ends.' : 'Write at most 100y.',
    });
  }
  return result;
}

const PARTS: ReadonlyArray<readonly [string, number]> = [
  ['w', 604800],
  ['d', 86400],
  ['h', 3600],
  ['m', 60],
];

/** Compact text for a duration in seconds: `1h30m`, `10m`, `45s`, `0s`, `forever` for -1. */
export function formatDuration(seconds: number): string {
  if (seconds === -1) return 'forever';
  if (!Number.isFinite(seconds) || seconds < 0) throw errors.F2B_ERR_DURATION_INVALID(seconds);
  let rest = seconds,
    out = '';
  for (const [unit, size] of PARTS) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  // Fractions of a second are kept to the millisecond, which is all the engine's clock resolves.
  rest = Math.round(rest * 1000) / 1000;
  if (rest > 0 || out === '') out += `${rest}s`;
  return out;
}

/**
 * An optional plugin option that is a duration, in milliseconds (0 allowed): `fallback` when it is
 * not set; a negative or unreadable value is `invalid(cause)`, the plugin's own options error.
 */
export function durationOptionMs(value: number | string | undefined, fallback: number, path: string, invalid: (cause: unknown) => Error): number {
  if (value === undefined) return fallback;
  let seconds: number;
  try {
    seconds = parseDuration(value, path);
  } catch (cause) {
    throw invalid(cause);
  }
  if (!(seconds >= 0)) throw invalid(new Error(`${path} is negative`));
  return Math.round(seconds * 1000);
}
