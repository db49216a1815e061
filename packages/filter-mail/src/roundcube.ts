/**
 * `roundcube-auth`: failed Roundcube webmail logins (0.9 to 1.7; messages and sources in CATALOGUE.md),
 * in every form its `log_driver` writes: `file` (`logs/errors.log`, `logs/userlogins.log`:
 * `[30-Dec-2014 13:02:34 -0500]: <session> …`), `syslog` (`roundcube: <session> …`), `stdout` (the
 * Docker images: `errors: <session> …`, no date) and `php` (PHP's error_log: `[30-Dec-2014 18:02:34
 * UTC] errors: <session> …`).
 *
 * The user name comes before the address, and the `(X-Real-IP: …,X-Forwarded-For: …)` headers the
 * client may set come after it: the patterns take the last ` from <address>` that is followed by
 * Roundcube's own ending, read strictly (the headers as address characters only, the request URI
 * without spaces), so neither side can present a forged address.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { bracketedDmyWithOffset, oneAttempt } from './common.js';

/**
 * Left over by the date parser when it does not read the `±hhmm]:` of the file log (or the `]` of
 * PHP's), the driver's log name (stdout/php drivers) and the session tag.
 */
const PRE = '^(?:[+-][0-9]{2}:?[0-9]{2}\\]:? |: |\\] )?(?:(?:errors|userlogins): )?(?:<[A-Za-z0-9,-]+> )?';
/** rcube_utils::remote_ip(): REMOTE_ADDR, then the proxy headers (` (…)` since 1.4, `(…)` before). */
const PROXY_VALUE = '[0-9A-Fa-f.:, ]*';
const CLIENT = `from <ADDR>(?: ?\\((?:X-Real-IP: ${PROXY_VALUE}|X-Forwarded-For: ${PROXY_VALUE}|X-Real-IP: ${PROXY_VALUE},X-Forwarded-For: ${PROXY_VALUE})\\))?`;
/**
 * The IMAP error after `Login failed … from <addr>. `: `LOGIN: …` or `AUTHENTICATE <mech>: <server reply>`,
 * then ` in <file> on line N` (before 1.7) and the request. A reply with `[UNAVAILABLE]` is the IMAP
 * server's trouble (Dovecot's `Temporary authentication failure`): the reducer leaves it out. It is
 * read from the capture of the match, whose address is the last valid one, so a user name cannot
 * forge it (an info rule could be matched at an address inside the user name).
 */
const IMAP_ERROR = '\\. (?P<reply>[A-Z]+(?: [A-Z0-9-]+)?: [^()]*)(?: in [^ ()]+ on line [0-9]+)? \\([A-Z]+ [^ ]*\\)';

export const roundcubeAuthFilter: FilterDefinition = {
  id: 'roundcube-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Roundcube webmail: failed logins (IMAP errors and userlogins log)',
  rules: [
    // errors log: `IMAP Error: Login failed for <u> [against <imap host>] from <addr>[. <IMAP error> in <file> on line N (POST /?_task=login…)]`
    { id: 'imap-login-failed', pattern: `${PRE}IMAP Error: Login failed for (?P<user>.*) (?:against [^ ]+ )?${CLIENT}(?:${IMAP_ERROR})?$` },
    // userlogins log (log_logins = true)
    { id: 'login-failed', pattern: `${PRE}Failed login for (?P<user>.*) ${CLIENT} in session [A-Za-z0-9,-]+ \\(error: -?[0-9]+\\)$` },
    // Roundcube < 0.9
    { id: 'login-failed', pattern: `${PRE}FAILED login for (?P<user>.*) ${CLIENT}$` },
  ],
  createReducer(): Reducer {
    return {
      reduce(m) {
        const d = oneAttempt(m);
        if (!d) return null;
        const reply = d.captures?.reply;
        if (d.captures) delete d.captures.reply;
        if (reply?.includes('[UNAVAILABLE]')) return null;
        // `for <user> against <imap host> from …`: the greedy user capture took the IMAP host along.
        if (d.captures?.user) d.captures.user = d.captures.user.replace(/ against [^ ]+$/, '');
        // The file log's dates carry an offset the date parser may not apply; the line's own is exact.
        const t = bracketedDmyWithOffset(m.entry.raw);
        return t === undefined ? d : { ...d, time: t };
      },
    };
  },
};
