/**
 * `roundcube-auth`: failed Roundcube webmail logins, from its `errors`/`userlogins` logs
 * (`[30-Dec-2014 13:02:34 -0500]: …`) or syslog (`roundcube: …`), Roundcube 0.9 to 1.6.
 *
 * The user name comes before the address; the patterns take the last ` from <address>` that is
 * followed by Roundcube's own ending, which is read strictly (the request URI has no spaces).
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { bracketedDmyWithOffset, oneAttempt } from './common.js';

/** Left over by the date parser when it does not read the `±hhmm]:` of the file log, and the session tag. */
const PRE = '^(?:[+-][0-9]{2}:?[0-9]{2}\\]:? |: )?(?:<[A-Za-z0-9]+> )?';
const CLIENT = 'from <ADDR>(?:\\((?:X-Real-IP|X-Forwarded-For): [^()]*\\))?';

export const roundcubeAuthFilter: FilterDefinition = {
  id: 'roundcube-auth',
  description: 'Roundcube webmail: failed logins (IMAP errors and userlogins log)',
  rules: [
    // errors log: `IMAP Error: Login failed for <u> [against <imap host>] from <addr>. AUTHENTICATE PLAIN: <server reply> in <file> on line N (POST /?_task=login…)`
    {
      id: 'imap-login-failed',
      pattern: `${PRE}IMAP Error: Login failed for (?P<user>.*) (?:against [^ ]+ )?${CLIENT}(?:\\. [A-Z]+(?: [A-Z0-9-]+)?: [^()]* in [^ ()]+ on line [0-9]+ \\([A-Z]+ [^ ]*\\))?$`,
    },
    // userlogins log
    { id: 'login-failed', pattern: `${PRE}Failed login for (?P<user>.*) ${CLIENT} in session [A-Za-z0-9]+ \\(error: -?[0-9]+\\)$` },
    // Roundcube < 0.9
    { id: 'login-failed', pattern: `${PRE}FAILED login for (?P<user>.*) ${CLIENT}$` },
  ],
  createReducer(): Reducer {
    return {
      reduce(m) {
        const d = oneAttempt(m);
        if (!d) return null;
        // `for <user> against <imap host> from …`: the greedy user capture took the IMAP host along.
        if (d.captures?.user) d.captures.user = d.captures.user.replace(/ against [^ ]+$/, '');
        // The file log's dates carry an offset the date parser may not apply; the line's own is exact.
        const t = bracketedDmyWithOffset(m.entry.raw);
        return t === undefined ? d : { ...d, time: t };
      },
    };
  },
};
