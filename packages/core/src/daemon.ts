/**
 * Builds a running set of jails from a resolved config: loads the plugins each jail names (filters by
 * id, sources and actions by type), then starts the jails. Reload builds the new jails first and swaps
 * them in, keeping the bans of jails that still exist.
 */
import { Core, type CoreOptions } from './core.js';
import { Jail } from './jail.js';
import { discoverPlugins, findProvider, candidatePackages, loadPlugin, searchDirs, type DiscoveredPackage } from './resolve.js';
import { errors } from './errors.js';
import type { F2bPlugin } from './plugin.js';
import type { ResolvedConfig } from './config.js';

export interface DaemonOptions extends CoreOptions {
  /** Directories to search for plugin packages from (the config's directory, f2b's own). */
  searchFrom: string[];
  /** Replace every action with `log` (nothing is banned for real). */
  dryRun?: boolean;
  /** Plugins given as objects (tests, embedded use), loaded before any package. */
  plugins?: F2bPlugin[];
}

export class Daemon {
  readonly core: Core;
  jails: Jail[] = [];
  private readonly opts: DaemonOptions;
  private installed: DiscoveredPackage[] | null = null;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.core = new Core(opts);
    for (const p of opts.plugins ?? []) this.core.use(p);
  }

  /** Load what the config needs and create its enabled jails (not started). */
  async load(config: ResolvedConfig): Promise<Jail[]> {
    const dirs = searchDirs(this.opts.searchFrom);
    for (const [i, p] of config.plugins.entries()) {
      this.core.use(await loadPlugin(p.name, dirs, p.options, `plugins.${i}`), `plugins.${i}`);
    }
    const jails: Jail[] = [];
    for (const jail of config.jails) {
      if (!jail.enabled) continue;
      const base = `jails.${jail.name}`;
      if (this.opts.dryRun) jail.actions = [{ type: 'log', options: {} }];
      await this.ensure('filter', jail.filter.id, dirs, `${base}.filter`);
      for (const [i, s] of jail.sources.entries()) await this.ensure('source', s.type, dirs, `${base}.sources.${i}`);
      for (const [i, a] of jail.actions.entries()) await this.ensure('action', a.type, dirs, `${base}.actions.${i}`);
      jails.push(new Jail(this.core, jail));
    }
    return jails;
  }

  async start(config: ResolvedConfig): Promise<void> {
    this.jails = await this.load(config);
    await this.core.hooks.start.promise();
    for (const j of this.jails) await j.start();
    this.core.logger.info(`Started ${this.jails.length} jail(s): ${this.jails.map((j) => j.name).join(', ') || '(none)'}.`);
  }

  /** Re-read config: new jails are built before old ones stop, bans of kept jails carry over. */
  async reload(config: ResolvedConfig): Promise<void> {
    const next = await this.load(config);
    const old = this.jails;
    for (const j of old) await j.stop();
    for (const j of next) {
      const prev = old.find((o) => o.name === j.name);
      for (const ban of prev?.tracker.activeBans() ?? []) j.tracker.restore(ban);
      await j.start();
    }
    this.jails = next;
    await this.core.hooks.reload.promise();
    this.core.logger.info(`Reloaded: ${next.length} jail(s).`);
  }

  async stop(): Promise<void> {
    for (const j of this.jails) await j.stop();
    await this.core.hooks.stop.promise();
  }

  jail(name: string): Jail | undefined {
    return this.jails.find((j) => j.name === name);
  }

  private async ensure(kind: 'filter' | 'source' | 'action', ref: string, dirs: string[], path: string): Promise<void> {
    const have = kind === 'filter' ? this.core.getFilter(ref) : kind === 'source' ? this.core.getSource(ref) : this.core.getAction(ref);
    if (have) return;
    this.installed ??= discoverPlugins(dirs);
    const name = findProvider(ref, kind, this.installed);
    const candidates = candidatePackages(ref, kind);
    if (!name) {
      throw kind === 'filter' ? errors.filterNotFound(ref, candidates, path) : errors.pluginNotFound(ref, candidates[0]!, path);
    }
    this.core.use(await loadPlugin(name, dirs, {}, path), path);
    const now = kind === 'filter' ? this.core.getFilter(ref) : kind === 'source' ? this.core.getSource(ref) : this.core.getAction(ref);
    if (!now) throw errors.pluginInvalid(name, `it was expected to provide the ${kind} "${ref}" but did not register it`, path);
  }
}
