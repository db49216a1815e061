/**
 * Options of the `webhook` action: the JSON Schema the core checks, and reading secrets — the URL
 * and header values may come from an environment variable or a file, never appear in a log, and
 * are registered with `scrub`.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { JSONSchema } from '@f2b/core';
import { registerSecret, webhookErrors } from './errors.js';

export type WebhookFormat = 'json' | 'slack' | 'mattermost' | 'discord' | 'matrix';
/** A header value: literal text, or read from a variable or a file (first line), with an optional prefix (`Bearer `). */
export type SecretRef = string | { env: string; prefix?: string } | { file: string; prefix?: string };

export interface WebhookOptions {
  url?: string;
  urlEnv?: string;
  urlFile?: string;
  format?: WebhookFormat;
  /** Matrix: the room id (`!abc:example.org`) to post to. */
  room?: string;
  headers?: Record<string, SecretRef>;
  /** Shown as the sender (Slack/Mattermost/Discord `username`). */
  username?: string;
  /** The host name in messages. Default: this machine's. */
  host?: string;
  /** Send unbans too. Default true. */
  unbans?: boolean;
  /** A call with more events than this goes as one digest message. Default 5; 0: always a digest. */
  digestAbove?: number;
  /** Events listed in a chat digest (the rest are counted). Default 20. */
  digestLines?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  maxRetryAfterMs?: number;
  rateLimit?: { requests?: number; perSeconds?: number };
}

export interface WebhookConfig {
  url: URL;
  /** scheme://host:port — the only part of the URL messages show. */
  origin: string;
  format: WebhookFormat;
  room?: string;
  headers: Record<string, string>;
  username?: string;
  host: string;
  unbans: boolean;
  digestAbove: number;
  digestLines: number;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  maxRetryAfterMs: number;
  rateLimit: { requests: number; perSeconds: number };
}

const ENV = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };
const secretRef: JSONSchema = {
  oneOf: [
    { type: 'string', pattern: '^[^\\r\\n\\u0000]*$' },
    { type: 'object', additionalProperties: false, required: ['env'], properties: { env: ENV, prefix: { type: 'string' } } },
    { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', pattern: '^/' }, prefix: { type: 'string' } } },
  ],
};

export const optionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', pattern: '^https?://' },
    urlEnv: ENV,
    urlFile: { type: 'string', pattern: '^/' },
    format: { type: 'string', enum: ['json', 'slack', 'mattermost', 'discord', 'matrix'] },
    room: { type: 'string', pattern: '^![^\\s/]{1,255}$' },
    headers: { type: 'object', propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$" }, additionalProperties: secretRef },
    username: { type: 'string', minLength: 1, maxLength: 80 },
    host: { type: 'string', minLength: 1, maxLength: 253 },
    unbans: { type: 'boolean' },
    digestAbove: { type: 'integer', minimum: 0 },
    digestLines: { type: 'integer', minimum: 1, maximum: 1000 },
    timeoutMs: { type: 'integer', minimum: 50, maximum: 600_000 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    backoffMs: { type: 'integer', minimum: 1 },
    maxRetryAfterMs: { type: 'integer', minimum: 0 },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      properties: { requests: { type: 'integer', minimum: 1 }, perSeconds: { type: 'number', exclusiveMinimum: 0 } },
    },
  },
};

/** Checks what the schema cannot, reads the secrets, applies defaults. Throws F2bErrors. */
export function normalizeOptions(o: WebhookOptions, env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const given = (['url', 'urlEnv', 'urlFile'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw webhookErrors.F2B_ERR_WEBHOOK_OPTIONS(
      'url',
      given.length === 0 ? 'is missing' : `is given ${given.length} ways (${given.join(', ')})`,
      'Give exactly one of url, urlEnv (a variable holding it) and urlFile (a file holding it); chat webhook URLs are secrets, so prefer urlEnv or urlFile.',
    );
  }
  const raw = o.url ?? readSecret(o.urlEnv !== undefined ? { env: o.urlEnv } : { file: o.urlFile! }, env);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw webhookErrors.F2B_ERR_WEBHOOK_OPTIONS(given[0]!, 'is not a URL', 'Give an http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw webhookErrors.F2B_ERR_WEBHOOK_OPTIONS(given[0]!, 'is not an http or https URL', 'Give an http:// or https:// URL.');
  registerSecret(raw);
  // Slack's and Discord's URLs carry their secret in the path: it never appears in a message either.
  if (url.pathname.length > 1) registerSecret(url.pathname + url.search);
  const format = o.format ?? 'json';
  if ((format === 'matrix') !== (o.room !== undefined)) {
    throw webhookErrors.F2B_ERR_WEBHOOK_OPTIONS(
      'room',
      format === 'matrix' ? 'is missing (format matrix posts to a room)' : 'belongs to format matrix',
      format === 'matrix'
        ? 'Set room to the room id, e.g. "!abcdef:example.org", and url to the homeserver, e.g. https://matrix.example.org.'
        : 'Remove room, or set format: matrix.',
    );
  }
  const headers: Record<string, string> = {};
  for (const [name, ref] of Object.entries(o.headers ?? {})) {
    const value = typeof ref === 'string' ? ref : (ref.prefix ?? '') + readSecret(ref, env);
    if (/[\r\n\0]/.test(value)) throw webhookErrors.F2B_ERR_WEBHOOK_SECRET(`the header ${name}`, 'it contains a line break');
    // Header values are credentials more often than not: none of them is ever shown.
    registerSecret(typeof ref === 'string' ? value : value.slice((ref.prefix ?? '').length));
    headers[name.toLowerCase()] = value;
  }
  return {
    url,
    origin: url.origin,
    format,
    room: o.room,
    headers,
    username: o.username,
    host: o.host ?? hostname(),
    unbans: o.unbans ?? true,
    digestAbove: o.digestAbove ?? 5,
    digestLines: o.digestLines ?? 20,
    timeoutMs: o.timeoutMs ?? 10_000,
    maxAttempts: o.maxAttempts ?? 4,
    backoffMs: o.backoffMs ?? 1000,
    maxRetryAfterMs: o.maxRetryAfterMs ?? 120_000,
    rateLimit: { requests: o.rateLimit?.requests ?? 30, perSeconds: o.rateLimit?.perSeconds ?? 60 },
  };
}

function readSecret(ref: { env: string } | { file: string }, env: NodeJS.ProcessEnv): string {
  let text: string;
  if ('env' in ref) {
    text = env[ref.env] ?? '';
    if (text === '') throw webhookErrors.F2B_ERR_WEBHOOK_SECRET(`the variable ${ref.env}`, 'it is not set or empty');
  } else {
    try {
      text = readFileSync(ref.file, 'utf8');
    } catch (err) {
      throw webhookErrors.F2B_ERR_WEBHOOK_SECRET(`the file ${JSON.stringify(ref.file)}`, (err as NodeJS.ErrnoException).code ?? 'unreadable');
    }
  }
  const first = text.split(/\r?\n/)[0]!.trim();
  if (first === '')
    throw webhookErrors.F2B_ERR_WEBHOOK_SECRET('env' in ref ? `the variable ${ref.env}` : `the file ${JSON.stringify(ref.file)}`, 'it is empty');
  return first;
}
