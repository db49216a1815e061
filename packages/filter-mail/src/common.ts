/** Helpers shared by the mail filters. */

/** One attempt per failure match, per-session state, the default reducer: shared by every filter package (`@f2b/kit`). */
export { SessionMap, oneAttempt, oneAttemptReducer as simpleReducer } from '@f2b/kit';

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/**
 * The time of a line that starts with `[dd-Mon-yyyy HH:MM:SS ±hhmm]` (Roundcube, PHP's error_log), or
 * undefined. The offset is explicit, so no zone is needed.
 */
export function bracketedDmyWithOffset(raw: Buffer): number | undefined {
  if (raw[0] !== 0x5b) return undefined;
  const head = raw.toString('latin1', 1, 40);
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? ([+-])(\d{2}):?(\d{2})\]/.exec(head);
  if (!m) return undefined;
  const mo = MONTHS[m[2]!.toLowerCase()];
  if (!mo) return undefined;
  const utc = Date.UTC(+m[3]!, mo - 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  const off = (m[7] === '-' ? -1 : 1) * (+m[8]! * 60 + +m[9]!) * 60_000;
  return utc - off;
}
