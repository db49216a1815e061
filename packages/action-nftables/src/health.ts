/**
 * Health of one action instance: kit's `ActionHealth` (the failure streak, reported once and
 * retried with backoff; the periodic check), shared with the ipset and route actions, plus the
 * debounced repair after `nft monitor` saw someone else change the table. Every timer runs on the
 * context's clock.
 */
import type { ActionContext } from '@f2b/core';
import { ActionHealth, type TimerHandle } from '@f2b/kit';
import type { NftConfig } from './options.js';

/** Changes reported by the monitor within this many ms are repaired in one check. */
const DAMAGE_DEBOUNCE_MS = 10;

export class NftHealth extends ActionHealth {
  private readonly clock: ActionContext['clock'];
  private damageTimer?: TimerHandle;

  constructor(config: NftConfig, ctx: ActionContext) {
    super(ctx, { name: 'nft', retryDelayMs: config.retryDelayMs, retryMaxDelayMs: config.retryMaxDelayMs, checkIntervalMs: config.checkIntervalMs });
    this.clock = ctx.clock;
  }

  /** Run `repair` soon, once for a burst of changes. */
  repairSoon(repair: () => void): void {
    if (this.damageTimer !== undefined) return;
    this.damageTimer = this.clock.setTimer(DAMAGE_DEBOUNCE_MS, () => {
      this.damageTimer = undefined;
      repair();
    });
  }

  override stop(): void {
    super.stop();
    this.damageTimer?.cancel();
    this.damageTimer = undefined;
  }
}
