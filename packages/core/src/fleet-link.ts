/**
 * The daemon's side of a fleet: taps the ban, unban and counted hooks to hand this host's decisions
 * to the fleet instance, and applies what the fleet delivers through the jails. A ban or unban that
 * carries an `origin` came from the fleet and is never handed back (no echo loop); an expiry is
 * never published (every host ends a ban on its own clock).
 */
import { hostname } from 'node:os';
import { parseIp } from './ip.js';
import type { Core } from './core.js';
import type { Jail } from './jail.js';
import type { Store } from './store.js';
import type { FleetBanOutcome, FleetContext, FleetInstance, FleetJail, FleetStatus } from './fleet.js';
import type { Ban, Unban } from './types.js';
import { RANGE_RULE } from './range-escalation.js';

const TAP = 'f2b:fleet';

export interface FleetLinkOptions {
  core: Core;
  jails: () => readonly Jail[];
  store: () => Store | null;
  host?: string;
  /**
   * Receive only (a dry run): what a dry-run host decides must never make the fleet's real hosts
   * ban, so nothing is handed to the fleet; received bans still reach its (log) actions.
   */
  receiveOnly?: boolean;
}

type Held = { t: 'ban'; ban: Ban; jail: FleetJail } | { t: 'unban'; unban: Unban; jail: FleetJail };

export class FleetLink {
  host: string;
  private instance: FleetInstance | null = null;
  private readonly opts: FleetLinkOptions;
  private tapped = false;
  /** Between two instances (a reload that changes the fleet): what this host decides meanwhile, for the next. */
  private held: Held[] | null = null;

  constructor(opts: FleetLinkOptions) {
    this.opts = opts;
    this.host = opts.host ?? hostname();
  }

  /** This host's name in the fleet for the next instance (a reload may change it). */
  rename(host: string | undefined): void {
    this.host = host ?? hostname();
  }

  /** The context a fleet instance is created with. */
  context(): FleetContext {
    const { core } = this.opts;
    return {
      host: this.host,
      logger: core.getLogger('fleet'),
      clock: core.clock,
      jails: () => this.opts.jails().map(fleetJail),
      applyBan: (ban): FleetBanOutcome => {
        const jail = this.sharing(ban.jail);
        return jail ? jail.adoptRemote(ban) : 'ignored';
      },
      applyUnban: (unban) => this.sharing(unban.jail)?.unbanRemote(unban.id, unban.origin) ?? false,
      decideBan: (name, id, failures) => {
        const jail = this.opts.jails().find((j) => j.name === name);
        const ip = parseIp(id);
        if (!jail || !ip || jail.neverBanned(ip) || jail.banOf(ip)) return null;
        return jail.ban(ip, 'fleet-count', [`${failures} failure(s) of ${ip.text} across the fleet reached maxretry ${jail.config.maxretry}`]);
      },
      bansInForce: () =>
        this.opts
          .jails()
          .filter((j) => j.config.fleet.bans)
          .flatMap((j) => [...j.bans()]),
      load: async (key) => this.opts.store()?.position(`fleet/${key}`),
      save: async (key, value) => {
        await this.opts.store()?.checkpoint({ positions: { [`fleet/${key}`]: value } });
      },
      error: (err) => core.reportError(err, { plugin: 'fleet' }),
    };
  }

  /** Start handing this host's decisions to `instance`. */
  attach(instance: FleetInstance): void {
    this.instance = instance;
    // Decided while the previous instance was being replaced: the new one publishes them (after
    // the queue the previous one saved, which it restores first).
    const held = this.held ?? [];
    this.held = null;
    for (const h of held) {
      if (h.t === 'ban') instance.ban(h.ban, h.jail);
      else instance.unban(h.unban, h.jail);
    }
    // The hooks are tapped once for the daemon's life, whatever instance comes next.
    if (this.opts.receiveOnly || this.tapped) return;
    this.tapped = true;
    const hooks = this.opts.core.hooks;
    hooks.ban.tap(TAP, (ban) => {
      // A range ban is not shared: every host decides its own from the address bans it holds (the
      // fleet's included), against its own ignoreip; a peer would refuse a CIDR anyway.
      if (ban.origin !== undefined || ban.rule === RANGE_RULE) return;
      const jail = this.sharingConfig(ban.jail);
      if (!jail) return;
      if (this.instance) this.instance.ban(ban, jail);
      else this.held?.push({ t: 'ban', ban, jail });
    });
    hooks.unban.tap(TAP, (unban) => {
      if (unban.origin !== undefined || unban.reason !== 'manual') return;
      const jail = this.sharingConfig(unban.jail);
      if (!jail) return;
      if (this.instance) this.instance.unban(unban, jail);
      else this.held?.push({ t: 'unban', unban, jail });
    });
    hooks.counted.tap(TAP, (failure, info, outcome) => {
      // A ban decided here reaches the fleet as a ban; only the counts below maxretry are shared.
      if (outcome.kind !== 'counted') return;
      const jail = this.opts.jails().find((j) => j.name === info.name);
      if (jail && jail.config.fleet.failures) this.instance?.failure(failure, fleetJail(jail));
    });
  }

  status(): FleetStatus | null {
    return this.instance?.status() ?? null;
  }

  /**
   * Stop the instance (it publishes what it can and saves the rest of its queue). `replacing`: a
   * next instance follows, so what this host decides until then is held for it.
   */
  async stop(replacing = false): Promise<void> {
    const instance = this.instance;
    this.instance = null;
    this.held = replacing ? (this.held ?? []) : null;
    await instance?.stop();
  }

  private sharing(name: string): Jail | undefined {
    const jail = this.opts.jails().find((j) => j.name === name);
    return jail && jail.config.fleet.bans ? jail : undefined;
  }

  private sharingConfig(name: string): FleetJail | undefined {
    const jail = this.sharing(name);
    return jail ? fleetJail(jail) : undefined;
  }
}

function fleetJail(j: Jail): FleetJail {
  const c = j.config;
  return { name: c.name, findtime: c.findtime, maxretry: c.maxretry, bantime: c.bantime, failures: c.fleet.failures, bans: c.fleet.bans };
}
