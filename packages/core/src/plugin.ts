/**
 * The plugin contract. A plugin is a plain object made by a factory (Rollup's shape), carrying its
 * identity and the core range it was built for (checked at load, like Babel's `assertVersion`), a
 * JSON Schema for its options, and `apply(core)`, which registers what it provides and taps hooks
 * (webpack's shape).
 */
import type { Core } from './core.js';
import type { FilterDefinition } from './filter/types.js';
import type { Ban, LogEntry, MaybePromise, Unban } from './types.js';
import type { Logger } from './logger.js';
import type { Clock } from './clock.js';
import type { JSONSchema } from './validate.js';
import type { Store } from './store.js';

export type PluginKind = 'source' | 'filter' | 'tracker' | 'action' | 'other';

export interface PluginMeta {
  /** The npm package name, e.g. `@f2b/filter-sshd`. */
  name: string;
  version: string;
  /** semver range of `@f2b/core` this plugin works with. */
  core: string;
  kind?: PluginKind;
}

export interface F2bPlugin<Options = unknown> {
  meta: PluginMeta;
  /** JSON Schema of the options the factory accepted; core validates before `apply`. */
  schema?: JSONSchema;
  /** The options the factory was called with (validated against `schema`). */
  options?: Options;
  apply(core: Core): void;
}

/** Identity helper that gives plugin authors types (Babel's `declare`, fastify-plugin's `fp`). */
export function definePlugin<O>(plugin: F2bPlugin<O>): F2bPlugin<O> {
  return plugin;
}

/** A module's default export: a factory taking the user's options. */
export type PluginFactory<O = Record<string, unknown>> = (options?: O) => F2bPlugin<O>;

// ---------------------------------------------------------------------------------------------
// What plugins provide: sources, actions (filters are in filter/types.ts)
// ---------------------------------------------------------------------------------------------

/** Passed to a source instance: where to deliver lines, and how to log. */
export interface SourceContext {
  /** The jail's name, for messages. */
  jail: string;
  /** Config path of this source (`jails.sshd.sources.0`), for messages about its options. */
  path?: string;
  /** Deliver raw lines (no newline). Returns a promise when the pipeline wants the source to wait. */
  lines(lines: Buffer[], origin: string): MaybePromise<void>;
  /** Deliver already-parsed entries (journald gives fields, not lines). */
  entries?(entries: LogEntry[]): MaybePromise<void>;
  /**
   * Report a line dropped as longer than the source's limit (it must never be matched, cut or not).
   * The jail counts it and warns, rate-limited. Optional: older cores do not have it.
   */
  overlong?(origin: string): void;
  logger: Logger;
  /** Report a problem without stopping the daemon. */
  error(err: unknown): void;
  /** What `state()` returned when the daemon last saved (read positions, a journal cursor). */
  saved?: unknown;
  /** The core's clock: every timer of the source runs on it (tests move it). Absent: the system clock. */
  clock?: Clock;
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
  logger: Logger;
  error(err: unknown): void;
  /** The core's clock: every timer and `now` of the action runs on it (tests move it). Absent: the system clock. */
  clock?: Clock;
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
export interface ListedBan { id: string; end?: number | null }

export interface ActionDefinition {
  /** Type name used in config: `actions: ['log']` or `{ type: 'nftables', … }`. */
  type: string;
  schema?: JSONSchema;
  create(options: Record<string, unknown>, ctx: ActionContext): ActionInstance;
}

export interface StoreDefinition {
  /** Type name used in config: `state: { type: 'sqlite', path }`. */
  type: string;
  schema?: JSONSchema;
  create(options: Record<string, unknown>): Store;
  /**
   * Check, without creating or opening anything, that a store with these options can work (e.g. its
   * path is usable); throws the error to report. `f2b config check` and `f2b start` call it first.
   */
  check?(options: Record<string, unknown>): void | Promise<void>;
}

/** Anything a plugin can register; `FilterDefinition` re-exported for convenience. */
export type { FilterDefinition };
