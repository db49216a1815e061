/**
 * Options of the `cloudflare` action: the JSON Schema core validates, the checks a schema cannot
 * express (which id each mode needs), defaults, and reading the API token from its file or
 * environment variable — never from the config itself.
 */
import { readFileSync, statSync } from 'node:fs';
import type { JSONSchema } from '@f2b/core';
import { cfErrors, registerSecret } from './errors.js';

export type CloudflareMode = 'access-rules' | 'list';
export type RuleMode = 'block' | 'challenge' | 'js_challenge' | 'managed_challenge';

export interface CloudflareOptions {
  /** `access-rules` (default): one IP Access Rule per ban; `list`: items of an account IP list. */
  mode?: CloudflareMode;
  /** Zone of the access rules (access-rules mode; exclusive with accountId). */
  zoneId?: string;
  /** Account of the access rules, or of the list (list mode). */
  accountId?: string;
  /** Name of the IP list (list mode; found or created). Default `f2b_banned`. */
  listName?: string;
  /** Id of an existing IP list (list mode; instead of listName). */
  listId?: string;
  /** What an access rule does. Default `block`. */
  ruleMode?: RuleMode;
  /** File holding the API token (first line). */
  tokenFile?: string;
  /** Environment variable holding the API token. */
  tokenEnv?: string;
  /** Default `https://api.cloudflare.com/client/v4`. */
  apiBase?: string;
  /** Client-side limit, per token: at most `requests` in any `perSeconds` window. Default 1200 / 300. */
  rateLimit?: { requests?: number; perSeconds?: number };
  /** Per-request timeout (headers and body), ms. Default 15000. */
  timeoutMs?: number;
  /** Prefix of the notes / comments that mark what f2b made. Default `f2b:`. */
  notesMarker?: string;
  /** Attempts per request for 5xx, 429 and network errors. Default 4. */
  maxAttempts?: number;
  /** First backoff delay, ms (doubles per attempt, with jitter). Default 1000. */
  backoffMs?: number;
  /** Seconds after start before Cloudflare is reconciled with f2b's bans; -1: never. Default 30. */
  reconcileDelay?: number;
  /** Seconds between later reconciliations; 0: none. Default 3600. */
  reconcileInterval?: number;
  /** List mode: items the account may hold in all its lists (your plan's limit). Default 10000. */
  maxItems?: number;
}

/** The options after checks and defaults, with the token read. */
export interface CloudflareConfig {
  mode: CloudflareMode;
  /** `zones/<id>` or `accounts/<id>`: where access rules live. */
  scopePath: string;
  accountId?: string;
  listName?: string;
  listId?: string;
  ruleMode: RuleMode;
  token: string;
  apiBase: string;
  rateLimit: { requests: number; perSeconds: number };
  timeoutMs: number;
  notesMarker: string;
  maxAttempts: number;
  backoffMs: number;
  reconcileDelayMs: number;
  reconcileIntervalMs: number;
  maxItems: number;
  /** Where the token came from, for messages (`tokenFile /etc/…`, `tokenEnv CF_TOKEN`). */
  tokenSource: string;
}

export const DEFAULT_API_BASE = 'https://api.cloudflare.com/client/v4';
export const DEFAULT_LIST_NAME = 'f2b_banned';
export const RULE_MODES: readonly RuleMode[] = ['block', 'challenge', 'js_challenge', 'managed_challenge'];

const id = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' };
/** Accepted only to be refused with a clear message: tokens never go into a config. */
const forbidden = { description: 'not allowed: use tokenFile or tokenEnv' };

export const optionsSchema: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: { type: 'string', enum: ['access-rules', 'list'] },
    zoneId: id,
    accountId: id,
    listName: { type: 'string', pattern: '^[a-z0-9_]{1,50}$' },
    listId: id,
    ruleMode: { type: 'string', enum: [...RULE_MODES] },
    tokenFile: { type: 'string', minLength: 1 },
    tokenEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    apiBase: { type: 'string', pattern: '^https?://' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      properties: { requests: { type: 'integer', minimum: 2 }, perSeconds: { type: 'number', exclusiveMinimum: 0 } },
    },
    timeoutMs: { type: 'integer', minimum: 100 },
    notesMarker: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[^\\s]+$' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    backoffMs: { type: 'integer', minimum: 1 },
    reconcileDelay: { type: 'number', minimum: -1 },
    reconcileInterval: { type: 'number', minimum: 0 },
    maxItems: { type: 'integer', minimum: 1 },
    token: forbidden,
    apiToken: forbidden,
    apiKey: forbidden,
  },
};

/** Checks what the schema cannot, applies defaults and reads the token. Throws F2bErrors. */
export function normalizeOptions(o: CloudflareOptions, env: NodeJS.ProcessEnv = process.env): CloudflareConfig {
  for (const key of ['token', 'apiToken', 'apiKey']) {
    if (key in (o as Record<string, unknown>)) throw cfErrors.F2B_ERR_CF_OPTIONS({ inlineToken: key });
  }
  const mode = o.mode ?? 'access-rules';
  let scopePath: string;
  if (mode === 'access-rules') {
    if ((o.zoneId === undefined) === (o.accountId === undefined)) {
      throw cfErrors.F2B_ERR_CF_OPTIONS(
        'access-rules mode needs exactly one of zoneId and accountId',
        'Set zoneId for rules on one site, or accountId for rules on every zone of the account.',
      );
    }
    if (o.listName !== undefined || o.listId !== undefined) {
      throw cfErrors.F2B_ERR_CF_OPTIONS('listName and listId belong to list mode', 'Remove them, or set mode: list.');
    }
    scopePath = o.zoneId !== undefined ? `zones/${o.zoneId}` : `accounts/${o.accountId}`;
  } else {
    if (o.accountId === undefined || o.zoneId !== undefined) {
      throw cfErrors.F2B_ERR_CF_OPTIONS('list mode needs accountId (lists belong to an account) and no zoneId', 'Set accountId and remove zoneId.');
    }
    if (o.listName !== undefined && o.listId !== undefined) {
      throw cfErrors.F2B_ERR_CF_OPTIONS('listName and listId exclude each other', 'Keep one of them.');
    }
    if (o.ruleMode !== undefined) {
      throw cfErrors.F2B_ERR_CF_OPTIONS(
        'ruleMode belongs to access-rules mode; in list mode the WAF custom rule decides',
        'Remove ruleMode, and choose the action in the custom rule that uses the list.',
      );
    }
    scopePath = `accounts/${o.accountId}`;
  }
  const rl = { requests: o.rateLimit?.requests ?? 1200, perSeconds: o.rateLimit?.perSeconds ?? 300 };
  const { token, source } = readToken(o, env);
  return {
    mode,
    scopePath,
    accountId: o.accountId,
    listName: mode === 'list' && o.listId === undefined ? (o.listName ?? DEFAULT_LIST_NAME) : undefined,
    listId: mode === 'list' ? o.listId : undefined,
    ruleMode: o.ruleMode ?? 'block',
    token,
    tokenSource: source,
    apiBase: (o.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, ''),
    rateLimit: rl,
    timeoutMs: o.timeoutMs ?? 15_000,
    notesMarker: o.notesMarker ?? 'f2b:',
    maxAttempts: o.maxAttempts ?? 4,
    backoffMs: o.backoffMs ?? 1000,
    reconcileDelayMs: (o.reconcileDelay ?? 30) < 0 ? -1 : (o.reconcileDelay ?? 30) * 1000,
    reconcileIntervalMs: (o.reconcileInterval ?? 3600) * 1000,
    maxItems: o.maxItems ?? 10_000,
  };
}

function readToken(o: CloudflareOptions, env: NodeJS.ProcessEnv): { token: string; source: string } {
  if ((o.tokenFile === undefined) === (o.tokenEnv === undefined)) {
    throw cfErrors.F2B_ERR_CF_OPTIONS(
      'exactly one of tokenFile and tokenEnv is needed',
      'Name the file that holds the API token with tokenFile, or the environment variable with tokenEnv.',
    );
  }
  let raw: string;
  let source: string;
  if (o.tokenFile !== undefined) {
    source = `tokenFile ${JSON.stringify(o.tokenFile)}`;
    try {
      raw = readFileSync(o.tokenFile, 'utf8');
    } catch (err) {
      throw cfErrors.F2B_ERR_CF_TOKEN(source, (err as NodeJS.ErrnoException).code ?? 'unreadable');
    }
  } else {
    source = `tokenEnv ${o.tokenEnv}`;
    raw = env[o.tokenEnv!] ?? '';
    if (raw === '') throw cfErrors.F2B_ERR_CF_TOKEN(source, 'the variable is not set or empty');
  }
  const token = raw.split(/\r?\n/)[0]!.trim();
  if (token === '') throw cfErrors.F2B_ERR_CF_TOKEN(source, 'it is empty');
  // A token is one printable word: anything else would end up in an HTTP header.
  if (!/^[\x21-\x7e]+$/.test(token)) throw cfErrors.F2B_ERR_CF_TOKEN(source, 'it contains spaces or control characters');
  registerSecret(token);
  return { token, source };
}

/** True if the token file can be read by other users (worth a warning). */
export function tokenFileIsOpen(path: string): boolean {
  try {
    return (statSync(path).mode & 0o004) !== 0;
  } catch {
    return false;
  }
}
