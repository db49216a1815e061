/**
 * The errors of `@f2b/action-cloudflare`, one row per code (the table style of `@f2b/kit`). Every
 * message is a full sentence; every error carries a fix. Texts that come from outside (Cloudflare's error messages, network errors)
 * pass through `scrub` before they go into a message, so the API token can never be printed, even
 * if some server or library were to echo it back.
 */
import { F2bError, defineErrors, type F2bErrorDetails } from '@f2b/kit';

/** One entry of the `errors` array of Cloudflare's response envelope. */
export interface CfApiError {
  code: number;
  message: string;
  /** Causes, most specific last (e.g. 6003 "Invalid request headers" ← 6111 "Invalid format for Authorization header"). */
  error_chain?: { code: number; message: string }[];
}

const REDACTED = '[redacted]';
const secrets = new Set<string>();

/** Remember a secret (the API token) so that `scrub` removes it from any text. */
export function registerSecret(secret: string): void {
  if (secret.length >= 4) secrets.add(secret);
}

/** `text` with every registered secret (and anything shaped like a bearer header) replaced. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`);
}

/** Cloudflare's `errors` array as text: `10000 "Authentication error"; 9109 "…"`. */
export function describeCfErrors(list: readonly CfApiError[]): string {
  if (list.length === 0) return 'no error details';
  const one = (e: { code: number; message: string }) => `${e.code} ${JSON.stringify(String(e.message).slice(0, 300))}`;
  return scrub(
    list.map((e) => one(e) + (Array.isArray(e.error_chain) && e.error_chain.length > 0 ? ` (${e.error_chain.map(one).join(', ')})` : '')).join('; '),
  );
}

/** What a Cloudflare error carries beyond an `F2bError`. */
interface CloudflareDetails {
  /** HTTP status, when Cloudflare answered. */
  status?: number;
  cfErrors?: readonly CfApiError[];
  /** The whole drain stops on it (Cloudflare down, token refused): the other items wait for a retry. */
  fatal?: boolean;
}

/** An error from the Cloudflare API or the way to it. */
export class CloudflareError extends F2bError {
  /** HTTP status, when Cloudflare answered. */
  readonly status?: number;
  readonly cfErrors: readonly CfApiError[];
  /** The whole drain stops on it (Cloudflare down, token refused): the other items wait for a retry. */
  readonly fatal: boolean;

  constructor(code: string, message: string, details: F2bErrorDetails & CloudflareDetails = {}) {
    super(code, scrub(message), details);
    this.name = 'CloudflareError';
    this.status = details.status;
    this.cfErrors = details.cfErrors ?? [];
    this.fatal = details.fatal ?? false;
  }

  /** True if one of Cloudflare's error codes is `code`. */
  has(code: number): boolean {
    return this.cfErrors.some((e) => e.code === code);
  }
}

/** The options and the token: refused before any request, as plain `F2bError`s. */
const setupErrors = defineErrors({
  /** A bad option (`problem`, `fix`), or `{ inlineToken }`: an option that would put the token in the config. */
  F2B_ERR_CF_OPTIONS: {
    exit: 'usage',
    make: (...a: [problem: string, fix: string] | [refused: { inlineToken: string }]) =>
      a.length === 1
        ? {
            message: `The cloudflare action option "${a[0].inlineToken}" would put the API token in the config file, which is not allowed.`,
            fix: 'Remove it; put the token in a file readable only by root and name it with tokenFile, or name an environment variable with tokenEnv.',
          }
        : { message: `The cloudflare action options are invalid: ${a[0]}.`, fix: a[1] },
  },

  F2B_ERR_CF_TOKEN: {
    exit: 'usage',
    make: (where: string, problem: string) => ({
      message: `The Cloudflare API token could not be read from ${where}: ${scrub(problem)}.`,
      fix: 'Create an API token (see the README of @f2b/action-cloudflare) and store it there, or fix tokenFile / tokenEnv.',
    }),
  },
});

/** What Cloudflare (or the way to it) answered: `CloudflareError`s with the status and Cloudflare's own codes. */
const apiErrors = defineErrors(
  {
    F2B_ERR_CF_AUTH: {
      exit: 'failure',
      make: (status: number, method: string, path: string, list: readonly CfApiError[]) => ({
        message: `Cloudflare refused the API token for ${method} ${path} (HTTP ${status}; Cloudflare errors: ${describeCfErrors(list)})`,
        fix: 'Check that the token is valid, not expired, and has the permission this mode needs (Zone > Firewall Services > Edit for zone access rules, Account > Account Firewall Access Rules > Edit for account access rules, Account > Account Filter Lists > Edit for lists). f2b retries with the outbox every 30 s.',
        status,
        cfErrors: list,
        fatal: true,
      }),
    },

    F2B_ERR_CF_API: {
      exit: 'failure',
      make: (status: number, method: string, path: string, list: readonly CfApiError[]) => ({
        message: `Cloudflare rejected ${method} ${path} (HTTP ${status}; Cloudflare errors: ${describeCfErrors(list)})`,
        fix: "Read Cloudflare's error message above; check zoneId / accountId / listId and the token's permissions.",
        status,
        cfErrors: list,
      }),
    },

    /** Cloudflare could not be reached (`method`, `path`, `attempts`, the `last` problem), or `{ bulkOperation, seconds }` did not complete. */
    F2B_ERR_CF_UNAVAILABLE: {
      exit: 'failure',
      make: (...a: [method: string, path: string, attempts: number, last: string] | [slow: { bulkOperation: string; seconds: number }]) =>
        a.length === 1
          ? {
              message: `The Cloudflare list bulk operation ${a[0].bulkOperation} did not complete within ${a[0].seconds} s`,
              fix: 'Cloudflare may be slow; f2b retries with the outbox and reconciles the list later.',
              fatal: true,
            }
          : {
              message: `Cloudflare could not be reached for ${a[0]} ${a[1]} after ${a[2]} attempt(s): ${a[3]}`,
              fix: "Nothing is lost: the bans and unbans stay in f2b's outbox and are retried every 30 s and at start.",
              fatal: true,
            },
    },

    F2B_ERR_CF_RATE_LIMITED: {
      exit: 'failure',
      make: (method: string, path: string, waitSeconds: number) => ({
        message: `Cloudflare asked f2b to slow down for ${method} ${path} (HTTP 429; retry after ${Math.ceil(waitSeconds)} s)`,
        fix: "Lower rateLimit if other tools use the same token; nothing is lost: the work stays in f2b's outbox and is retried.",
        status: 429,
        fatal: true,
      }),
    },

    F2B_ERR_CF_BULK_FAILED: {
      exit: 'failure',
      make: (operationId: string, problem: string) => ({
        message: `The Cloudflare list bulk operation ${operationId} failed: ${problem}`,
        fix: 'Check the list in the Cloudflare dashboard (Manage Account > Configurations > Lists); f2b retries with the outbox.',
        fatal: true,
      }),
    },

    F2B_ERR_CF_LIST_FULL: {
      exit: 'failure',
      make: (list: string, cap: number, waiting: number, items: number | undefined, said: string) => ({
        message: `The Cloudflare list ${JSON.stringify(list)} has no room for ${waiting} more ban(s)${items !== undefined ? ` (it holds ${items} items)` : ''}; accounts hold at most ${cap} list items on most plans (Cloudflare said: ${said})`,
        fix: "Unbans go on and make room; the bans set aside are retried at the next reconcile. Shorten bantime, remove other list items, set maxItems to your plan's limit, or use access rules for some jails.",
      }),
    },

    F2B_ERR_CF_TARGET: {
      exit: 'failure',
      make: (id: string, mode: string, problem: string) => ({
        message: `The ban ${JSON.stringify(id)} cannot be carried out in ${mode} mode: ${problem}`,
        fix: 'Cloudflare accepts single addresses, IPv4 /16 and /24 and IPv6 /32, /48 and /64 ranges as access rules, and IPv4 /8-/32 and IPv6 /4-/64 networks in lists.',
      }),
    },

    F2B_ERR_CF_STOPPED: {
      exit: 'failure',
      make: () => ({
        message: 'The cloudflare action stopped before the request completed',
        fix: "Nothing is lost: the work stays in f2b's outbox and is carried out at the next start.",
        fatal: true,
      }),
    },
  },
  CloudflareError,
);

export const cfErrors = { ...setupErrors, ...apiErrors } as const;

/** @deprecated The codes are the keys of `cfErrors`; this alias stays while `src/index.ts` exports it. */
export const CF_CODES = {
  options: 'F2B_ERR_CF_OPTIONS',
  token: 'F2B_ERR_CF_TOKEN',
  auth: 'F2B_ERR_CF_AUTH',
  api: 'F2B_ERR_CF_API',
  unavailable: 'F2B_ERR_CF_UNAVAILABLE',
  rateLimited: 'F2B_ERR_CF_RATE_LIMITED',
  bulkFailed: 'F2B_ERR_CF_BULK_FAILED',
  listFull: 'F2B_ERR_CF_LIST_FULL',
  target: 'F2B_ERR_CF_TARGET',
  stopped: 'F2B_ERR_CF_STOPPED',
} as const;
