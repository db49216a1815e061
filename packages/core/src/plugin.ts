/**
 * The plugin contract. A plugin is a plain object (usually made by a zero-argument factory, Rollup's
 * shape) with a JSON Schema for its options and `apply(api, options)` (Babel's `declare(api,
 * options)`): the core validates the options against the schema once, builds an `api` for this
 * plugin alone, and calls `apply`, which registers what the plugin provides and taps hooks.
 *
 * A plugin package imports only types from `@f2b/core` (an optional peer) and at most `@f2b/kit` at
 * run time: everything it uses from the running core comes through `api` and the contexts below, so
 * installing a plugin never brings a second core. Its name, version, kind and core range are read
 * from its package.json (`name`, `version`, `f2b.kind`, `peerDependencies['@f2b/core']`).
 */
import type { FilterDefinition } from './filter/types.js';
import type { Ban, LogEntry, MaybePromise, Unban } from './types.js';
import type { Logger } from './logger.js';
import type { Clock } from './clock.js';
import type { JSONSchema } from './validate.js';
import type { Store } from './store.js';
import type { Hooks } from './hooks.js';
import type { errors, F2bError, F2bErrorDetails } from './errors.js';
import type { Tracker, TrackerOptions } from './tracker.js';

import type { FleetDefinition } from './fleet.js';

export type PluginKind = 'source' | 'filter' | 'action' | 'tracker' | 'store' | 'fleet';
export const PLUGIN_KINDS: readonly PluginKind[] = ['source', 'filter', 'action', 'tracker', 'store', 'fleet'];

/**
 * Who a plugin is. The core reads it from the package manifest when it loads a package; a plugin
 * object built in code (tests, embedded use) may state it here instead.
 */
export interface PluginMeta {
  /** The npm package name, e.g. `@f2b/filter-sshd`. */
  name: string;
  version?: string;
  /** semver range of `@f2b/core` this plugin works with (a package's `peerDependencies['@f2b/core']`). */
  core?: string;
  kind?: PluginKind;
}

export interface F2bPlugin<Options = Record<string, unknown>> {
  /** Only for plugins built in code: a loaded package's meta comes from its package.json. */
  meta?: Partial<PluginMeta>;
  /** JSON Schema of the plugin's options (config `plugins: [[name, options]]`); checked before `apply`. */
  schema?: JSONSchema;
  /** Register what the plugin provides and tap hooks, with the api the core built for it. */
  apply(api: PluginApi, options: Options): void;
}

/** A package's default export: the plugin, or a function of no arguments that returns it. */
export type PluginFactory<O = Record<string, unknown>> = () => F2bPlugin<O>;

/** The core's error factories, and `create` for a plugin's own codes: every one a real `F2bError`. */
export type PluginErrors = typeof errors & {
  create(code: `F2B_ERR_${string}`, message: string, details?: F2bErrorDetails): F2bError;
};

/**
 * What the core hands one plugin (Rollup's plugin context): registrations are attributed to it, its
 * logger carries its name, and nothing else of the core is reachable.
 */
export interface PluginApi {
  /** The plugin's name (from its manifest, or its meta). */
  readonly name: string;
  /** The running core's version. */
  readonly coreVersion: string;
  readonly hooks: Hooks;
  /** Named after the plugin. */
  readonly logger: Logger;
  /** The core's clock: use it instead of `Date.now`/`setTimeout`, so a `FakeClock` reaches the plugin. */
  readonly clock: Clock;
  readonly errors: PluginErrors;
  /**
   * Check `value` against `schema` (filling in defaults); throws F2B_ERR_PLUGIN_OPTIONS naming the
   * key path (`path.key`) of the first bad value.
   */
  validate(schema: JSONSchema, value: unknown, path: string): void;
  registerFilter(def: FilterDefinition): void;
  registerSource(def: SourceDefinition): void;
  registerAction(def: ActionDefinition): void;
  registerTracker(def: TrackerDefinition): void;
  registerStore(def: StoreDefinition): void;
  /** A fleet engine (config `fleet: { type }`): shares bans and failures with other hosts. */
  registerFleet(def: FleetDefinition): void;
}

/**
 * Identity helper that gives a plugin object its type (Babel's `declare`, fastify-plugin's `fp`).
 * Plugin packages type their object with `satisfies F2bPlugin` instead: importing this function
 * would make the core a run-time dependency.
 */
export function definePlugin<O = Record<string, unknown>>(plugin: F2bPlugin<O>): F2bPlugin<O> {
  return plugin;
}

// ---------------------------------------------------------------------------------------------
// What plugins provide: sources, actions (filters are in filter/types.ts)
// ---------------------------------------------------------------------------------------------

/** Passed to a source instance: where to deliver lines, and how to log. */
export interface SourceContext {
  /** The jail's name, for messages. */
  jail: string;
  /** Config path of this source (`jails.sshd.sources.0`), for messages about its options. */
  path?: string;
  /**
   * Deliver raw lines (no newline). Returns a promise when the pipeline wants the source to wait.
   * `more`: the source is reading on at once (bytes it has not delivered are there to be read
   * now). The jail may then leave the read position out of a checkpoint of its own and save it with
   * the next one — lines whose failures decided nothing are cheaper to checkpoint together, and a
   * crash before that only means they are read again. A delivery without it (the last of what was
   * there) is checkpointed as usual. Optional: older cores ignore it.
   */
  lines(lines: Buffer[], origin: string, more?: boolean): MaybePromise<void>;
  /** Deliver already-parsed entries (journald gives fields, not lines). */
  entries?(entries: LogEntry[]): MaybePromise<void>;
  /**
   * Report a line dropped as longer than the source's limit (it must never be matched, cut or not).
   * The jail counts it and warns, rate-limited. Optional: older cores do not have it.
   */
  overlong?(origin: string): void;
  logger: Logger;
  /** The core's clock (timers, "now"): a `FakeClock` in tests. */
  clock: Clock;
  /** Report a problem without stopping the daemon. */
  error(err: unknown): void;
  /** What `state()` returned when the daemon last saved (read positions, a journal cursor). */
  saved?: unknown;
}

export interface SourceInstance {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Read what is available now (tests, flush before stop). */
  poll?(): Promise<void>;
  /**
   * Where the source is (JSON-serialisable), covering exactly the lines already delivered; saved
   * with every checkpoint and handed back as `ctx.saved` after a restart.
   */
  state?(): unknown;
  /**
   * How far reading is behind, per origin (the `source` label of `f2b_lines_total`): bytes not read
   * yet (a file), or seconds behind now (a journal catching up). Optional; for metrics.
   */
  lag?(): MaybePromise<readonly SourceLag[]>;
}

/** One origin's lag, for `f2b_source_lag_bytes` / `f2b_source_lag_seconds`. */
export interface SourceLag {
  source: string;
  bytes?: number;
  seconds?: number;
}

/** What a source can deliver now: for `f2b config check`, the start of a jail and `f2b status`. */
export interface SourceWatch {
  /** False: the source can deliver nothing (no file matches its paths, no journal to read). */
  watching: boolean;
  /** Why it watches nothing, or — while watching — what looks wrong (no matching entry lately). */
  reason?: string;
}

export interface SourceCheckContext {
  jail: string;
  /** Config path of the source (`jails.sshd.sources.0`). */
  path: string;
  /** The jail's findtime, seconds: "no matching entry in the last findtime" is worth a warning. */
  findtime: number;
}

export interface SourceDefinition {
  /** Type name used in config: `source: { type: 'file' }`. */
  type: string;
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: SourceContext): SourceInstance;
  /**
   * Look (without reading) whether the source has anything to watch: run by `f2b config check`, when
   * the jail starts and periodically while it watches nothing. Omitted: assumed to watch.
   */
  check?(options: Record<string, unknown>, ctx: SourceCheckContext): Promise<SourceWatch>;
}

export interface ActionContext {
  jail: string;
  /**
   * The jail's `port` (numbers and `from-to` ranges, service names already resolved), when it has
   * one: a firewall action bans only these ports unless its own options say otherwise. Optional:
   * older cores do not set it, and actions that do not filter by port ignore it.
   */
  ports?: readonly string[];
  /** The jail's `protocol` (tcp, udp, sctp), when it has one: the protocols `ports` apply to. */
  protocols?: readonly ('tcp' | 'udp' | 'sctp')[];
  logger: Logger;
  /** The core's clock (timers, "now"): a `FakeClock` in tests. */
  clock: Clock;
  error(err: unknown): void;
}

export interface ActionInstance {
  start?(): Promise<void>;
  stop?(): Promise<void>;
  ban(bans: readonly Ban[]): Promise<void>;
  unban(unbans: readonly Unban[]): Promise<void>;
  /**
   * Optional: the bans this action currently enforces (e.g. the elements of its nftables sets), with
   * their end (epoch ms; null = permanent). Used to recover the bans in force when the state
   * database was lost (corrupt). Called before `start()`: what the action enforces from a previous
   * run (e.g. kernel sets left by a crash), before starting brings it in line with f2b's state.
   */
  listBanned?(): Promise<ListedBan[]>;
}

/**
 * A ban as an action reports it: the address or network, and when it ends (epoch ms; null = never;
 * undefined = the action does not know, and the jail's bantime from now applies — never "for good").
 */
export interface ListedBan {
  id: string;
  end?: number | null;
}

export interface ActionDefinition {
  /** Type name used in config: `actions: ['log']` or `{ type: 'nftables', … }`. */
  type: string;
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: ActionContext): ActionInstance;
}

/** What the daemon hands a store it creates. */
export interface StoreContext {
  /** The core's clock: the store's "now" (a `FakeClock` in tests). */
  clock: Clock;
  logger: Logger;
}

export interface StoreDefinition {
  /** Type name used in config: `state: { type: 'sqlite', path }`. */
  type: string;
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: StoreContext): Store;
  /**
   * Check, without creating or opening anything, that a store with these options can work (e.g. its
   * path is usable); throws the error to report. `f2b config check` and `f2b start` call it first.
   */
  check?(options: Record<string, unknown>): void | Promise<void>;
}

/**
 * What a tracker instance offers the jail: the public side of the default `Tracker` (a replacement
 * implements the same methods; it may wrap the default one).
 */
export type TrackerInstance = { [K in keyof Tracker]: Tracker[K] };

/** What the jail hands a tracker: its limits, the clock, and where to report bans and unbans. */
export type TrackerContext = TrackerOptions;

export interface TrackerDefinition {
  /** Type name used in config: `tracker: { type: 'default' }`. */
  type: string;
  /** JSON Schema of the options beside `type` in the jail's `tracker`. */
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: TrackerContext): TrackerInstance;
}

/** Anything a plugin can register; `FilterDefinition` re-exported for convenience. */
export type { FilterDefinition, FleetDefinition };
