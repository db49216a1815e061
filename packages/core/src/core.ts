/**
 * The core: owns the hooks and the registries of what plugins provide, and loads plugins with the
 * checks that keep a bad plugin from taking the daemon down (version range, options schema, taps
 * wrapped so that a throw is reported with its plugin and hook). Each plugin gets an api of its own
 * (plugin-api.ts), never the core itself.
 */
import { createHooks, type Hooks } from './hooks.js';
import { errors, isF2bError } from './errors.js';
import { createLogger, type Logger, type LogLevel, type LogSink } from './logger.js';
import { systemClock, type Clock } from './clock.js';
import { checkOptions } from './validate.js';
import { CORE_VERSION } from './version.js';
import { coreRangeAdmits } from './core-range.js';
import { createPluginApi } from './plugin-api.js';
import { defaultTrackerPlugin } from './builtin/default-tracker.js';
import type { ActionDefinition, F2bPlugin, PluginMeta, SourceDefinition, StoreDefinition, TrackerDefinition } from './plugin.js';
import type { FilterDefinition } from './filter/types.js';
import type { FleetDefinition } from './fleet.js';

export interface CoreOptions {
  clock?: Clock;
  logLevel?: LogLevel;
  logSink?: LogSink;
  /** Override the version plugins are checked against (tests). */
  version?: string;
}

/** How a plugin is being loaded: where in the config it was named, with which options. */
export interface UseOptions {
  /** Config path it came from (`plugins.0`, `jails.sshd.filter`), for error messages. */
  path?: string;
  /** The plugin's options (config `plugins: [[name, options]]`), checked against its `schema`. */
  options?: Record<string, unknown>;
}

export interface Provided<T> {
  readonly def: T;
  readonly plugin: string;
}

/** The registries a plugin's api writes into, one per kind. */
export interface Registries {
  filters: Map<string, Provided<FilterDefinition>>;
  sources: Map<string, Provided<SourceDefinition>>;
  actions: Map<string, Provided<ActionDefinition>>;
  trackers: Map<string, Provided<TrackerDefinition>>;
  stores: Map<string, Provided<StoreDefinition>>;
  fleets: Map<string, Provided<FleetDefinition>>;
}

/** A loaded plugin as the core keeps it: the object and the meta it was loaded with. */
export interface LoadedPlugin {
  readonly plugin: F2bPlugin;
  readonly meta: PluginMeta;
}

export class Core {
  readonly version: string;
  /** Made at the first use (with tapable, 15 modules): `f2b test-filter` never taps or calls one. */
  private madeHooks: Hooks | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly logLevel: LogLevel;
  private readonly logSink?: LogSink;
  private readonly plugins = new Map<string, LoadedPlugin>();
  private readonly registries: Registries = {
    filters: new Map(),
    sources: new Map(),
    actions: new Map(),
    trackers: new Map(),
    stores: new Map(),
    fleets: new Map(),
  };
  private inlineCount = 0;
  /** The config's own filters (`filters:`): looked up before the plugins', replaced whole at each (re)load. */
  private configFilters = new Map<string, Provided<FilterDefinition>>();

  constructor(opts: CoreOptions = {}) {
    this.version = opts.version ?? CORE_VERSION;
    this.clock = opts.clock ?? systemClock;
    this.logLevel = opts.logLevel ?? 'info';
    this.logSink = opts.logSink;
    this.logger = this.getLogger('f2b');
    this.use(defaultTrackerPlugin);
  }

  get hooks(): Hooks {
    if (this.madeHooks === undefined) {
      this.madeHooks = createHooks();
      this.guardTaps(this.madeHooks);
    }
    return this.madeHooks;
  }

  getLogger(name: string): Logger {
    return createLogger(name, this.logLevel, this.logSink);
  }

  /**
   * Load a plugin: check its shape and the core range it declares, validate its options against its
   * schema (once, here), and apply it with an api of its own.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  use(plugin: F2bPlugin<any>, load: UseOptions | string = {}): void {
    const { path, options = {} } = typeof load === 'string' ? { path: load } : load;
    const stated = (plugin as F2bPlugin | undefined)?.meta;
    if (!plugin || typeof plugin !== 'object' || typeof plugin.apply !== 'function') {
      throw errors.F2B_ERR_PLUGIN_INVALID(String(stated?.name ?? 'unknown'), 'it has no apply(api, options) function', path);
    }
    if (stated !== undefined && (typeof stated !== 'object' || stated === null || (stated.name !== undefined && typeof stated.name !== 'string'))) {
      throw errors.F2B_ERR_PLUGIN_INVALID('unknown', 'meta must be an object with a name', path);
    }
    const name = stated?.name ?? `inline#${++this.inlineCount}`;
    const meta: PluginMeta = { ...stated, name };
    if (meta.core !== undefined) {
      const admits = typeof meta.core === 'string' ? coreRangeAdmits(meta.core, this.version) : null;
      if (admits === null) throw errors.F2B_ERR_PLUGIN_INVALID(name, `its @f2b/core range "${String(meta.core)}" is not a semver range`, path);
      if (!admits) {
        throw errors.F2B_ERR_PLUGIN_VERSION_MISMATCH(name, meta.core, this.version, path);
      }
    }
    if (this.plugins.has(name)) return; // loading the same package twice is harmless
    const checked = { ...options };
    if (plugin.schema) checkOptions(plugin.schema, checked, path ? `${path}.options` : 'options', name);
    try {
      plugin.apply(createPluginApi(name, this, this.registries), checked);
    } catch (err) {
      if (isF2bError(err)) throw err;
      throw errors.F2B_ERR_PLUGIN_HOOK(name, 'apply', err);
    }
    this.plugins.set(name, { plugin, meta });
  }

  getStore(type: string): Provided<StoreDefinition> | undefined {
    return this.registries.stores.get(type);
  }
  getFilter(id: string): Provided<FilterDefinition> | undefined {
    return this.configFilters.get(id) ?? this.registries.filters.get(id);
  }
  /**
   * The config's filters, replacing those of the previous load. One named like a plugin's filter is
   * the one used (the config is the user's explicit choice; a package installed later must not change
   * what a jail matches), whichever is loaded first.
   */
  setConfigFilters(defs: readonly FilterDefinition[], plugin = 'config'): void {
    this.configFilters = new Map(defs.map((def) => [def.id, { def, plugin }]));
  }
  getSource(type: string): Provided<SourceDefinition> | undefined {
    return this.registries.sources.get(type);
  }
  getAction(type: string): Provided<ActionDefinition> | undefined {
    return this.registries.actions.get(type);
  }
  getTracker(type: string): Provided<TrackerDefinition> | undefined {
    return this.registries.trackers.get(type);
  }
  getFleet(type: string): Provided<FleetDefinition> | undefined {
    return this.registries.fleets.get(type);
  }
  listFilters(): Provided<FilterDefinition>[] {
    return [...this.configFilters.values(), ...[...this.registries.filters.values()].filter((p) => !this.configFilters.has(p.def.id))];
  }
  listPlugins(): LoadedPlugin[] {
    return [...this.plugins.values()];
  }

  /** Report an error that must not stop the daemon. */
  reportError(err: unknown, context: { plugin?: string; hook?: string; jail?: string } = {}): void {
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      this.hooks.error.call(error, context);
    } catch {
      /* an error reporter that throws must not recurse */
    }
    // One log line per error: the fix goes in a field (a newline would be escaped by the sink).
    if (isF2bError(error)) this.logger.error(`${error.code}: ${error.message}`, { ...context, ...(error.fix ? { fix: error.fix } : {}) });
    else this.logger.error(error.message, { ...context });
  }

  /** Wrap every tap so a plugin that throws is reported (with plugin and hook) instead of crashing us. */
  private guardTaps(hooks: Hooks): void {
    for (const [hookName, hook] of Object.entries(hooks)) {
      if (hookName === 'error') continue;
      (hook as { intercept(i: object): void }).intercept({
        register: (tap: { name: string; type: string; fn: (...a: unknown[]) => unknown }) => {
          const fn = tap.fn;
          // A plugin's own F2bError is reported as it is (its code and fix); anything else is a bug in it.
          const report = (err: unknown) =>
            this.reportError(isF2bError(err) ? err : errors.F2B_ERR_PLUGIN_HOOK(tap.name, hookName, err), { plugin: tap.name, hook: hookName });
          if (tap.type === 'sync') {
            tap.fn = (...args: unknown[]) => {
              try {
                return fn(...args);
              } catch (err) {
                report(err);
                return undefined;
              }
            };
          } else if (tap.type === 'promise') {
            tap.fn = async (...args: unknown[]) => {
              try {
                return await fn(...args);
              } catch (err) {
                report(err);
                return undefined;
              }
            };
          } else {
            tap.fn = (...args: unknown[]) => {
              const cb = args[args.length - 1] as (e?: unknown, r?: unknown) => void;
              try {
                return fn(...args.slice(0, -1), (e?: unknown, r?: unknown) => {
                  if (e) report(e);
                  cb(undefined, r);
                });
              } catch (err) {
                report(err);
                cb();
                return undefined;
              }
            };
          }
          return tap;
        },
      });
    }
  }
}
