/**
 * Web applications: `grafana`, `gitlab`, `vaultwarden`, `bitwarden`, `drupal-auth`.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { draft } from './common.js';

/** One logfmt `key=value` pair; quoted values may contain escaped quotes and spaces. */
const PAIR = '[A-Za-z_][A-Za-z0-9_.]*=(?:"(?:[^"\\\\]|\\\\.)*"|[^ "]*)';

/** The `t=` of a Grafana log line, as epoch ms (its dates carry an offset or `Z`). */
function grafanaTime(raw: Buffer): number | undefined {
  const m = /(?:^| )t=(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})(?= )/.exec(raw.toString('latin1'));
  if (!m) return undefined;
  const zone = m[2] === 'Z' ? 'Z' : `${m[2]!.slice(0, 3)}:${m[2]!.slice(-2)}`;
  const t = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * `grafana`: failed logins (`msg="Invalid username or password" … remote_addr=<addr>`) in Grafana's
 * logfmt log, old (`t=… lvl=eror msg=…`) and new (`logger=context … t=… level=error msg=…`) key
 * orders. The line is read pair by pair, so a quoted user name (`uname="…"`) cannot supply a
 * `remote_addr`.
 */
export const grafanaFilter: FilterDefinition = {
  id: 'grafana',
  description: 'Grafana: invalid username or password',
  rules: [
    { id: 'invalid-login', pattern: `^(?:${PAIR} )*msg="Invalid username or password"(?: ${PAIR})* remote_addr=<ADDR>(?: ${PAIR})*$` },
  ],
  createReducer(): Reducer {
    return {
      reduce(m) {
        const d = draft(m);
        if (!d) return null;
        // f2b's date parser does not read logfmt's `t=`; the line's own time is exact (it has an offset).
        const t = m.entry.time === undefined ? grafanaTime(m.entry.raw) : undefined;
        return t === undefined ? d : { ...d, time: t };
      },
    };
  },
};

/**
 * `gitlab`: failed web logins from GitLab's `application.log` (`<time>: Failed Login: username=u
 * ip=addr`) and `application_json.log` (`"message":"Failed Login: username=u ip=addr"`). The user name
 * precedes the address; the address is anchored at the end of the message.
 */
export const gitlabFilter: FilterDefinition = {
  id: 'gitlab',
  description: 'GitLab: failed web logins (application.log, application_json.log)',
  rules: [
    { id: 'failed-login', pattern: '^:? ?Failed Login: username=(?P<user>.*) ip=<ADDR>$' },
    { id: 'failed-login', pattern: '^\\{.*"message":"Failed Login: username=(?P<user>.*) ip=<ADDR>"(?:,.*)?\\}$' },
  ],
};

/**
 * `vaultwarden`: wrong passwords, wrong admin tokens and wrong 2FA codes. Vaultwarden writes the
 * address before the user name.
 */
const VW = '^(?:\\[[0-9-]+ [0-9:.]+(?:[+-][0-9]{4})?\\])?\\[vaultwarden::';
export const vaultwardenFilter: FilterDefinition = {
  id: 'vaultwarden',
  description: 'Vaultwarden: wrong passwords, admin tokens and 2FA codes',
  rules: [
    { id: 'wrong-password', pattern: `${VW}api::identity\\]\\[ERROR\\] Username or password is incorrect\\. Try again\\. IP: <ADDR>\\. Username: (?P<user>.*)\\.$` },
    { id: 'wrong-admin-token', pattern: `${VW}api::admin\\]\\[ERROR\\] Invalid admin token\\. IP: <ADDR>$` },
    { id: 'wrong-2fa', pattern: `${VW}api::(?:core::)?two_factor::[a-z_]+\\]\\[ERROR\\] Invalid (?:TOTP code|email token|token)!? (?:Server time: [0-9-]+ [0-9:]+ UTC )?IP: <ADDR>\\.?$` },
  ],
};

/** `bitwarden`: failed logins of the Bitwarden server (`[Warning] Failed login attempt[, 2FA invalid]. <addr>`). */
export const bitwardenFilter: FilterDefinition = {
  id: 'bitwarden',
  description: 'Bitwarden server: failed logins and 2FA',
  rules: [
    { id: 'failed-login', pattern: '^(?:\\[Warning\\] )?Failed login attempt(?:, 2FA invalid)?\\. <ADDR>$' },
  ],
};

/**
 * `drupal-auth`: `Login attempt failed for <user>.` / `… from <addr>.` in Drupal's syslog module
 * format `base_url|timestamp|type|ip|request_uri|referer|uid|link|message`. The address is the fourth
 * field, written by Drupal; the referer (the client's) may contain `|`, so the message is read from
 * the end and may not contain `|`.
 */
const DRUPAL = '^[^|]*\\|[0-9]+\\|user\\|<ADDR>\\|[^|]*\\|.*\\|[0-9]+\\|[^|]*\\|';
export const drupalAuthFilter: FilterDefinition = {
  id: 'drupal-auth',
  description: 'Drupal (syslog module): failed logins',
  rules: [
    { id: 'login-failed', pattern: `${DRUPAL}Login attempt failed for (?P<user>[^|]*)\\.$` },
    { id: 'login-failed', pattern: `${DRUPAL}Login attempt failed from [0-9A-Fa-f.:]+\\.$` },
  ],
};
