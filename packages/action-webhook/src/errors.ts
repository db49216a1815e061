/**
 * The errors of `@f2b/action-webhook`, one row per code (the table style of `@f2b/kit`). A webhook
 * URL is often the secret itself (Slack, Discord), so messages name only its origin, and every text
 * that goes into a message passes `scrub`, which removes the URL and header secrets this process
 * knows.
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const secrets = new Set<string>();
const REDACTED = '[redacted]';

/** Remember a secret (the URL, a header value) so that `scrub` removes it from any text. */
export function registerSecret(secret: string): void {
  if (secret.length >= 4) secrets.add(secret);
}

/** `text` with every registered secret replaced, control characters escaped. */
export function scrub(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return sanitizeLine(out);
}

const RETRIED = "Nothing is lost: the events stay in f2b's outbox and are retried every 30 s and at start.";

export const webhookErrors = defineErrors({
  F2B_ERR_WEBHOOK_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({
      message: `The option "${path}" of the webhook action ${scrub(problem)}.`,
      path,
      fix,
    }),
  },

  /** A secret (the URL or a header value) could not be read from its file or variable. */
  F2B_ERR_WEBHOOK_SECRET: {
    exit: 'usage',
    make: (where: string, problem: string) => ({
      message: `The webhook action could not read a secret from ${where}: ${scrub(problem)}.`,
      fix: 'Create the file (readable by f2b only: chmod 600) or set the variable, or fix the option that names it.',
    }),
  },

  /** The server answered 4xx (not 429): the request itself is wrong (URL, token, body). */
  F2B_ERR_WEBHOOK_REJECTED: {
    exit: 'failure',
    make: (origin: string, status: number, body: string) => ({
      message: `The webhook at ${origin} refused the request with HTTP ${status}${body ? `: ${scrub(body)}` : ''}.`,
      fix: `Check the URL, the token header and the format (a Slack URL needs format slack, and so on). ${RETRIED}`,
    }),
  },

  F2B_ERR_WEBHOOK_RATE_LIMITED: {
    exit: 'failure',
    make: (origin: string, waitSeconds: number) => ({
      message: `The webhook at ${origin} asked f2b to wait ${Math.ceil(waitSeconds)} s (HTTP 429), longer than maxRetryAfterMs.`,
      fix: `Lower rateLimit, or use a digest (digestAbove) so fewer messages are sent. ${RETRIED}`,
    }),
  },

  F2B_ERR_WEBHOOK_UNAVAILABLE: {
    exit: 'failure',
    make: (origin: string, attempts: number, last: string) => ({
      message: `The webhook at ${origin} could not be reached after ${attempts} attempt(s): ${scrub(last)}.`,
      fix: RETRIED,
    }),
  },

  F2B_ERR_WEBHOOK_STOPPED: {
    exit: 'failure',
    make: () => ({
      message: 'The webhook action stopped before the request completed.',
      fix: RETRIED,
    }),
  },

  /** A ban whose id is not an address: reported and left out. */
  F2B_ERR_WEBHOOK_VALUE: {
    exit: 'failure',
    make: (id: string) => ({
      message: `The ban id ${sanitizeLine(JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id))} is not an IP address or network, so the webhook action did not send it.`,
      fix: 'Check the filter or plugin that produced this ban.',
    }),
  },
});
