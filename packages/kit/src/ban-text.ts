/**
 * The words of the ban trail: how a ban and an unban are written in f2b's own log (and by
 * `@f2b/action-log`). One format, because people alert on it and the `recidive` filter reads it back:
 * `Ban 203.0.113.5 until 2026-12-07T11:00:00.000+01:00 (failures: 5, ban #1, rule: password)`, after
 * the jail in brackets. Times are local with their offset, as everywhere f2b writes for people (the
 * CLI's `status` and `ban` too): the same instant reads the same in the log and on the terminal. Extra words go inside the parentheses, after the rule, so that readers of the
 * shorter form keep working.
 */

/** Where a ban came from: decided here from failures, asked for by hand, or read back. */
export type BanOrigin = 'local' | 'manual' | 'recovered' | 'fleet';

/** What the ban text needs of a ban (a structural subset of core's `Ban`). */
export interface BanTextInput {
  readonly id: string;
  readonly end: number | null;
  readonly count: number;
  readonly failures: number;
  readonly rule?: string;
}

const two = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 in this host's local time with its offset: `2026-12-07T11:00:00.000+01:00`. */
export function localIsoTime(ms: number, opts: { millis?: boolean } = {}): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const frac = opts.millis === false ? '' : `.${String(d.getMilliseconds()).padStart(3, '0')}`;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${frac}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

export function banText(b: BanTextInput, origin?: BanOrigin): string {
  const until = b.end === null ? 'forever' : `until ${localIsoTime(b.end)}`;
  const rule = b.rule ? `, rule: ${b.rule}` : origin ? ', rule: none' : '';
  return `Ban ${b.id} ${until} (failures: ${b.failures}, ban #${b.count}${rule}${origin ? `, origin: ${origin}` : ''})`;
}

export function unbanText(u: { readonly id: string; readonly reason: string }): string {
  return `Unban ${u.id} (${u.reason})`;
}
