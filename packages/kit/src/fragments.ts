/**
 * Pattern fragments that several filter packages need the same way (RE2 syntax, with f2b's `<HOST>`
 * and `<ADDR>` placeholders).
 */
import { oneAttempt, type AttemptDraft, type MatchLike } from './reducer.js';

/**
 * Start of an access-log line in the common/combined format (Apache, nginx), optionally with the
 * virtual host first (`%v %h …`, `$host $remote_addr …`): the client address is the first field, so
 * what the client wrote (request, referrer, user agent) comes after it and cannot name it.
 */
export const ACCESS_LOG_START = '^(?:[A-Za-z0-9._-]+(?::[0-9]+)? )?<ADDR> [^ ]+ [^ ]+ \\[[^\\]]+\\] ';

/** A quoted access-log field: Apache escapes `"` as `\"`, nginx as `\x22`, so a field ends at the first unescaped quote. */
export const ACCESS_LOG_QUOTED = '"(?:[^"\\\\]|\\\\.)*"';

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
export function pamDraft(m: MatchLike & { readonly entry: { readonly message: Buffer } }): AttemptDraft | null {
  const { ruser = '', user = '', more } = m.captures;
  if (ruser.includes('rhost=') || user.includes('rhost=')) {
    if (pamReadings(m.entry.message.toString('latin1')) !== 1) return null;
  }
  const d = oneAttempt(m, more === undefined ? 1 : Number(more), ['ruser', 'user', 'more']);
  if (!d) return null;
  const who = user || ruser;
  return who ? { ...d, captures: { ...d.captures, user: who } } : d;
}
