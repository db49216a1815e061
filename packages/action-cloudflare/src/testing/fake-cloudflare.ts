/**
 * A loopback fake of the parts of Cloudflare's API v4 that `@f2b/action-cloudflare` uses, written from
 * Cloudflare's API documentation, for tests (Cloudflare itself cannot be reached from CI):
 *
 * - the same paths and methods under `<apiBase>` = `http://127.0.0.1:<port>/client/v4`, the JSON
 *   envelope `{success, errors, messages, result, result_info}`;
 * - API tokens: `Authorization: Bearer <token>`; a missing header or a malformed token gets 400
 *   with error 6003 "Invalid request headers" (error_chain 6111 "Invalid format for Authorization
 *   header"), a well-formed unknown token 401 with error 10000 "Authentication error";
 * - its own rate limit per token (default 1,200 requests per 5 minutes, a sliding window): over it,
 *   429 with `Retry-After` and error 971, and — as Cloudflare documents — every request of that token
 *   is refused the same way for the next five minutes (`blockSeconds`);
 * - IP Access Rules (fake-access-rules.ts) and IP lists with asynchronous bulk operations
 *   (fake-lists.ts);
 * - failure injection: `outage()` answers 5xx, resets connections, hangs, or refuses connections
 *   (listener closed) — for the next N requests or until `endOutage()`.
 *
 * Every request is recorded (method, path, status, time; never headers), for tests to count.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { FakeAccessRules } from './fake-access-rules.js';
import { fail, type FakeRequest, type FakeResponse } from './fake-http.js';
import { FakeLists, type FakeListsOptions } from './fake-lists.js';

export const FAKE_BASE_PATH = '/client/v4';

export interface FakeCloudflareOptions extends FakeListsOptions {
  /** Tokens that authenticate. Default `['fake-token']`. */
  tokens?: string[];
  /** Per-token limit, or null for none. Default 1200 requests per 300 s. */
  rateLimit?: { requests: number; perSeconds: number } | null;
  /** How long a token is blocked once it went over the limit, s. Default 300 (Cloudflare's five minutes). */
  blockSeconds?: number;
  /** Also send `result_info.total_pages` (Cloudflare's schema does not promise it). Default false. */
  totalPages?: boolean;
  /** The status of a DELETE of a rule that does not exist: 404 (default) or 400. */
  missingRuleStatus?: 404 | 400;
}

export interface Outage {
  /**
   * `status`: answer `status` (default 503); `reset`: drop the connection unprocessed; `lose`: carry
   * the request out, then drop the connection (the answer is lost); `hang`: never answer; `refuse`:
   * stop listening.
   */
  kind: 'status' | 'reset' | 'lose' | 'hang' | 'refuse';
  status?: number;
  /** How many requests it lasts (not for `refuse`); default: until endOutage(). */
  requests?: number;
  /** Requests to serve normally before it begins (not for `refuse`). */
  after?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  time: number;
}

export class FakeCloudflare {
  readonly accessRules: FakeAccessRules;
  readonly lists: FakeLists;
  readonly requests: RecordedRequest[] = [];
  readonly stats = { requests: 0, unauthorized: 0, rateLimited: 0, injected: 0 };
  readonly tokens: Set<string>;
  rateLimit: { requests: number; perSeconds: number } | null;
  /** Test hook: a response to send instead of the real one (after auth and rate limit), or null. */
  intercept: ((req: FakeRequest) => FakeResponse | null) | null = null;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly windows = new Map<string, number[]>();
  /** Token → end of its block (performance.now() ms). */
  private readonly blocked = new Map<string, number>();
  blockSeconds: number;
  private outageState: (Outage & { skip: number; left: number }) | null = null;
  private hung: ServerResponse[] = [];
  private port = 0;

  constructor(opts: FakeCloudflareOptions = {}) {
    this.tokens = new Set(opts.tokens ?? ['fake-token']);
    this.rateLimit = opts.rateLimit === undefined ? { requests: 1200, perSeconds: 300 } : opts.rateLimit;
    this.blockSeconds = opts.blockSeconds ?? 300;
    this.accessRules = new FakeAccessRules({ totalPages: opts.totalPages ?? false, missingRuleStatus: opts.missingRuleStatus ?? 404 });
    this.lists = new FakeLists(opts);
    this.server = createServer((req, res) => {
      this.onRequest(req, res);
    });
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens on 127.0.0.1 (a free port) and returns the API base to give the action. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.apiBase;
  }

  get apiBase(): string {
    return `http://127.0.0.1:${this.port}${FAKE_BASE_PATH}`;
  }

  async stop(): Promise<void> {
    this.lists.close();
    for (const r of this.hung.splice(0)) r.destroy();
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Start an outage (see `Outage`). */
  async outage(o: Outage): Promise<void> {
    if (o.kind === 'refuse') {
      this.outageState = { ...o, skip: 0, left: Infinity };
      for (const s of this.sockets) s.destroy();
      if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
      return;
    }
    this.outageState = { ...o, skip: o.after ?? 0, left: o.requests ?? Infinity };
  }

  /** End an outage: listen again on the same port, answer hung requests with 503. */
  async endOutage(): Promise<void> {
    const was = this.outageState;
    this.outageState = null;
    for (const r of this.hung.splice(0)) r.destroy();
    if (was?.kind === 'refuse' && !this.server.listening) await this.start();
  }

  /** Requests with this method whose path ends with `suffix` (e.g. `/firewall/access_rules/rules`). */
  count(method: string, suffix = ''): number {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(suffix)).length;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.stats.requests++;
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      const o = this.outageState;
      if (o && o.kind !== 'refuse') {
        if (o.skip > 0) o.skip--;
        else if (o.left > 0) {
          o.left--;
          if (o.left === 0) this.outageState = null;
          this.stats.injected++;
          this.record(method, url.pathname, o.kind === 'status' ? (o.status ?? 503) : 0);
          if (o.kind === 'reset') {
            req.socket.destroy();
            return;
          }
          if (o.kind === 'lose') {
            this.route(req, url, method, Buffer.concat(chunks).toString('utf8'));
            req.socket.destroy();
            return;
          }
          if (o.kind === 'hang') {
            this.hung.push(res);
            return;
          }
          this.send(res, fail(o.status ?? 503, 10000, 'Service temporarily unavailable (injected)'));
          return;
        }
      }
      const r = this.route(req, url, method, Buffer.concat(chunks).toString('utf8'));
      this.record(method, url.pathname, r.status);
      this.send(res, r);
    });
  }

  private route(req: IncomingMessage, url: URL, method: string, text: string): FakeResponse {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(auth);
    if (!m) {
      this.stats.unauthorized++;
      return {
        status: 400,
        body: {
          success: false,
          errors: [{ code: 6003, message: 'Invalid request headers', error_chain: [{ code: 6111, message: 'Invalid format for Authorization header' }] }],
          messages: [],
          result: null,
        },
      };
    }
    if (!this.tokens.has(m[1]!)) {
      this.stats.unauthorized++;
      return fail(401, 10000, 'Authentication error');
    }
    const limited = this.limit(m[1]!);
    if (limited) return limited;
    if (!url.pathname.startsWith(`${FAKE_BASE_PATH}/`)) return fail(404, 7003, 'Could not route to the requested path');
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return fail(400, 6007, 'Malformed JSON in request body');
      }
    }
    const fr: FakeRequest = {
      method,
      segments: url.pathname
        .slice(FAKE_BASE_PATH.length + 1)
        .split('/')
        .filter(Boolean),
      query: url.searchParams,
      body,
    };
    return this.intercept?.(fr) ?? this.accessRules.handle(fr) ?? this.lists.handle(fr) ?? fail(404, 7003, 'Could not route to the requested path');
  }

  /** Sliding window per token; a refused request does not count. Over it, the token is blocked. */
  private limit(token: string): FakeResponse | null {
    const rl = this.rateLimit;
    if (!rl) return null;
    const now = performance.now();
    const until = this.blocked.get(token);
    if (until !== undefined && now < until) {
      this.stats.rateLimited++;
      return fail(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(Math.max(1, Math.ceil((until - now) / 1000))) });
    }
    this.blocked.delete(token);
    const windowMs = rl.perSeconds * 1000;
    let w = this.windows.get(token);
    if (!w) this.windows.set(token, (w = []));
    let drop = 0;
    while (drop < w.length && w[drop]! <= now - windowMs) drop++;
    if (drop > 0) w.splice(0, drop);
    if (w.length >= rl.requests) {
      this.stats.rateLimited++;
      this.blocked.set(token, now + this.blockSeconds * 1000);
      return fail(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(Math.max(1, Math.ceil(this.blockSeconds))) });
    }
    w.push(now);
    return null;
  }

  private record(method: string, path: string, status: number): void {
    this.requests.push({ method, path: path.startsWith(FAKE_BASE_PATH) ? path.slice(FAKE_BASE_PATH.length) : path, status, time: performance.now() });
  }

  private send(res: ServerResponse, r: FakeResponse): void {
    const body = JSON.stringify(r.body);
    res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...r.headers });
    res.end(body);
  }
}
