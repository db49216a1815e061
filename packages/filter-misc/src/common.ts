/** Helpers shared by the filters of this package. */
import type { FailureDraft, RuleMatch } from '@f2b/core';

/** One attempt per `failure` match with a host, without the listed internal captures. */
export function draft(m: RuleMatch, attempts = 1, drop: readonly string[] = []): FailureDraft | null {
  if ((m.rule.kind ?? 'failure') !== 'failure' || m.host === undefined) return null;
  const captures = { ...m.captures };
  for (const k of drop) delete captures[k];
  return { id: m.host, attempts, rule: m.rule.id, captures };
}

/** A bounded map with an age limit, for per-session reducer state. */
export class SessionMap<V> {
  private readonly map = new Map<string, { value: V; time: number }>();
  constructor(private readonly maxAge = 30 * 60_000, private readonly maxSize = 10_000) {}
  get(key: string): V | undefined { return this.map.get(key)?.value; }
  set(key: string, value: V, time: number): void {
    this.map.delete(key);
    if (this.map.size >= this.maxSize) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, { value, time });
  }
  delete(key: string): void { this.map.delete(key); }
  sweep(now: number): void {
    for (const [k, v] of this.map) if (now - v.time > this.maxAge) this.map.delete(k);
  }
}

/**
 * One `"key":value` pair of a flat JSON object (strings with escapes, numbers, literals). A pattern
 * that walks an object pair by pair cannot be fooled by a quoted value that imitates a key: inside
 * a JSON string every `"` is escaped.
 */
export const JSON_PAIR = '"[^"\\\\]*":(?:"(?:[^"\\\\]|\\\\.)*"|[^,"{}\\[\\]]*)';

/** A JSON string value's body (for a capture). */
export const JSON_STRING_BODY = '(?:[^"\\\\]|\\\\.)*';

/** One logfmt `key=value` pair; quoted values may contain escaped quotes and spaces. */
export const LOGFMT_PAIR = '[A-Za-z_][A-Za-z0-9_.]*=(?:"(?:[^"\\\\]|\\\\.)*"|[^ "]*)';

/**
 * The fields of a PAM `authentication failure;` line after the module's prefix (pam_unix, pam_sss):
 * `logname= uid= euid= tty= ruser= rhost= user=`. `logname`, the ids and `tty` are the service's;
 * `ruser` and `user` can both be the client's, and the address sits between them.
 */
const PAM_FIELDS = 'logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=';

/**
 * pam_unix's failure line (support.c `_unix_verify_password`): `… ruser=%s rhost=%s[  user=%s]`.
 * Both names around the address may be the client's (vsftpd sets `ruser` to the login name too),
 * so a line with a second ` rhost=` can have two readings (a forged `user=` after the real address,
 * or a forged `ruser=` before it): `pamDraft` counts such a line only when just one reading is
 * possible, so forged fields never name the address.
 */
export const PAM_UNIX_FAILURE = `authentication failure; ${PAM_FIELDS}(?P<ruser>.*?) rhost=<HOST>(?:  ?user=(?P<user>.*?))? *$`;

/** pam_unix's summary at the end of a PAM session (support.c `_cleanup_failures`): `%d more authentication failure%s; …`. */
export const PAM_UNIX_MORE = `(?P<more>[0-9]+) more authentication failures?; ${PAM_FIELDS}(?P<ruser>.*?) rhost=<HOST>(?:  ?user=(?P<user>.*?))? *$`;

/** pam_sss's failure line (sss_client/pam_sss.c `send_and_receive`): `… rhost=%s user=%s[ seq=%lu]`. */
export const PAM_SSS_FAILURE = `authentication failure; ${PAM_FIELDS}(?P<ruser>.*?) rhost=<HOST> user=(?P<user>.*?)(?: seq=[0-9]+)? *$`;

/**
 * How many readings a PAM failure line has: the ` rhost=<word>` occurrences after ` ruser=` that end
 * the line or are followed by ` user=`. Linear: each occurrence is looked at once.
 */
function pamReadings(text: string): number {
  const end = text.trimEnd().length;
  let n = 0;
  for (let i = text.indexOf(' rhost=', text.indexOf(' ruser=')); i !== -1; i = text.indexOf(' rhost=', i + 1)) {
    let j = i + 7;
    while (j < end && text[j] !== ' ') j++;
    if (j > i + 7 && (j >= end || text.startsWith(' user=', j) || text.startsWith('  user=', j))) n++;
  }
  return n;
}

/**
 * `user` is pam's `user=` when present, else `ruser=`; `more` (pam_unix's summary) is the number of
 * attempts. When a name contains `rhost=`, the line is counted only if it has a single reading (see
 * PAM_UNIX_FAILURE).
 */
export function pamDraft(m: RuleMatch): FailureDraft | null {
  const { ruser = '', user = '', more } = m.captures;
  if (ruser.includes('rhost=') || user.includes('rhost=')) {
    if (pamReadings(m.entry.message.toString('latin1')) !== 1) return null;
  }
  const d = draft(m, more === undefined ? 1 : Number(more), ['ruser', 'user', 'more']);
  if (!d) return null;
  const who = user || ruser;
  return who ? { ...d, captures: { ...d.captures, user: who } } : d;
}
