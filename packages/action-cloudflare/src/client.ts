/**
 * The HTTP side: one undici `Pool` (keep-alive, header and body timeouts) per API base and token,
 * every request through the token bucket, Cloudflare's JSON envelope unpacked.
 *
 * Retries stay inside one call and are bounded (`maxAttempts`): network errors and 5xx back off
 * exponentially with jitter, a 429 pauses the whole bucket for `Retry-After`. A 401/403 is never
 * retried here (a bad token would only burn the rate limit); other 4xx are reported with Cloudflare's
 * error codes and messages. When the attempts run out the call throws, and the ban or unban stays in
 * f2b's durable outbox, which is retried every 30 s.
 */
import { backoffDelay, systemClock, type Clock } from '@f2b/kit';
import { Pool } from 'undici';
import { cfErrors, scrub, type CfApiError, CloudflareError } from './errors.js';
import { TokenBucket } from './rate-limit.js';

export interface ResultInfo {
  page?: number;
  per_page?: number;
  count?: number;
  total_count?: number;
  total_pages?: number;
  cursors?: { after?: string; before?: string };
}

/** Cloudflare's response envelope. */
export interface Envelope<T> {
  success: boolean;
  errors: CfApiError[];
  messages: unknown[];
  result: T;
  result_info?: ResultInfo;
}

export interface ClientOptions {
  apiBase: string;
  token: string;
  rateLimit: { requests: number; perSeconds: number };
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
  /** A 429 asking to wait longer than this fails the call at once (default 60 s). */
  maxPauseMs?: number;
  /** The core's clock (`api.clock`): the rate limiter, `Retry-After` and the retry backoff read it. Default: the system's. */
  clock?: Clock;
}

export interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for a DELETE). */
  accept?: readonly number[];
  signal?: AbortSignal;
}

export interface ClientStats {
  requests: number;
  retries: number;
  rateLimited: number;
  serverErrors: number;
  networkErrors: number;
}

const MAX_BACKOFF_MS = 30_000;
/** A listing that goes on longer than this is broken (1,000 pages of 100 rules = 100,000 rules). */
const MAX_PAGES = 1000;

export class CloudflareClient {
  readonly limiter: TokenBucket;
  /** The clock every wait of this client runs on (the backends' polls use it too). */
  readonly clock: Clock;
  readonly stats: ClientStats = { requests: 0, retries: 0, rateLimited: 0, serverErrors: 0, networkErrors: 0 };
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly opts: ClientOptions;
  /**
   * After a 429, one request at a time (the probe) until one gets through: the requests that were
   * waiting do not all hit Cloudflare again at the end of the pause.
   */
  private gate: { owner: symbol; open: Promise<void>; release(): void } | null = null;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    const url = new URL(opts.apiBase);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.limiter = new TokenBucket(opts.rateLimit.requests, opts.rateLimit.perSeconds, this.clock);
    this.pool = new Pool(url.origin, {
      connections: 8,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: { timeout: opts.timeoutMs },
    });
  }

  /** One API call, retried within bounds; returns the envelope of a 2xx (or an accepted status). */
  async call<T>(method: string, path: string, o: CallOptions = {}): Promise<{ status: number; env: Envelope<T> }> {
    const me = Symbol('call');
    try {
      return await this.attempts<T>(method, path, o, me);
    } finally {
      if (this.gate?.owner === me) this.openGate();
    }
  }

  private async attempts<T>(method: string, path: string, o: CallOptions, me: symbol): Promise<{ status: number; env: Envelope<T> }> {
    const shown = path.split('?')[0]!;
    const maxPause = this.opts.maxPauseMs ?? 60_000;
    let last = '';
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      if (attempt > 1) this.stats.retries++;
      while (this.gate && this.gate.owner !== me) await this.gate.open;
      const paused = this.limiter.pausedFor();
      if (paused > maxPause) throw cfErrors.F2B_ERR_CF_RATE_LIMITED(method, shown, paused / 1000);
      await this.limiter.take(o.signal);
      this.stats.requests++;
      let status: number;
      let text: string;
      let retryAfter: string | string[] | undefined;
      try {
        const res = await this.pool.request({
          method: method as 'GET',
          path: this.basePath + path + queryString(o.query),
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            accept: 'application/json',
            ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
          signal: o.signal,
        });
        status = res.statusCode;
        retryAfter = res.headers['retry-after'];
        text = await res.body.text();
      } catch (err) {
        if (o.signal?.aborted) throw cfErrors.F2B_ERR_CF_STOPPED();
        this.stats.networkErrors++;
        last = scrub(describeNetworkError(err));
        if (attempt < this.opts.maxAttempts) await sleep(this.backoff(attempt), o.signal, this.clock);
        continue;
      }
      const env = parseEnvelope<T>(text);
      if (status !== 429 && this.gate?.owner === me) this.openGate();
      if ((status >= 200 && status < 300 && env?.success !== false) || o.accept?.includes(status)) {
        return { status, env: env ?? { success: true, errors: [], messages: [], result: undefined as T } };
      }
      const list = env?.errors ?? [];
      if (status === 429) {
        this.stats.rateLimited++;
        const wait = parseRetryAfter(retryAfter, this.clock.now()) ?? this.backoff(attempt);
        this.limiter.pause(wait);
        if (!this.gate) {
          let release!: () => void;
          const open = new Promise<void>((r) => {
            release = r;
          });
          this.gate = { owner: me, open, release };
        }
        last = `HTTP 429 (retry after ${Math.ceil(wait / 1000)} s)`;
        if (attempt === this.opts.maxAttempts || wait > maxPause) throw cfErrors.F2B_ERR_CF_RATE_LIMITED(method, shown, wait / 1000);
        continue;
      }
      if (status >= 500) {
        this.stats.serverErrors++;
        last = `HTTP ${status}${list.length > 0 ? ` (${list.map((e) => `${e.code} ${e.message}`).join('; ')})` : ''}`;
        if (attempt < this.opts.maxAttempts) await sleep(this.backoff(attempt), o.signal, this.clock);
        continue;
      }
      if (status === 401 || status === 403 || (status === 400 && tokenRefused(list))) throw cfErrors.F2B_ERR_CF_AUTH(status, method, shown, list);
      throw cfErrors.F2B_ERR_CF_API(status, method, shown, env === null ? [{ code: 0, message: `not a Cloudflare API response: ${text.slice(0, 80)}` }] : list);
    }
    throw cfErrors.F2B_ERR_CF_UNAVAILABLE(method, shown, this.opts.maxAttempts, last);
  }

  /**
   * Every page of a page-numbered list (access rules). Cloudflare's schema promises `page`,
   * `per_page`, `count` and `total_count` in `result_info`, not `total_pages`: stop when
   * `total_count` items were read, or — without it — at the first page that is not full (its size
   * is the `per_page` Cloudflare says it used, which may be less than asked for), or when a page is
   * empty.
   */
  async allPages<T>(path: string, query: Record<string, string | number | undefined>, perPage: number, signal?: AbortSignal): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { env } = await this.call<T[]>('GET', path, { query: { ...query, page, per_page: perPage }, signal });
      const items = env.result ?? [];
      out.push(...items);
      const info = env.result_info ?? {};
      if (items.length === 0) return out;
      if (typeof info.total_count === 'number') {
        if (out.length >= info.total_count) return out;
      } else if (typeof info.total_pages === 'number') {
        if (page >= info.total_pages) return out;
      } else if (items.length < (typeof info.per_page === 'number' && info.per_page > 0 ? info.per_page : perPage)) {
        return out;
      }
    }
    throw cfErrors.F2B_ERR_CF_API(200, 'GET', path, [{ code: 0, message: `more than ${MAX_PAGES} pages: the listing never ended` }]);
  }

  /** Every item of a cursor-paginated list (list items). */
  async allCursor<T>(path: string, perPage: number, signal?: AbortSignal, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const { env } = await this.call<T[]>('GET', path, { query: { ...query, per_page: perPage, cursor }, signal });
      out.push(...(env.result ?? []));
      cursor = env.result_info?.cursors?.after;
    } while (cursor);
    return out;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }

  private openGate(): void {
    const g = this.gate;
    this.gate = null;
    g?.release();
  }

  private backoff(attempt: number): number {
    const base = backoffDelay(attempt, this.opts.backoffMs, MAX_BACKOFF_MS);
    return base / 2 + Math.random() * (base / 2);
  }
}

/**
 * A malformed or unusable token is answered with HTTP 400 and code 6003 "Invalid request headers"
 * (its `error_chain` naming the header, e.g. 6111 "Invalid format for Authorization header"),
 * not with 401/403: it is the token that is refused, not the request.
 */
const TOKEN_CODES = new Set([6003, 6103, 6111]);
function tokenRefused(list: readonly CfApiError[]): boolean {
  return list.some((e) => TOKEN_CODES.has(e.code) || (e.error_chain ?? []).some((c) => TOKEN_CODES.has(c.code)));
}

function queryString(q?: Record<string, string | number | undefined>): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function parseEnvelope<T>(text: string): Envelope<T> | null {
  try {
    const v = JSON.parse(text) as Envelope<T>;
    if (typeof v !== 'object' || v === null) return null;
    return { ...v, errors: Array.isArray(v.errors) ? v.errors : [] };
  } catch {
    return null;
  }
}

/** `Retry-After` in ms: delta seconds or an HTTP date (counted from `now`, epoch ms on the core's clock). */
export function parseRetryAfter(h: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function describeNetworkError(err: unknown): string {
  if (err instanceof CloudflareError) return err.message;
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return `${code ? `${code}: ` : ''}${e?.message ?? String(err)}`;
}

/** Wait `ms` on `clock` (the core's: a `FakeClock` in tests); a stop (the signal) ends the wait with F2B_ERR_CF_STOPPED. */
export function sleep(ms: number, signal: AbortSignal | undefined, clock: Clock): Promise<void> {
  if (signal?.aborted) return Promise.reject(cfErrors.F2B_ERR_CF_STOPPED());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      t.cancel();
      reject(cfErrors.F2B_ERR_CF_STOPPED());
    };
    const t = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
