/**
 * One `cloudflare` action instance (one per jail that lists it). It turns bans into keys (what
 * Cloudflare will hold: the address, a range, or an IPv6 /64 in list mode), records what its jail
 * wants in the shared scope, and waits until Cloudflare holds it. A call that cannot be carried out
 * throws, so the jail keeps the items in its durable outbox and retries them.
 */
import type { ActionContext, ActionInstance, Ban, ListedBan, Logger, Unban } from '@f2b/core';
import { scrub } from './errors.js';
import { normalizeOptions, tokenFileIsOpen, type CloudflareConfig, type CloudflareOptions } from './options.js';
import type { Registry } from './registry.js';
import type { Member, ReconcileResult, Scope } from './scope.js';
import { accessRuleKey, listKey } from './targets.js';

export class CloudflareAction implements ActionInstance {
  readonly config: CloudflareConfig;
  private readonly member: Member;
  private readonly registry: Registry;
  private scope: Scope | null = null;
  private readonly keyOf: (id: string) => string;

  constructor(options: CloudflareOptions, ctx: ActionContext, registry: Registry) {
    this.config = normalizeOptions(options);
    this.registry = registry;
    const logger = scrubbing(ctx.logger);
    this.member = { jail: ctx.jail, logger, error: (e) => ctx.error(e) };
    this.keyOf = this.config.mode === 'list' ? listKey : accessRuleKey;
    if (options.tokenFile !== undefined && tokenFileIsOpen(options.tokenFile)) {
      logger.warn(`The token file ${JSON.stringify(options.tokenFile)} can be read by every user; chmod 600 it.`);
    }
  }

  async start(): Promise<void> {
    if (this.scope) return;
    this.scope = this.registry.scopeFor(this.config);
    await this.scope.join(this.member);
  }

  async stop(): Promise<void> {
    const scope = this.scope;
    this.scope = null;
    await scope?.leave(this.member);
  }

  async ban(bans: readonly Ban[]): Promise<void> {
    const scope = await this.ready();
    const keys: string[] = [];
    for (const b of bans) {
      const key = this.key(b.id);
      if (key === null) continue;
      scope.want(key, this.member.jail, b.id, b.start, b.end);
      keys.push(key);
    }
    await scope.settle(keys);
  }

  async unban(unbans: readonly Unban[]): Promise<void> {
    const scope = await this.ready();
    const keys: string[] = [];
    for (const u of unbans) {
      const key = this.key(u.id);
      if (key !== null && scope.unwant(key, this.member.jail, u.id, u.time)) keys.push(key);
    }
    await scope.settle(keys);
  }

  /**
   * The bans of this jail that Cloudflare holds, from the notes of our rules or items (used when the
   * state database was lost). A rule two jails share names the jail that created it, so only that
   * jail gets it back. Notes written by f2b before they carried the end give `end: undefined`.
   */
  async listBanned(): Promise<ListedBan[]> {
    const scope = await this.ready();
    return (await scope.heldFor(this.member.jail)).map(({ key, end }) => ({ id: key, end }));
  }

  /** Compare with Cloudflare now (also done on its own after start and every reconcileInterval). */
  async reconcile(): Promise<ReconcileResult> {
    return (await this.ready()).reconcile();
  }

  /** The keys the jails sharing this instance's scope want at Cloudflare. */
  wanted(): string[] {
    return this.scope?.wanted() ?? [];
  }

  /** The HTTP client's counters (requests, retries, 429s, …). */
  clientStats() {
    return this.registry.clientOf(this.config)?.stats;
  }

  private async ready(): Promise<Scope> {
    if (!this.scope) await this.start();
    return this.scope!;
  }

  /** The key of a ban id; a ban Cloudflare cannot hold is reported (once per call) and skipped. */
  private key(id: string): string | null {
    try {
      return this.keyOf(id);
    } catch (err) {
      this.member.error(err);
      return null;
    }
  }
}

/** A logger that removes the token (and bearer headers) from every message and field. */
export function scrubbing(l: Logger): Logger {
  const wrap = (f: Logger['info']) => (msg: string, fields?: Record<string, unknown>) =>
    f(scrub(msg), fields === undefined ? undefined : (JSON.parse(scrub(JSON.stringify(fields))) as Record<string, unknown>));
  return {
    debug: wrap(l.debug.bind(l)),
    info: wrap(l.info.bind(l)),
    notice: wrap(l.notice.bind(l)),
    warn: wrap(l.warn.bind(l)),
    error: wrap(l.error.bind(l)),
    child: (name) => scrubbing(l.child(name)),
  };
}
