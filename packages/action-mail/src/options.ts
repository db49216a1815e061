/**
 * Options of the `mail` action: the JSON Schema core validates, and their normalised form.
 * Addresses are checked against a strict form here (no display names, no comments, nothing that
 * could start a new header or an option of sendmail), and the SMTP password is read from a file or
 * the environment only — never from the config itself.
 */
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseDuration } from '@f2b/kit';
import { mailErrors, registerSecret } from './errors.js';

export type MailEvent = 'ban' | 'unban';

export interface SmtpOptions {
  /** Server (default `localhost`). */
  host?: string;
  /** Port (default 25; 465 with `secure`, 587 for submission). */
  port?: number;
  /** Implicit TLS from the first byte (port 465). Default false. */
  secure?: boolean;
  /** STARTTLS: `opportunistic` (default: when the server offers it), `required` or `never`. */
  starttls?: 'opportunistic' | 'required' | 'never';
  /** Check the server's certificate (default true). */
  tlsVerify?: boolean;
  /** User name for SMTP AUTH; the password comes from `passwordFile` or `passwordEnv`. */
  user?: string;
  passwordFile?: string;
  passwordEnv?: string;
  /** Seconds to wait for the server at each step (default 20). */
  timeout?: number;
  /** The name f2b gives in EHLO (default: the host name). */
  ehloName?: string;
}

export interface MailOptions {
  /** Recipients: one address or a list. */
  to: string | string[];
  /** Sender address (default `f2b@<host name>`). */
  from?: string;
  /** `smtp` (default when `smtp` is given) or `sendmail` (the local sendmail program; the default otherwise). */
  transport?: 'smtp' | 'sendmail';
  smtp?: SmtpOptions;
  /** The sendmail program (default `/usr/sbin/sendmail`). */
  sendmailPath?: string;
  /** `each` (default: a mail per batch of events) or `digest` (one mail per digestInterval). */
  mode?: 'each' | 'digest';
  /** Events that make mail (default `[ban]`). */
  events?: MailEvent[];
  /** Digest period (default 1h). */
  digestInterval?: number | string;
  /** The log lines that led to a ban, in the mail (default true; at most `maxLines` per ban, default 10). */
  lines?: boolean;
  maxLines?: number;
  /** Local notes about the address (its network, special ranges, ban count): `none` (default) or `local`. Never a network lookup. */
  whois?: 'none' | 'local';
  /** Text before every subject (default `[f2b]`). */
  subjectPrefix?: string;
}

const ADDRESS_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;
const HOST_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$|^\[[0-9A-Fa-f:.]{2,45}\]$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const duration = {
  oneOf: [
    { type: 'number', minimum: 0 },
    { type: 'string', minLength: 1, maxLength: 32 },
  ],
};
const address = { type: 'string', maxLength: 254 };

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  // `to` may come from the plugin's options (defaults for every jail): normalizeOptions requires it.
  properties: {
    to: { oneOf: [address, { type: 'array', items: address, minItems: 1, maxItems: 50 }] },
    from: address,
    transport: { enum: ['smtp', 'sendmail'] },
    smtp: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', maxLength: 255 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        secure: { type: 'boolean' },
        starttls: { enum: ['opportunistic', 'required', 'never'] },
        tlsVerify: { type: 'boolean' },
        user: { type: 'string', minLength: 1, maxLength: 255 },
        password: { not: {}, description: 'not allowed: use smtp.passwordFile or smtp.passwordEnv' },
        passwordFile: { type: 'string', minLength: 1 },
        passwordEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        timeout: { type: 'number', exclusiveMinimum: 0, maximum: 600 },
        ehloName: { type: 'string', maxLength: 255 },
      },
    },
    sendmailPath: { type: 'string', minLength: 1, pattern: '^/[^\\s]*$' },
    mode: { enum: ['each', 'digest'] },
    events: { type: 'array', items: { enum: ['ban', 'unban'] }, minItems: 1, uniqueItems: true },
    digestInterval: duration,
    lines: { type: 'boolean' },
    maxLines: { type: 'integer', minimum: 0, maximum: 1000 },
    whois: { enum: ['none', 'local'] },
    subjectPrefix: { type: 'string', maxLength: 64 },
  },
} as const;

export interface SmtpConfig {
  host: string;
  port: number;
  secure: boolean;
  starttls: 'opportunistic' | 'required' | 'never';
  tlsVerify: boolean;
  auth?: { user: string; pass: string; source: string };
  timeoutMs: number;
  ehloName: string;
}

export interface MailConfig {
  to: string[];
  from: string;
  transport: 'smtp' | 'sendmail';
  smtp: SmtpConfig;
  sendmailPath: string;
  mode: 'each' | 'digest';
  events: Set<MailEvent>;
  digestIntervalMs: number;
  lines: boolean;
  maxLines: number;
  whois: 'none' | 'local';
  subjectPrefix: string;
  /** This host, as the mails name it. */
  host: string;
}

const bad = mailErrors.F2B_ERR_MAIL_OPTIONS;

export function isAddress(text: unknown): text is string {
  return typeof text === 'string' && text.length <= 254 && ADDRESS_RE.test(text);
}

/** The host name, reduced to what may stand in a header and an address (`f2b@host`). */
export function safeHostname(name = hostname()): string {
  const h = name
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+/, '')
    .slice(0, 253);
  return h === '' ? 'localhost' : h;
}

function readPassword(smtp: SmtpOptions, env: NodeJS.ProcessEnv): { pass: string; source: string } {
  if ((smtp.passwordFile === undefined) === (smtp.passwordEnv === undefined)) {
    throw bad(
      'smtp',
      'has a user but not exactly one of passwordFile and passwordEnv',
      'Name the file that holds the password with smtp.passwordFile, or the environment variable with smtp.passwordEnv.',
    );
  }
  let raw: string;
  let source: string;
  if (smtp.passwordFile !== undefined) {
    source = `smtp.passwordFile ${JSON.stringify(smtp.passwordFile)}`;
    try {
      raw = readFileSync(smtp.passwordFile, 'utf8');
    } catch (err) {
      throw Object.assign(mailErrors.F2B_ERR_MAIL_PASSWORD(source, (err as NodeJS.ErrnoException).code ?? 'unreadable'), { cause: err });
    }
  } else {
    source = `smtp.passwordEnv ${smtp.passwordEnv}`;
    raw = env[smtp.passwordEnv!] ?? '';
    if (raw === '') throw mailErrors.F2B_ERR_MAIL_PASSWORD(source, 'the variable is not set or empty');
  }
  const pass = raw.split(/\r?\n/)[0]!;
  if (pass === '') throw mailErrors.F2B_ERR_MAIL_PASSWORD(source, 'it is empty');
  registerSecret(pass);
  return { pass, source };
}

/** True if the password file can be read by other users (worth a warning). */
export function fileIsOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}

/** Validates (again: the action may be created without core's schema check) and applies defaults. */
export function normalizeOptions(raw: MailOptions | undefined, env: NodeJS.ProcessEnv = process.env): MailConfig {
  const o = (raw ?? {}) as MailOptions;
  const to = typeof o.to === 'string' ? [o.to] : Array.isArray(o.to) ? o.to : [];
  if (to.length === 0) throw bad('to', 'is missing', 'Name at least one recipient: to: admin@example.org.');
  to.forEach((a, i) => {
    if (!isAddress(a))
      throw bad(`to.${i}`, `${JSON.stringify(a)} is not a plain mail address`, 'Write user@domain, without a display name, spaces or angle brackets.');
  });
  const host = safeHostname();
  const from = o.from ?? `f2b@${host.includes('.') ? host : `${host}.localdomain`}`;
  if (!isAddress(from))
    throw bad('from', `${JSON.stringify(from)} is not a plain mail address`, 'Write user@domain, without a display name, spaces or angle brackets.');
  const transport = o.transport ?? (o.smtp !== undefined ? 'smtp' : 'sendmail');
  const s = o.smtp ?? {};
  const smtpHost = s.host ?? 'localhost';
  if (!HOST_RE.test(smtpHost))
    throw bad('smtp.host', `${JSON.stringify(smtpHost)} is not a host name or address`, 'Write mail.example.org, 127.0.0.1 or [2001:db8::25].');
  const ehloName = s.ehloName ?? host;
  if (!HOST_RE.test(ehloName)) throw bad('smtp.ehloName', `${JSON.stringify(ehloName)} is not a host name`, "Write this host's name, e.g. mx1.example.org.");
  if ((s as { password?: unknown }).password !== undefined)
    throw bad(
      'smtp.password',
      'is not allowed in the config (it would be readable by anyone who reads the config)',
      'Put the password in a file readable only by root and name it with smtp.passwordFile, or use smtp.passwordEnv.',
    );
  if (s.user !== undefined && !PRINTABLE_RE.test(s.user)) throw bad('smtp.user', 'contains control characters', 'Write the user name as the server knows it.');
  const auth = s.user !== undefined ? { user: s.user, ...readPassword(s, env) } : undefined;
  const sendmailPath = o.sendmailPath ?? '/usr/sbin/sendmail';
  if (!sendmailPath.startsWith('/') || /\s/.test(sendmailPath))
    throw bad('sendmailPath', `${JSON.stringify(sendmailPath)} is not an absolute path`, 'Write /usr/sbin/sendmail or another absolute path.');
  const subjectPrefix = o.subjectPrefix ?? '[f2b]';
  if (!PRINTABLE_RE.test(subjectPrefix)) throw bad('subjectPrefix', 'contains control characters', 'Write plain text such as "[f2b]".');
  let digestIntervalMs = 3_600_000;
  if (o.digestInterval !== undefined) {
    try {
      digestIntervalMs = Math.round(parseDuration(o.digestInterval, 'digestInterval') * 1000);
    } catch (cause) {
      throw Object.assign(
        bad('digestInterval', `is not a duration (${JSON.stringify(o.digestInterval)})`, 'Write seconds (3600) or a duration with a unit ("1h", "15m").'),
        { cause },
      );
    }
    if (!(digestIntervalMs >= 1000)) throw bad('digestInterval', 'is shorter than a second', 'Write a period such as "15m" or "1h".');
  }
  return {
    to,
    from,
    transport,
    smtp: {
      host: smtpHost,
      port: s.port ?? (s.secure ? 465 : 25),
      secure: s.secure ?? false,
      starttls: s.starttls ?? 'opportunistic',
      tlsVerify: s.tlsVerify ?? true,
      auth,
      timeoutMs: Math.round((s.timeout ?? 20) * 1000),
      ehloName,
    },
    sendmailPath,
    mode: o.mode ?? 'each',
    events: new Set(o.events ?? ['ban']),
    digestIntervalMs,
    lines: o.lines ?? true,
    maxLines: o.maxLines ?? 10,
    whois: o.whois ?? 'none',
    subjectPrefix,
    host,
  };
}
