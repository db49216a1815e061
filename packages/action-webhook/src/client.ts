/**
 * Sending one message: through the rate limiter, with a timeout per attempt (a server that accepts
 * and never answers counts as failed), retried within bounds — network errors, timeouts and 5xx
 * back off exponentially with jitter, a 429 waits for its Retry-After (and pauses the instance) —
 * while any other 4xx fails at once. When the attempts run out the call throws, and the events stay
 * in the jail's outbox.
 */
import { backoffDelay } from '@f2b/kit';
import type { Clock } from '@f2b/core';
import { Agent, request } from 'undici';
import { webhookErrors } from './errors.js';
import { WindowLimiter, sleep } from './limiter.js';
import type { WebhookConfig } from './options.js';
import type { Request } from './templates.js';

const MAX_BACKOFF_MS = 30_000;
/** Bytes of a refusal's body quoted in the error. */
const BODY_SHOWN = 200;

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  serverErrors: number;
  networkErrors: number;
}

export class WebhookClient {
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, networkErrors: 0 };
  private readonly agent: Agent;
  private readonly limiter: WindowLimiter;
  private readonly abort = new AbortController();

  constructor(
    private readonly c: WebhookConfig,
    private readonly clock: Clock,
  ) {
    this.agent = new Agent({ headersTimeout: c.timeoutMs, bodyTimeout: c.timeoutMs, connect: { timeout: c.timeoutMs }, keepAliveTimeout: 10_000 });
    this.limiter = new WindowLimiter(clock, c.rateLimit.requests, c.rateLimit.perSeconds * 1000);
  }

  async send(req: Request): Promise<void> {
    let last = '';
    for (let attempt = 1; attempt <= this.c.maxAttempts; attempt++) {
      if (attempt > 1) this.stats.retries++;
      await this.limiter.take();
      if (this.abort.signal.aborted) throw webhookErrors.F2B_ERR_WEBHOOK_STOPPED();
      this.stats.requests++;
      let status: number;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const res = await request(new URL(req.path, this.c.origin), {
          method: req.method,
          headers: { 'content-type': 'application/json', 'user-agent': 'f2b-action-webhook', ...this.c.headers },
          body: JSON.stringify(req.body),
          dispatcher: this.agent,
          signal: this.abort.signal,
        });
        status = res.statusCode;
        retryAfter = res.headers['retry-after'];
        text = await res.body.text();
      } catch (err) {
        if (this.abort.signal.aborted) throw webhookErrors.F2B_ERR_WEBHOOK_STOPPED();
        this.stats.networkErrors++;
        last = describeNetworkError(err);
        if (attempt < this.c.maxAttempts) await sleep(this.clock, this.backoff(attempt));
        continue;
      }
      if (status >= 200 && status < 300) return;
      if (status === 429) {
        this.stats.rateLimited++;
        const wait = parseRetryAfter(retryAfter, this.clock.now()) ?? this.backoff(attempt);
        if (wait > this.c.maxRetryAfterMs) throw webhookErrors.F2B_ERR_WEBHOOK_RATE_LIMITED(this.c.origin, wait / 1000);
        this.limiter.pause(wait);
        last = `HTTP 429 (retry after ${Math.ceil(wait / 1000)} s)`;
        continue;
      }
      if (status >= 500) {
        this.stats.serverErrors++;
        last = `HTTP ${status}`;
        if (attempt < this.c.maxAttempts) await sleep(this.clock, this.backoff(attempt));
        continue;
      }
      throw webhookErrors.F2B_ERR_WEBHOOK_REJECTED(this.c.origin, status, text.slice(0, BODY_SHOWN).replace(/\s+/g, ' ').trim());
    }
    throw webhookErrors.F2B_ERR_WEBHOOK_UNAVAILABLE(this.c.origin, this.c.maxAttempts, last);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.agent.close().catch(() => this.agent.destroy());
  }

  private backoff(attempt: number): number {
    const base = backoffDelay(attempt, this.c.backoffMs, MAX_BACKOFF_MS);
    return base / 2 + Math.random() * (base / 2);
  }
}

/** `Retry-After` in ms: delta seconds or an HTTP date. */
export function parseRetryAfter(h: string | string[] | undefined, now: number): number | undefined {
  const v = (Array.isArray(h) ? h[0] : h)?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return `${code ? `${code}: ` : ''}${e?.message ?? String(err)}`;
}
