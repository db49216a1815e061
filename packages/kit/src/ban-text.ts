/**
 * The words of the ban trail: how a ban and an unban are written in f2b's own log (and by
 * `@f2b/action-log`). One format, because people alert on it and the `recidive` filter reads it back:
 * `Ban 203.0.113.5 until 2026-12-07T10:00:00.000Z (failures: 5, ban #1, rule: password)`, after the
 * jail in brackets. Extra words go inside the parentheses, after the rule, so that readers of the
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

export function banText(b: BanTextInput, origin?: BanOrigin): string {
  const until = b.end === null ? 'forever' : `until ${new Date(b.end).toISOString()}`;
  const rule = b.rule ? `, rule: ${b.rule}` : origin ? ', rule: none' : '';
  return `Ban ${b.id} ${until} (failures: ${b.failures}, ban #${b.count}${rule}${origin ? `, origin: ${origin}` : ''})`;
}

export function unbanText(u: { readonly id: string; readonly reason: string }): string {
  return `Unban ${u.id} (${u.reason})`;
}
