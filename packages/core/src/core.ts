/**
 * The core: owns the hooks and the registries of what plugins provide, and loads plugins with the
 * checks that keep a bad plugin from taking the daemon down (version range, options schema, taps
 * wrapped so that a throw is reported with its plugin and hook).
 */
import semver from 'semver';
import { createHooks, type Hooks } from './hooks.js';
import { errors, isF2bError } from './errors.js';
import { createLogger, type Logger, type LogLevel, type LogSink } from './logger.js';
import { systemClock, type Clock } from './clock.js';
import { checkSchema } from './validate.js';
import { CORE_VERSION } from './version.js';
import type { ActionDefinition, F2bPlugin, SourceDefinition, StoreDefinition } from './plugin.js';
import type { FilterDefinition } from './filter/types.js';

export interface CoreOptions {
  clock?: Clock;
  logLevel?: LogLevel;
  logSink?: LogSink;
  /** Override the version plugins are checked against (tests). */
  version?: string;
}

export interface Provided<T> { readonly def: T; readonly plugin: string }

export class Core {
  readonly version: string;
  readonly hooks: Hooks;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly logLevel: LogLevel;
  private readonly logSink?: LogSink;
  private readonly plugins = new Map<string, F2bPlugin>();
  private readonly filters = new Map<string, Provided<FilterDefinition>>();
  private readonly sources = new Map<string, Provided<SourceDefinition>>();
  private readonly actions = new Map<string, Provided<ActionDefinition>>();
  private readonly stores = new Map<string, Provided<StoreDefinition>>();
  /** The plugin whose `apply` is running, so registrations know who made them. */
  private applying: string | null = null;

  constructor(opts: CoreOptions = {}) {
    this.version = opts.version ?? CORE_VERSION;
    this.clock = opts.clock ?? systemClock;
    this.logLevel = opts.logLevel ?? 'info';
    this.logSink = opts.logSink;
    this.logger = this.getLogger('f2b');
    this.hooks = createHooks();
    this.guardTaps();
  }

  getLogger(name: string): Logger {
    return createLogger(name, this.logLevel, this.logSink);
  }

  /**
   * Load a plugin: check its shape and the core range it declares, validate its options, apply it.
   * `path` is the config path it came from, for error messages.
   */
  use(plugin: F2bPlugin, path?: string): void {
    if (!plugin || typeof plugin !== 'object' || typeof plugin.apply !== 'function') {
      throw errors.F2B_ERR_PLUGIN_INVALID(String((plugin as F2bPlugin | undefined)?.meta?.name ?? 'unknown'), 'it has no apply(core) function', path);
    }
    const meta = plugin.meta;
    if (!meta || typeof meta.name !== 'string' || typeof meta.version !== 'string' || typeof meta.core !== 'string') {
      throw errors.F2B_ERR_PLUGIN_INVALID(String(meta?.name ?? 'unknown'), 'meta must have name, version and core (a semver range)', path);
    }
    if (!semver.validRange(meta.core)) throw errors.F2B_ERR_PLUGIN_INVALID(meta.name, `meta.core "${meta.core}" is not a semver range`, path);
    if (!semver.satisfies(this.version, meta.core, { includePrerelease: true })) {
      throw errors.F2B_ERR_PLUGIN_VERSION_MISMATCH(meta.name, meta.core, this.version, path);
    }
    if (this.plugins.has(meta.name)) return; // loading the same package twice is harmless
    if (plugin.schema) {
      const problem = checkSchema(plugin.schema, plugin.options ?? {}, path ? `${path}.options` : 'options');
      if (problem) throw errors.F2B_ERR_PLUGIN_OPTIONS(meta.name, problem.path, problem.problem);
    }
    this.applying = meta.name;
    try {
      plugin.apply(this);
    } catch (err) {
      if (isF2bError(err)) throw err;
      throw errors.F2B_ERR_PLUGIN_HOOK(meta.name, 'apply', err);
    } finally {
      this.applying = null;
    }
    this.plugins.set(meta.name, plugin);
  }

  registerFilter(def: FilterDefinition): void {
    this.register(this.filters, def.id, def, 'filter');
  }

  registerSource(def: SourceDefinition): void {
    this.register(this.sources, def.type, def, 'source');
  }

  registerAction(def: ActionDefinition): void {
    this.register(this.actions, def.type, def, 'action');
  }

  registerStore(def: StoreDefinition): void {
    this.register(this.stores, def.type, def, 'store');
  }

  getStore(type: string): Provided<StoreDefinition> | undefined { return this.stores.get(type); }
  getFilter(id: string): Provided<FilterDefinition> | undefined { return this.filters.get(id); }
  getSource(type: string): Provided<SourceDefinition> | undefined { return this.sources.get(type); }
  getAction(type: string): Provided<ActionDefinition> | undefined { return this.actions.get(type); }
  listFilters(): Provided<FilterDefinition>[] { return [...this.filters.values()]; }
  listPlugins(): F2bPlugin[] { return [...this.plugins.values()]; }

  /** Report an error that must not stop the daemon. */
  reportError(err: unknown, context: { plugin?: string; hook?: string; jail?: string } = {}): void {
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      this.hooks.error.call(error, context);
    } catch { /* an error reporter that throws must not recurse */ }
    // One log line per error: the fix goes in a field (a newline would be escaped by the sink).
    if (isF2bError(error)) this.logger.error(`${error.code}: ${error.message}`, { ...context, ...(error.fix ? { fix: error.fix } : {}) });
    else this.logger.error(error.message, { ...context });
  }

  private register<T>(map: Map<string, Provided<T>>, key: string, def: T, kind: string): void {
    const plugin = this.applying ?? 'inline';
    const existing = map.get(key);
    if (existing && existing.plugin !== plugin) {
      this.logger.warn(`The ${kind} "${key}" from ${plugin} replaces the one from ${existing.plugin}.`);
    }
    map.set(key, { def, plugin });
  }

  /** Wrap every tap so a plugin that throws is reported (with plugin and hook) instead of crashing us. */
  private guardTaps(): void {
    for (const [hookName, hook] of Object.entries(this.hooks)) {
      if (hookName === 'error') continue;
      (hook as { intercept(i: object): void }).intercept({
        register: (tap: { name: string; type: string; fn: (...a: unknown[]) => unknown }) => {
          const fn = tap.fn;
          const report = (err: unknown) => this.reportError(errors.F2B_ERR_PLUGIN_HOOK(tap.name, hookName, err), { plugin: tap.name, hook: hookName });
          if (tap.type === 'sync') {
            tap.fn = (...args: unknown[]) => {
              try { return fn(...args); } catch (err) { report(err); return undefined; }
            };
          } else if (tap.type === 'promise') {
            tap.fn = async (...args: unknown[]) => {
              try { return await fn(...args); } catch (err) { report(err); return undefined; }
            };
          } else {
            tap.fn = (...args: unknown[]) => {
              const cb = args[args.length - 1] as (e?: unknown, r?: unknown) => void;
              try {
                return fn(...args.slice(0, -1), (e?: unknown, r?: unknown) => { if (e) report(e); cb(undefined, r); });
              } catch (err) { report(err); cb(); return undefined; }
            };
          }
          return tap;
        },
      });
    }
  }
}
