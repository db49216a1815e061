/**
 * `@f2b/action-webhook`: posts bans and unbans to a webhook — generic JSON for machines, or a
 * message for Slack, Mattermost, Matrix or Discord — one per event or as a digest. The URL and
 * header secrets come from the environment or a file and never appear in a log; requests are paced,
 * timed out, retried with backoff (honouring Retry-After), and what cannot be delivered stays in
 * f2b's durable outbox.
 */
import type { F2bPlugin } from '@f2b/core';
import { WebhookAction } from './action.js';
import { optionsSchema, type WebhookOptions } from './options.js';

/**
 * The plugin (its name, version and core range are in package.json). Its options (config
 * `plugins: [["@f2b/action-webhook", {...}]]`) are defaults for every jail; a jail's
 * `{ type: webhook, ... }` options override them.
 */
export default function webhookAction(): F2bPlugin<WebhookOptions> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'webhook',
        schema: optionsSchema,
        create: (instanceOptions, ctx) => new WebhookAction({ ...options, ...instanceOptions } as WebhookOptions, ctx),
      });
    },
  };
}

export { WebhookAction } from './action.js';
export { WebhookClient, parseRetryAfter, type ClientStats } from './client.js';
export { optionsSchema, normalizeOptions, type WebhookOptions, type WebhookConfig, type WebhookFormat, type SecretRef } from './options.js';
export { render, messageText, transactionId, type Request } from './templates.js';
export { banEvent, unbanEvent, eventLine, type WebhookEvent, type BanEvent, type UnbanEvent } from './events.js';
export { WindowLimiter } from './limiter.js';
export { webhookErrors, scrub } from './errors.js';
