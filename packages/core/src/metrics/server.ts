/**
 * The daemon's read-only HTTP endpoint: `GET /metrics` in Prometheus' text format, nothing else.
 * It answers without root (the point: scrapers and exporters need no access to the control socket)
 * and changes nothing, so it has no authentication; keep it on loopback or behind a firewall.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { errors } from '../errors.js';
import type { ListenAddress } from './listen.js';
import type { Logger } from '../logger.js';

export class MetricsServer {
  private server: Server | null = null;
  /** Answers every path but /metrics when set (the dashboard, on the same address). */
  private mounted: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  constructor(
    private readonly register: Registry,
    private readonly logger: Logger,
  ) {}

  /** Serve the other paths with this handler (read-only too: the method check stays first). */
  mount(handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.mounted = handler;
  }

  /** Listen; resolves with the address actually bound (its port when 0 was asked). */
  async listen(addr: ListenAddress): Promise<ListenAddress> {
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url !== '/metrics' && this.mounted) {
        this.mounted(req, res);
        return;
      }
      if (url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: f2b serves /metrics only.\n');
        return;
      }
      this.register.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': this.register.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          this.logger.warn(`Collecting metrics failed: ${err instanceof Error ? err.message : String(err)}`);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Collecting metrics failed; see the daemon log.\n');
        },
      );
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(errors.F2B_ERR_METRICS_LISTEN(`${addr.host}:${addr.port}`, err.code, err.message)));
      server.listen(addr.port, addr.host, () => resolve());
    });
    server.on('error', (err) => this.logger.error(`Metrics endpoint error: ${err.message}`));
    this.server = server;
    const bound = server.address();
    const port = typeof bound === 'object' && bound ? bound.port : addr.port;
    const shown = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    this.logger.info(`Metrics on http://${shown}:${port}/metrics`);
    return { host: addr.host, port };
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
