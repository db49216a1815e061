/**
 * What the jails of one daemon share: one HTTP client (and so one rate limiter) per API base and
 * token — Cloudflare counts requests per user, not per jail —, one scope per place at Cloudflare
 * (two jails banning the same address in one zone share its rule), and one lock per account for
 * list bulk operations. A registry lives in the plugin's `apply`, so every daemon (every `Core`)
 * has its own.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@f2b/kit';
import { AccessRulesBackend } from './access-rules.js';
import { CloudflareClient } from './client.js';
import { ListBackend, Mutex } from './lists.js';
import type { CloudflareConfig } from './options.js';
import { Scope } from './scope.js';

export class Registry {
  private readonly clients = new Map<string, { client: CloudflareClient; refs: number }>();
  private readonly scopes = new Map<string, Scope>();
  private readonly locks = new Map<string, Mutex>();
  /** The core's clock (`api.clock`): every client, limiter and scope of this daemon runs on it. */
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** The scope for this config, created on first use. */
  scopeFor(cfg: CloudflareConfig): Scope {
    const tokenId = createHash('sha256').update(cfg.token).digest('hex').slice(0, 16);
    const clientKey = `${cfg.apiBase}\0${tokenId}`;
    const key = [cfg.mode, clientKey, cfg.scopePath, cfg.listId ?? cfg.listName ?? '', cfg.notesMarker].join('\0');
    const existing = this.scopes.get(key);
    if (existing) return existing;
    const client = this.acquire(clientKey, cfg);
    // Declared before the backend, whose warning callback reads it; assigned once, after it.
    // eslint-disable-next-line prefer-const
    let scope: Scope | undefined;
    const backend =
      cfg.mode === 'list'
        ? new ListBackend(
            client,
            { accountId: cfg.accountId!, listName: cfg.listName, listId: cfg.listId, notesMarker: cfg.notesMarker, maxItems: cfg.maxItems },
            this.lock(`${cfg.apiBase}\0${cfg.accountId}`),
          )
        : new AccessRulesBackend(client, { scopePath: cfg.scopePath, ruleMode: cfg.ruleMode, notesMarker: cfg.notesMarker }, (k) => {
            scope?.warnOnce(`Cloudflare already has a rule for ${k} that f2b did not make; f2b leaves it as it is and counts it as the ban.`);
          });
    scope = new Scope(
      backend,
      {
        notesMarker: cfg.notesMarker,
        reconcileDelayMs: cfg.reconcileDelayMs,
        reconcileIntervalMs: cfg.reconcileIntervalMs,
        breakerMs: Math.min(30_000, cfg.backoffMs * 2 ** Math.max(0, cfg.maxAttempts - 1)),
        clock: this.clock,
      },
      {
        detach: () => {
          if (this.scopes.get(key) === scope) this.scopes.delete(key);
        },
        closed: () => this.release(clientKey),
      },
    );
    this.scopes.set(key, scope);
    return scope;
  }

  /** The client of a config (tests read its stats). */
  clientOf(cfg: CloudflareConfig): CloudflareClient | undefined {
    const tokenId = createHash('sha256').update(cfg.token).digest('hex').slice(0, 16);
    return this.clients.get(`${cfg.apiBase}\0${tokenId}`)?.client;
  }

  private acquire(key: string, cfg: CloudflareConfig): CloudflareClient {
    let c = this.clients.get(key);
    if (!c) {
      c = {
        client: new CloudflareClient({
          apiBase: cfg.apiBase,
          token: cfg.token,
          rateLimit: cfg.rateLimit,
          timeoutMs: cfg.timeoutMs,
          maxAttempts: cfg.maxAttempts,
          backoffMs: cfg.backoffMs,
          clock: this.clock,
        }),
        refs: 0,
      };
      this.clients.set(key, c);
    }
    c.refs++;
    return c.client;
  }

  private async release(key: string): Promise<void> {
    const c = this.clients.get(key);
    if (!c || --c.refs > 0) return;
    this.clients.delete(key);
    await c.client.close();
  }

  private lock(key: string): Mutex {
    let m = this.locks.get(key);
    if (!m) this.locks.set(key, (m = new Mutex()));
    return m;
  }
}
