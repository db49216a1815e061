/**
 * One `webhook` action instance (one per jail that lists it). A call's events go as one message
 * each, or — more than `digestAbove` of them, as after a restart or under a flood — as one digest.
 * What was delivered is remembered (bounded), and a message still in flight is awaited rather than
 * sent twice, so the jail's retry of a batch sends only what did not arrive. A call that cannot
 * deliver throws: the events stay in the durable outbox, retried every 30 s and at start.
 */
import type { ActionContext, ActionInstance, Ban, Unban } from '@f2b/core';
import { WebhookClient } from './client.js';
import { banEvent, banKey, unbanEvent, unbanKey, type WebhookEvent } from './events.js';
import { normalizeOptions, type WebhookConfig, type WebhookOptions } from './options.js';
import { render } from './templates.js';

const REMEMBERED = 100_000;

export class WebhookAction implements ActionInstance {
  readonly config: WebhookConfig;
  readonly client: WebhookClient;
  private readonly ctx: ActionContext;
  private readonly delivered = new Set<string>();
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(options: WebhookOptions, ctx: ActionContext) {
    this.config = normalizeOptions(options);
    this.ctx = ctx;
    this.client = new WebhookClient(this.config, ctx.clock);
  }

  async stop(): Promise<void> {
    await this.client.close();
  }

  async ban(bans: readonly Ban[]): Promise<void> {
    await this.deliver(bans.map((b) => ({ key: banKey(b), make: () => banEvent(b) })));
  }

  async unban(unbans: readonly Unban[]): Promise<void> {
    if (!this.config.unbans) return;
    await this.deliver(unbans.map((u) => ({ key: unbanKey(u), make: () => unbanEvent(u) })));
  }

  private async deliver(items: { key: string; make(): WebhookEvent }[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: { key: string; event: WebhookEvent }[] = [];
    for (const item of items) {
      if (this.delivered.has(item.key)) continue;
      const pending = this.inflight.get(item.key);
      if (pending) {
        waits.push(pending);
        continue;
      }
      try {
        fresh.push({ key: item.key, event: item.make() });
      } catch (err) {
        this.ctx.error(err); // not an address: reported once, never sent
        this.remember(item.key);
      }
    }
    const digest = fresh.length > this.config.digestAbove || (this.config.digestAbove === 0 && fresh.length > 0);
    const messages = digest ? [fresh] : fresh.map((f) => [f]);
    const sends = messages.map((m) => this.sendOne(m, digest));
    const results = await Promise.allSettled([...sends, ...waits]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 1)
      this.ctx.logger.warn(`${failed.length} of ${results.length} webhook messages failed; the first is reported, and the outbox retries them.`);
    if (failed.length > 0) throw failed[0]!.reason;
  }

  private sendOne(message: { key: string; event: WebhookEvent }[], digest: boolean): Promise<void> {
    const keys = message.map((m) => m.key);
    const req = render(
      this.config,
      message.map((m) => m.event),
      digest,
      keys,
    );
    const p = this.client
      .send(req)
      .then(() => {
        for (const k of keys) this.remember(k);
      })
      .finally(() => {
        for (const k of keys) this.inflight.delete(k);
      });
    for (const k of keys) this.inflight.set(k, p);
    return p;
  }

  private remember(key: string): void {
    this.delivered.add(key);
    if (this.delivered.size > REMEMBERED) this.delivered.delete(this.delivered.values().next().value!);
  }
}
