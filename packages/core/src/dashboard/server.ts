/**
 * The dashboard over HTTP: the page's files, the JSON API and the live stream, GET (and HEAD) only
 * — anything else is 405, since nothing here changes anything. Every answer carries a strict
 * Content-Security-Policy (this origin only, no inline script or style, no framing) and nosniff.
 * On a loopback address the Host header must name loopback too: a web page elsewhere cannot read
 * the dashboard through a DNS name it points at 127.0.0.1 (DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errors } from '../errors.js';
import { isLoopback, parseIp } from '../ip.js';
import type { Logger } from '../logger.js';
import type { ListenAddress } from '../metrics/listen.js';
import type { DashboardApi } from './api.js';
import type { Asset } from './assets.js';
import type { LiveUpdates } from './live.js';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
});

export interface DashboardHandlerOptions {
  assets: ReadonlyMap<string, Asset>;
  api: DashboardApi;
  live: LiveUpdates;
  logger: Logger;
  /** The host it listens on: loopback means only loopback Host headers are answered. */
  listenHost: string;
}

/** Answer one request (standalone, or mounted on the metrics server when both share an address). */
export function dashboardHandler(opts: DashboardHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const localOnly = isLoopbackHost(opts.listenHost);
  return (req, res) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const text = (status: number, body: string, extra?: Record<string, string>) => send(status, 'text/plain; charset=utf-8', body, extra);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'The dashboard is read-only: GET only.\n', { allow: 'GET, HEAD' });
    if (localOnly && !isLoopbackHost(hostOf(req.headers.host))) return text(403, 'This dashboard answers to localhost only.\n');
    const raw = req.url ?? '/';
    if (!raw.startsWith('/')) return text(400, 'Bad request.\n');
    const url = new URL(raw, 'http://localhost');
    const asset = opts.assets.get(url.pathname);
    if (asset) return send(200, asset.type, asset.body, { 'cache-control': 'no-cache' });
    if (url.pathname === '/api/events') {
      if (req.method === 'HEAD') return send(200, 'text/event-stream; charset=utf-8', '');
      opts.live.open(req, res, { ...SECURITY_HEADERS });
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      opts.api.answer(url.pathname, url.searchParams).then(
        (a) => {
          send(a.status, 'application/json; charset=utf-8', JSON.stringify(a.body), { 'cache-control': 'no-store' });
        },
        (err: unknown) => {
          opts.logger.warn(`Dashboard API ${url.pathname} failed: ${err instanceof Error ? err.message : String(err)}`);
          send(500, 'application/json; charset=utf-8', JSON.stringify({ error: 'The daemon could not answer; see its log.' }));
        },
      );
      return;
    }
    return text(404, 'Not found.\n');
  };
}

/** `localhost`, `*.localhost`, 127.0.0.0/8 and ::1 (host names are never resolved here). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const ip = parseIp(h);
  return ip !== null && isLoopback(ip);
}

/** The name in a Host header, without its port (`[::1]:9192` → `::1`). */
function hostOf(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(1, Math.max(1, header.indexOf(']')));
  const colon = header.lastIndexOf(':');
  return colon === -1 ? header : header.slice(0, colon);
}

/** The dashboard's own server, when it does not share the metrics server's address. */
export class DashboardServer {
  private server: Server | null = null;
  constructor(
    private readonly handler: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly logger: Logger,
  ) {}

  async listen(addr: ListenAddress): Promise<ListenAddress> {
    const server = createServer(this.handler);
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(errors.F2B_ERR_DASHBOARD_LISTEN(`${addr.host}:${addr.port}`, err.code, err.message)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    server.on('error', (err) => this.logger.error(`Dashboard error: ${err.message}`));
    this.server = server;
    const bound = server.address();
    return { host: addr.host, port: typeof bound === 'object' && bound ? bound.port : addr.port };
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
