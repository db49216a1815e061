/**
 * Live updates for the page, by server-sent events (`GET /api/events`): a `change` event at most
 * once a second while failures, bans or unbans happen (the page then fetches what it shows), and a
 * comment every 25 s so proxies and the browser keep the stream open. Streams are few and capped;
 * the page falls back to polling when it cannot have one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core.js';

/** At most this many pages listen at once; more get 503 and poll instead. */
export const MAX_STREAMS = 16;
const THROTTLE_MS = 1000;
const HEARTBEAT_MS = 25_000;

export class LiveUpdates {
  private readonly streams = new Set<ServerResponse>();
  private pending: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private seq = 0;
  private closed = false;

  constructor(
    core: Core,
    private readonly onChange: () => void,
  ) {
    const changed = () => this.changed();
    core.hooks.failure.tap('f2b:dashboard-live', changed);
    core.hooks.ban.tap('f2b:dashboard-live', changed);
    core.hooks.unban.tap('f2b:dashboard-live', changed);
    core.hooks.reload.tap('f2b:dashboard-live', changed);
    // Real time, whatever clock the jails run on: this only paces the page.
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Open a stream (503 when there are too many). */
  open(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
    if (this.streams.size >= MAX_STREAMS) {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' }).end('Too many live pages; this one polls.\n');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 5000\nevent: change\ndata: {"seq":${this.seq}}\n\n`);
    this.streams.add(res);
    const drop = () => this.streams.delete(res);
    req.on('close', drop);
    res.on('error', drop);
  }

  private changed(): void {
    if (this.pending || this.closed) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      this.seq++;
      this.onChange();
      for (const s of this.streams) s.write(`event: change\ndata: {"seq":${this.seq}}\n\n`);
    }, THROTTLE_MS);
    this.pending.unref();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.pending) clearTimeout(this.pending);
    this.pending = null;
    for (const s of this.streams) s.end();
    this.streams.clear();
  }
}
