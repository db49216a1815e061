/**
 * Runs an action plugin outside a daemon: creates it with options, feeds bans and unbans, and keeps
 * what happened, so action authors test their plugin the way the engine will drive it.
 */
import { Core } from '../core.js';
import type { ActionInstance, F2bPlugin } from '../plugin.js';
import type { Ban, Unban } from '../types.js';
import { memoryLogger } from '../logger.js';
import { checkOptions } from '../validate.js';
import type { Clock } from '../clock.js';

export interface ActionTesterOptions {
  plugin: F2bPlugin;
  type: string;
  /** The action's options (a jail's `{ type, ...options }`). */
  options?: Record<string, unknown>;
  /** The plugin's own options (config `plugins: [[name, options]]`), checked against its schema. */
  pluginOptions?: Record<string, unknown>;
  jail?: string;
  /** The clock the core and the action's context use (a `FakeClock`); default: the system's. */
  clock?: Clock;
}

export class ActionTester {
  readonly core: Core;
  readonly instance: ActionInstance;
  readonly logger = memoryLogger('action-tester');
  readonly errors: unknown[] = [];
  readonly jail: string;

  constructor(opts: ActionTesterOptions) {
    this.core = new Core({ logLevel: 'silent', clock: opts.clock });
    this.core.use(opts.plugin, { options: opts.pluginOptions });
    const provided = this.core.getAction(opts.type);
    if (!provided) throw new Error(`The plugin ${opts.plugin.meta?.name ?? ''} did not register the action "${opts.type}".`);
    this.jail = opts.jail ?? 'test';
    const options = { ...(opts.options ?? {}) };
    if (provided.def.schema) checkOptions(provided.def.schema, options, 'options', provided.plugin);
    this.instance = provided.def.create(options, {
      jail: this.jail,
      logger: this.logger,
      clock: this.core.clock,
      error: (e) => {
        this.errors.push(e);
      },
    });
  }

  /** A ban as the tracker would make it. */
  /** A ban of `id` from `start` (default: now on the tester's clock, as the jail would). */
  ban(id: string, opts: { start?: number; bantime?: number; count?: number } = {}): Ban {
    const start = opts.start ?? this.core.clock.now();
    const bantime = opts.bantime ?? 600;
    return { jail: this.jail, id, start, end: bantime < 0 ? null : start + bantime * 1000, count: opts.count ?? 1, failures: 5, rule: 'test' };
  }

  unban(id: string, time = this.core.clock.now()): Unban {
    return { jail: this.jail, id, time, reason: 'expired' };
  }

  async start(): Promise<void> {
    await this.instance.start?.();
  }
  async stop(): Promise<void> {
    await this.instance.stop?.();
  }
  async applyBans(...ids: string[]): Promise<Ban[]> {
    const bans = ids.map((id) => this.ban(id));
    await this.instance.ban(bans);
    return bans;
  }
  async applyUnbans(...ids: string[]): Promise<void> {
    await this.instance.unban(ids.map((id) => this.unban(id)));
  }
}
