/**
 * Web applications: `grafana`, `gitlab`, `vaultwarden`, `bitwarden`, `drupal-auth`. Each message is
 * listed with its source in CATALOGUE.md.
 */
import type { FilterDefinition, Reducer } from '@f2b/core';
import { JSON_PAIR, JSON_STRING_BODY, LOGFMT_PAIR, SessionMap, draft } from './common.js';

/** The `t=` (logfmt) or `"t":"…"` (JSON) of a Grafana log line, as epoch ms (its dates carry an offset or `Z`). */
function grafanaTime(raw: Buffer): number | undefined {
  const m = /(?:^| |,|\{)(?:t=|"t":")(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})(?=[ ",])/.exec(raw.toString('latin1'));
  if (!m) return undefined;
  const zone = m[2] === 'Z' ? 'Z' : `${m[2]!.slice(0, 3)}:${m[2]!.slice(-2)}`;
  const t = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/** A logfmt line read pair by pair, with `body` somewhere among the pairs. */
const logfmt = (body: string) => `^(?:${LOGFMT_PAIR} )*${body}(?: ${LOGFMT_PAIR})*$`;
/** A flat JSON object read pair by pair; `body` is one or more pairs (with their commas) in key order. */
const jsonObject = (body: string) => `^\\{(?:${JSON_PAIR},)*${body}(?:,${JSON_PAIR})*\\}$`;
const jsonBetween = `(?:${JSON_PAIR},)*`;

/** Grafana's login path, under a sub path or not (`serve_from_sub_path`). */
const GRAFANA_LOGIN_PATH = '(?:/[^ "/]+)*/login';
/** How long after `Invalid username or password` the `Request Completed` of the same request may come. */
const GRAFANA_SAME_REQUEST_MS = 10_000;

/**
 * `grafana`: failed logins in Grafana's log (logfmt, or JSON with `format = json`; keys sorted in
 * JSON). Grafana ≤ 9 writes `msg="Invalid username or password" … remote_addr=<addr>` (response.go,
 * `response.Error(401, …)` of LoginPost) and then the request's `msg="Request Completed"
 * method=POST path=/login status=401 remote_addr=<addr>`; Grafana ≥ 10 logs the login error at debug
 * level only, so the `Request Completed` line (status 400 or 401) is what shows a failed login. A
 * `Request Completed` that follows an `Invalid username or password` of the same address within a few
 * seconds is the same attempt and is not counted again. Lines are read pair by pair, so a quoted
 * value (`uname="…"`, an error text) cannot supply a `remote_addr`.
 */
export const grafanaFilter: FilterDefinition = {
  id: 'grafana',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Grafana: failed logins (Invalid username or password; POST /login answered 400/401)',
  rules: [
    { id: 'invalid-login', pattern: logfmt(`msg="Invalid username or password"(?: ${LOGFMT_PAIR})* remote_addr=<ADDR>`) },
    { id: 'invalid-login', pattern: jsonObject(`"msg":"Invalid username or password",${jsonBetween}"remote_addr":"<ADDR>"`) },
    { id: 'login-rejected', pattern: logfmt(`msg="Request Completed" method=POST path=${GRAFANA_LOGIN_PATH} status=40[01] remote_addr=<ADDR>`) },
    {
      id: 'login-rejected',
      pattern: jsonObject(
        `"method":"POST",${jsonBetween}"msg":"Request Completed",${jsonBetween}"path":"${GRAFANA_LOGIN_PATH}",${jsonBetween}"remote_addr":"<ADDR>",${jsonBetween}"status":40[01]`,
      ),
    },
  ],
  createReducer(): Reducer {
    const invalidAt = new SessionMap<number>(60_000);
    return {
      reduce(m) {
        const d = draft(m);
        if (!d) return null;
        // f2b's date parser may not read logfmt's `t=`; the line's own time is exact (it has an offset).
        const own = m.entry.time === undefined ? grafanaTime(m.entry.raw) : undefined;
        const time = own ?? m.time;
        if (m.rule.id === 'invalid-login') invalidAt.set(d.id, time, time);
        else {
          const before = invalidAt.get(d.id);
          if (before !== undefined && time - before <= GRAFANA_SAME_REQUEST_MS) {
            invalidAt.delete(d.id);
            return null;
          }
        }
        return own === undefined ? d : { ...d, time: own };
      },
      sweep: (now) => invalidAt.sweep(now),
    };
  },
};

/**
 * `gitlab`: failed web logins in GitLab's `application.log` (`<time>: Failed Login: username=u
 * ip=addr`) and `application_json.log` (`"message":"Failed Login: …"`), from SessionsController
 * (`log_failed_login`, password) and AuthenticatesWithTwoFactor (`Failed Login: user=u ip=addr
 * method=OTP|WebAuthn`, second factor); mode `aggressive` adds Rack::Attack's throttles and
 * blocklist in `auth.log` (`"message":"Rack_Attack","env":"throttle"|"blocklist",…"remote_ip":addr`).
 * The login name precedes the address: in the text form the address is anchored at the end; JSON is
 * read pair by pair and the message string ends at its first unescaped quote.
 */
const gitlabMessage = (id: string, text: string, json: string) => [
  { id, pattern: `^:? ?${text}$` },
  { id, pattern: jsonObject(`"message":"${json}"`) },
];
export const gitlabFilter: FilterDefinition = {
  id: 'gitlab',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'GitLab: failed web logins and second factors (application.log, application_json.log); Rack::Attack (aggressive)',
  modes: ['normal', 'aggressive'],
  rules: [
    ...gitlabMessage('failed-login', 'Failed Login: username=(?P<user>.*) ip=<ADDR>', `Failed Login: username=(?P<user>${JSON_STRING_BODY}) ip=<ADDR>`),
    ...gitlabMessage(
      'failed-2fa',
      'Failed Login: user=(?P<user>[^ ]*) ip=<ADDR> method=[A-Za-z0-9_]+',
      'Failed Login: user=(?P<user>[^ "\\\\]*) ip=<ADDR> method=[A-Za-z0-9_]+',
    ),
    {
      id: 'rack-attack',
      modes: ['aggressive'],
      pattern: jsonObject(`"message":"Rack_Attack",${jsonBetween}"env":"(?:throttle|blocklist|blacklist)",${jsonBetween}"(?:remote_ip|ip)":"<ADDR>"`),
    },
  ],
};

/**
 * `vaultwarden`: failed logins, admin tokens, second factors, API keys and Send passwords, from
 * Vaultwarden's `err!` messages (`<user message>. <log value>`: src/error.rs) with `extended_logging`
 * (`[date][vaultwarden::module][LEVEL] message`, the default; `bitwarden_rs::` before 1.21) or
 * without it (the message alone), on stdout, in `LOG_FILE`, in syslog (`USE_SYSLOG`) or the
 * journal. The address comes before any user name; user names are anchored at the fixed ending.
 * Mode `aggressive` adds probes that are not wrong secrets (malformed client ids, 2FA codes sent
 * without one having been requested, logins abandoned at the second factor).
 */
const VW = '^(?:(?:\\[[0-9][^\\]]*\\])?\\[(?:vaultwarden|bitwarden_rs)(?:::[a-z0-9_]+)*\\]\\[(?:ERROR|WARN|INFO)\\] )?';
export const vaultwardenFilter: FilterDefinition = {
  id: 'vaultwarden',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Vaultwarden: wrong passwords, admin tokens, 2FA codes, API keys and Send passwords',
  modes: ['normal', 'aggressive'],
  rules: [
    { id: 'wrong-password', pattern: `${VW}Username or (?:password|access code) is incorrect\\. Try again\\. IP: <ADDR>\\. Username: (?P<user>.*)\\.$` },
    { id: 'wrong-client-secret', pattern: `${VW}Incorrect client_secret\\. IP: <ADDR>\\. (?:Username: (?P<user>.*)|Organization: [0-9a-f-]+)\\.$` },
    { id: 'wrong-admin-token', pattern: `${VW}Invalid admin token\\. IP: <ADDR>$` },
    { id: 'wrong-2fa', pattern: `${VW}Invalid TOTP code! Server time: [0-9-]+ [0-9:]+ UTC IP: <ADDR>$` },
    { id: 'wrong-2fa', pattern: `${VW}Token is invalid! IP: <ADDR>$` },
    { id: 'wrong-send-password', pattern: `${VW}Invalid password\\. IP: <ADDR>\\.$` },
    { id: 'bad-client-id', modes: ['aggressive'], pattern: `${VW}(?:Malformed|Invalid) client_id\\. IP: <ADDR>\\.$` },
    { id: 'no-2fa-token', modes: ['aggressive'], pattern: `${VW}No token available! IP: <ADDR>$` },
    {
      id: 'incomplete-2fa',
      modes: ['aggressive'],
      pattern: `${VW}User (?P<user>.*) did not complete a 2FA login within the configured time limit\\. IP: <ADDR>$`,
    },
  ],
};

/**
 * `bitwarden`: failed logins of the Bitwarden server (self-hosted Identity service, BaseRequestValidator
 * `BuildErrorResultAsync` / `LogFailedLoginEvent`): `Failed login attempt. <addr>` (two spaces in
 * 2024+ releases), `Failed login attempt, 2FA invalid. <addr>`, at level `[Warning]` (or `[WRN]`).
 */
export const bitwardenFilter: FilterDefinition = {
  id: 'bitwarden',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Bitwarden server: failed logins and 2FA',
  rules: [
    // the service's own date stays in the message when its stdout is read from the journal
    {
      id: 'failed-login',
      pattern: '^(?:[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ [+-][0-9]{2}:[0-9]{2} )?(?:\\[(?:Warning|WRN)\\] )?Failed login attempt(?:, 2FA invalid)?\\. +<ADDR>$',
    },
  ],
};

/**
 * `drupal-auth`: failed logins in Drupal's syslog module format
 * `base_url|timestamp|type|ip|request_uri|referer|uid|link|message` (Drupal 7–11, any identity):
 * `Login attempt failed for <user>.` (a known user, all versions), `Login attempt failed from <addr>.`
 * (an unknown user, 8+), and the attempts flood control refused (9.1+ UserFloodSubscriber:
 * `Flood control blocked login attempt [for uid N] [from <addr>]`). The address is the fourth field,
 * written by Drupal; the request URI and referer (the client's) may contain `|`, so the message is
 * read from the end and may not contain `|`.
 */
const DRUPAL = '^[^|]*\\|[0-9]+\\|user\\|<ADDR>\\|[^|]*\\|.*\\|[0-9]+\\|[^|]*\\|';
export const drupalAuthFilter: FilterDefinition = {
  id: 'drupal-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Drupal (syslog module): failed logins and logins refused by flood control',
  rules: [
    { id: 'login-failed', pattern: `${DRUPAL}Login attempt failed for (?P<user>[^|]*)\\.$` },
    { id: 'login-failed', pattern: `${DRUPAL}Login attempt failed from [0-9A-Fa-f.:]+\\.$` },
    { id: 'flood-blocked', pattern: `${DRUPAL}Flood control blocked login attempt(?: for uid [0-9]+)?(?: from [0-9A-Fa-f.:]+)?$` },
  ],
};
