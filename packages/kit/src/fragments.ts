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
 * pam_unix's failure line. `ruser` and `user` are both the client's; the first `rhost=` followed by
 * pam_unix's own ending (`  user=…` or the end of the line) is taken.
 */
export const PAM_UNIX_FAILURE = 'authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=(?P<ruser>.*?) rhost=<HOST>(?: +user=(?P<user>.*?))? *$';

/** One attempt for a PAM_UNIX_FAILURE match; `user` is pam's `user=` when present, else `ruser=`. */
export function pamDraft(m: MatchLike): AttemptDraft | null {
  const d = oneAttempt(m, 1, ['ruser', 'user']);
  if (!d) return null;
  const who = m.captures.user || m.captures.ruser;
  return who ? { ...d, captures: { ...d.captures, user: who } } : d;
}
