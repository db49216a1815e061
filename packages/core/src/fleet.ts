/**
 * The fleet contract (plugin kind `fleet`): several hosts share bans and failures through a shared
 * engine (`@f2b/fleet-redis`). The core hands the fleet what this host decides (bans, manual unbans,
 * counted failures) and the fleet hands back what the others decided, which the core applies through
 * the jail like a ban by hand — checked against this host's ignoreip/ignoreself, with `origin` set,
 * and never handed to the fleet again (no echo). The store stays each host's source of truth: a host
 * whose fleet is unreachable goes on deciding alone.
 */
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { JSONSchema } from './validate.js';
import type { AddressFailure } from './tracker.js';
import type { Ban, Unban } from './types.js';

/** What a fleet knows of one jail of this host (config `jails.<name>.fleet`). */
export interface FleetJail {
  readonly name: string;
  /** Seconds. */
  readonly findtime: number;
  readonly maxretry: number;
  /** Seconds; -1 = permanent. */
  readonly bantime: number;
  /** Count this jail's failures fleet-wide (`fleet.failures`, default true). */
  readonly failures: boolean;
  /** Share this jail's bans and apply the fleet's (`fleet.bans`, default true). */
  readonly bans: boolean;
}

/** A ban another host decided, as the fleet delivers it. */
export interface FleetBan {
  readonly jail: string;
  readonly id: string;
  /** Epoch ms on this host's clock (the fleet converts from its own); null: permanent. */
  readonly end: number | null;
  /** The deciding host. */
  readonly origin: string;
  readonly failures?: number;
  readonly lines?: readonly string[];
}

export interface FleetUnban {
  readonly jail: string;
  readonly id: string;
  readonly origin: string;
}

/** What became of a received ban: applied, already in force, refused here, expired, or no such jail/sharing off. */
export type FleetBanOutcome = 'applied' | 'known' | 'refused' | 'expired' | 'ignored';

/** What the core hands a fleet instance. */
export interface FleetContext {
  /** This host's name in the fleet (config `fleet.host`, default the host name). */
  readonly host: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The jails running now (they change on reload). */
  jails(): FleetJail[];
  /** Apply a ban another host decided. */
  applyBan(ban: FleetBan): FleetBanOutcome;
  /** Apply an unban another host made; false if the address was not banned here. */
  applyUnban(unban: FleetUnban): boolean;
  /**
   * The fleet-wide count of a jail's failures reached its maxretry at a failure of this host, and the
   * fleet chose this host to decide: ban here (the ban then reaches the fleet like any local one).
   */
  decideBan(jail: string, id: string, failures: number): Ban | null;
  /**
   * The bans in force in the jails that share bans (this host's own, and received ones: `origin`
   * set, or the rule `fleet:<host>` on a ban restored from the store), for reconciling after a
   * catch-up and for publishing again what a Redis that lost its data no longer has.
   */
  bansInForce(): Ban[];
  /** Durable state of the fleet (its publish queue, its stream position): in the state store. */
  load(key: string): Promise<unknown>;
  save(key: string, value: unknown): Promise<void>;
  /** Report a problem without stopping the daemon. */
  error(err: unknown): void;
}

/** How the fleet is doing, for `f2b status`. */
export interface FleetStatus {
  type: string;
  name: string;
  host: string;
  connected: boolean;
  /** Where (secrets redacted). */
  url?: string;
  /** Hosts seen within the last few heartbeats, with when (epoch ms, this host's clock). */
  hosts: { host: string; seen: number }[];
  /** Messages waiting to be published (queued while disconnected). */
  queued: number;
  /** Delay between a message's publication and its arrival here, ms (latest and largest seen). */
  lag: { lastMs: number | null; maxMs: number | null };
  received: number;
  published: number;
  refused: number;
  error?: string;
}

export interface FleetInstance {
  /** Connect (in the background: an unreachable fleet must not keep the daemon from starting). */
  start(): Promise<void>;
  /** Save what is still queued, disconnect. */
  stop(): Promise<void>;
  /** A ban this host decided (never one received from the fleet). */
  ban(ban: Ban, jail: FleetJail): void;
  /** An unban by hand on this host (never one received, never an expiry: every host expires on its own). */
  unban(unban: Unban, jail: FleetJail): void;
  /** A failure this host counted (jails with `fleet.failures`). */
  failure(failure: AddressFailure, jail: FleetJail): void;
  status(): FleetStatus;
}

export interface FleetDefinition {
  /** Type name used in config: `fleet: { type: redis, … }`. */
  type: string;
  /** JSON Schema of the options beside `type` (and `host`). */
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: FleetContext): FleetInstance;
}
