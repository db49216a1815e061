/**
 * Builds a running set of jails from a resolved config: opens the state store, loads the plugins each
 * jail names (filters by id, sources and actions by type), restores what the store remembers (bans,
 * failures inside findtime, read positions, unfinished outbox work), then starts the jails. Reload
 * builds the new jails first and swaps them in, keeping bans and read positions.
 */
import { Core, type CoreOptions } from './core.js';
import { Jail } from './jail.js';
import { discoverPlugins, findProvider, candidatePackages, loadPlugin, searchDirs, type DiscoveredPackage } from './resolve.js';
import { errors } from './errors.js';
import { MemoryStore, type Store, type StoreReplacement } from './store.js';
import { StoreHealth } from './store-health.js';
import { BanCounts } from './ban-counts.js';
import { resolveConfig, type JailConfig, type ResolvedConfig } from './config.js';
import { recidivePlugin, RECIDIVE_FILTER, RECIDIVE_JAIL, RECIDIVE_SOURCE } from './builtin/recidive.js';
import type { F2bPlugin, StoreDefinition } from './plugin.js';
import type { Ban, Unban } from './types.js';
import { installBanTrail } from './ban-trail.js';
import { logs } from './logger.js';
import { FleetLink } from './fleet-link.js';
import type { FleetInstance } from './fleet.js';
import { checkOptions } from './validate.js';
import { CONFIG_FILTER_PLUGIN } from './config/user-filters.js';

export interface DaemonOptions extends CoreOptions {
  /** Directories to search for plugin packages from (the config's directory, f2b's own). */
  searchFrom: string[];
  /** Replace every action with `log` (nothing is banned for real). */
  dryRun?: boolean;
  /** Plugins given as objects (tests, embedded use), loaded before any package. */
  plugins?: F2bPlugin[];
  /** Use this store instead of the one the config names. */
  store?: Store;
}

export { RECIDIVE_JAIL };
const OUTBOX_RETRY_MS = 30_000;
const PURGE_MS = 3600_000;
/** Failures outside a jail's findtime are dropped from the store this often, in steps of this many rows. */
const FAILURE_PURGE_MS = 60_000;
const FAILURE_PURGE_STEP = 5000;

export class Daemon {
  readonly core: Core;
  jails: Jail[] = [];
  store: Store | null = null;
  config: ResolvedConfig | null = null;
  private readonly opts: DaemonOptions;
  private installed: DiscoveredPackage[] | null = null;
  /** Prior bans per jail and id, for escalating bantime. */
  private readonly banCounts = new BanCounts();
  private timers: { cancel(): void }[] = [];
  private metrics: { server: import('./metrics/server.js').MetricsServer; port: number } | null = null;
  private dashboard: import('./dashboard/start.js').RunningDashboard | null = null;
  /** Whether the store takes the jails' checkpoints (`f2b status`, metrics). */
  readonly storeHealth: StoreHealth;
  /** The fleet this host shares bans and failures with (config `fleet`), once started. */
  fleet: FleetLink | null = null;
  private fleetLink: FleetLink | null = null;
  /** The `fleet` section the running instance was made from (a reload compares it). */
  private fleetConfig: string | null = null;

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.core = new Core(opts);
    for (const p of opts.plugins ?? []) this.core.use(p);
    // The repeat-offender jail has no log of its own: the plugin feeds it the other jails' bans.
    this.core.use(recidivePlugin);
    this.core.hooks.ban.tap('f2b:ban-counts', (ban) => this.countBan(ban.jail, ban.id, 1));
    installBanTrail(this.core, { found: logs(opts.logLevel ?? 'info', 'debug') });
    this.storeHealth = new StoreHealth({
      location: () => this.store?.location ?? '',
      logger: this.core.logger,
      clock: this.core.clock,
      report: (err, jail) => this.core.reportError(err, { jail, hook: 'checkpoint' }),
    });
  }

  /** Load what the config needs and create its enabled jails (not started). */
  async load(config: ResolvedConfig): Promise<Jail[]> {
    const dirs = searchDirs(this.opts.searchFrom);
    for (const [i, p] of config.plugins.entries()) {
      this.core.use(await loadPlugin(p.name, dirs, `plugins.${i}`), { path: `plugins.${i}`, options: p.options });
    }
    this.useConfigFilters(config, dirs);
    const jails: Jail[] = [];
    for (const original of this.jailConfigs(config)) {
      if (!original.enabled) continue;
      const jail = this.opts.dryRun ? { ...original, actions: [{ type: 'log', options: {} }] } : original;
      const base = `jails.${jail.name}`;
      await this.ensure('filter', jail.filter.id, dirs, `${base}.filter`);
      await this.ensure('tracker', jail.tracker.type, dirs, `${base}.tracker`);
      for (const [i, s] of jail.sources.entries()) await this.ensure('source', s.type, dirs, `${base}.sources.${i}`);
      for (const [i, a] of jail.actions.entries()) await this.ensure('action', a.type, dirs, `${base}.actions.${i}`);
      jails.push(
        new Jail(this.core, jail, {
          store: this.store ?? undefined,
          storeHealth: this.storeHealth,
          priorBans: (id) => (jail.bantimeIncrement?.overalljails ? this.banCounts.ofAll(id) : this.banCounts.of(jail.name, id)),
        }),
      );
    }
    return jails;
  }

  async start(config: ResolvedConfig): Promise<void> {
    this.config = config;
    this.store = this.opts.store ?? (await this.openStore(config));
    await this.store.open();
    const now = this.core.clock.now();
    for await (const page of banCountPages(this.store, now - config.state.purgeAge * 1000)) for (const c of page) this.countBan(c.jail, c.id, c.count);
    try {
      await this.startMetrics(config);
      await this.startDashboard(config);
    } catch (err) {
      await this.metrics?.server.close();
      this.metrics = null;
      await this.store.close();
      throw err;
    }
    this.jails = await this.load(config);
    await this.core.hooks.start.promise();
    // Listed before the actions start: starting may bring their state in line with ours (empty).
    if (this.store.replaced) await this.recoverFromActions(this.store.replaced);
    for (const j of this.jails) await j.startActions();
    await this.recover();
    // Before the sources: bans the fleet decided while this host was away are caught up first.
    await this.startFleet(config);
    for (const j of this.jails) await j.startSources(await j.savedStates());
    this.timers.push(this.every(OUTBOX_RETRY_MS, () => this.retryOutbox()));
    this.timers.push(this.every(PURGE_MS, () => this.store?.purge(this.core.clock.now() - config.state.purgeAge * 1000)));
    this.timers.push(this.every(FAILURE_PURGE_MS, () => this.purgeFailures()));
    if (this.reportWatching(config)) {
      // fail2ban refuses to run when its jails cannot read their logs; so do we, when that is all of them.
      const names = this.jails.filter((j) => j.name !== RECIDIVE_JAIL).map((j) => j.name);
      await this.stop();
      throw errors.F2B_ERR_NOTHING_WATCHED(names);
    }
    this.core.logger.info(
      `Started ${this.jails.length} jail(s): ${this.jails.map((j) => j.name).join(', ') || '(none)'} (state: ${this.store.kind} ${this.store.location}).`,
    );
  }

  /**
   * Say which jails are off because of `enabledIf`, and whether anything is watched at all; true
   * when jails run but none watches anything and none may wait for its log.
   */
  private reportWatching(config: ResolvedConfig): boolean {
    for (const j of config.jails) {
      if (j.disabledBecause) this.core.logger.info(`Jail "${j.name}" is off: ${j.disabledBecause}.`);
    }
    const jails = this.jails.filter((j) => j.name !== RECIDIVE_JAIL);
    if (jails.length === 0) {
      this.core.logger.warn('No jail is on: f2b protects nothing. Enable a jail in the config (`f2b config check` lists them).');
      return false;
    }
    return jails.every((j) => !j.watching && !j.config.waitForLog);
  }

  /** Re-read config: new jails are built before old ones stop; bans and positions carry over. */
  async reload(config: ResolvedConfig): Promise<void> {
    const old = this.jails;
    const fleet = await this.prepareFleet(config);
    const next = await this.load(config); // a config that cannot load leaves the running jails alone
    for (const j of old) await j.stopSources();
    const adopted = new Set<Jail>();
    for (const j of next) {
      const prev = old.find((o) => o.name === j.name);
      if (prev && j.adoptFrom(prev)) adopted.add(j);
    }
    for (const j of old) await j.stop(); // stops what was not adopted
    for (const j of next) {
      const prev = old.find((o) => o.name === j.name);
      if (adopted.has(j)) {
        await j.restore({ bans: [...prev!.bans()], enforced: true }); // the actions have them
      } else {
        await j.startActions();
        // New action instances get every ban in force (actions are idempotent).
        await j.restore({ bans: prev ? [...prev.bans()] : await this.store!.activeBans(this.core.clock.now(), j.name) });
      }
      await j.startSources(await j.savedStates());
    }
    this.jails = next;
    this.config = config;
    await this.switchFleet(fleet);
    await this.core.hooks.reload.promise();
    this.core.logger.info(`Reloaded: ${next.length} jail(s).`);
    if (this.reportWatching(config)) this.core.logger.error(errors.F2B_ERR_NOTHING_WATCHED(next.map((j) => j.name)).describe());
  }

  /**
   * The fleet (config `fleet`): its plugin found like any other kind's (`@f2b/fleet-<type>`), its
   * options checked against the plugin's schema; the jails it sees are always the running ones.
   * One link for the daemon's life (its hooks tapped once); a reload that changes the section gets
   * a new instance on it (prepareFleet, switchFleet).
   */
  private async startFleet(config: ResolvedConfig): Promise<void> {
    if (!config.fleet || this.fleet) return;
    const instance = await this.createFleet(config.fleet);
    this.fleetLink!.attach(instance);
    this.fleet = this.fleetLink;
    this.fleetConfig = JSON.stringify(config.fleet);
    await instance.start();
  }

  /** The instance for a `fleet` section, not started (whatever is wrong with the section throws here). */
  private async createFleet(fleet: NonNullable<ResolvedConfig['fleet']>): Promise<FleetInstance> {
    const dirs = searchDirs(this.opts.searchFrom);
    await this.ensure('fleet', fleet.type, dirs, 'fleet.type');
    const provided = this.core.getFleet(fleet.type)!;
    const options = { ...fleet.options };
    if (provided.def.schema) checkOptions(provided.def.schema, options, 'fleet', provided.plugin);
    const link = (this.fleetLink ??= new FleetLink({
      core: this.core,
      jails: () => this.jails,
      store: () => this.store,
      host: fleet.host,
      receiveOnly: this.opts.dryRun,
    }));
    link.rename(fleet.host);
    if (this.opts.dryRun) this.core.logger.info("Dry run: this host receives the fleet's bans and publishes none of its own.");
    return provided.def.create(options, link.context());
  }

  /**
   * A reload with another `fleet` section (url, name, host, any option; added or removed): the
   * running instance stops — publishing what it can, saving the rest of its queue — and the new
   * one starts from that queue (the bans and unbans decided in between are held for it). The same
   * section: nothing happens (no reconnect). A jail's own `fleet:` takes effect without this: the
   * link reads the running jails.
   */
  private async prepareFleet(config: ResolvedConfig): Promise<{ wanted: string | null; next: FleetInstance | null } | null> {
    const wanted = config.fleet ? JSON.stringify(config.fleet) : null;
    if (wanted === this.fleetConfig) return null;
    // Made before anything changes: a section that cannot work fails the reload, running jails and fleet alone.
    return { wanted, next: config.fleet ? await this.createFleet(config.fleet) : null };
  }

  private async switchFleet(prepared: { wanted: string | null; next: FleetInstance | null } | null): Promise<void> {
    if (!prepared) return;
    const { wanted, next } = prepared;
    const replacing = this.fleet !== null && next !== null;
    if (this.fleet) {
      await this.fleet.stop(replacing);
      this.fleet = null;
      this.fleetConfig = null;
      if (!next) this.core.logger.info('Left the fleet: the config has no fleet any more.');
    }
    if (!next) return;
    // A replacement is attached once started: it restores the queue its predecessor saved, and
    // what was held meanwhile goes after it, in order.
    if (!replacing) this.fleetLink!.attach(next);
    try {
      await next.start();
    } catch (err) {
      // Nothing is held for an instance that will never run; it stops (through the link when attached).
      await this.fleetLink!.stop().catch(() => {});
      if (replacing) await next.stop().catch(() => {});
      throw err;
    }
    if (replacing) this.fleetLink!.attach(next);
    this.fleet = this.fleetLink;
    this.fleetConfig = wanted;
  }

  /**
   * The metrics endpoint (config `metrics`), loaded only when asked for: prom-client stays out of
   * daemons and commands that do not use it. Its address is fixed for the daemon's life.
   */
  private async startMetrics(config: ResolvedConfig): Promise<void> {
    if (!config.metrics || this.metrics) return;
    const [{ createMetrics }, { MetricsServer }] = await Promise.all([import('./metrics/registry.js'), import('./metrics/server.js')]);
    const register = createMetrics({ core: this.core, jails: () => this.jails, store: () => this.store });
    const server = new MetricsServer(register, this.core.getLogger('metrics'));
    const bound = await server.listen(config.metrics);
    this.metrics = { server, port: bound.port };
  }

  /** The dashboard (config `dashboard`), loaded only when asked for, like the metrics; it may share their server. */
  private async startDashboard(config: ResolvedConfig): Promise<void> {
    if (!config.dashboard || this.dashboard) return;
    const { startDashboard } = await import('./dashboard/start.js');
    this.dashboard = await startDashboard(
      { core: this.core, jails: () => this.jails, store: () => this.store },
      {
        listen: config.dashboard,
        searchDirs: searchDirs(this.opts.searchFrom),
        metrics: this.metrics && config.metrics ? { ...this.metrics, listen: config.metrics } : null,
      },
    );
  }

  /** The dashboard's port, when it runs. */
  get dashboardPort(): number | null {
    return this.dashboard?.port ?? null;
  }

  /** The metrics endpoint's port, when it runs (useful when the config asked for port 0). */
  get metricsPort(): number | null {
    return this.metrics?.port ?? null;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.cancel();
    this.timers = [];
    await this.dashboard?.close();
    this.dashboard = null;
    await this.metrics?.server.close();
    this.metrics = null;
    for (const j of this.jails) await j.stop();
    // After the jails: what their last flush announced is queued (and saved) by the fleet.
    await this.fleet?.stop();
    this.fleet = null;
    this.fleetConfig = null;
    await this.core.hooks.stop.promise();
    await this.store?.close();
  }

  jail(name: string): Jail | undefined {
    return this.jails.find((j) => j.name === name);
  }

  /** Retry outbox items whose actions failed (the jail keeps them until every action succeeded). */
  async retryOutbox(): Promise<void> {
    if (!this.store) return;
    const pending = await this.store.outboxPending();
    if (pending.length === 0) return;
    const done: number[] = [];
    for (const jail of this.jails) {
      const mine = pending.filter((p) => p.jail === jail.name); // in commit (seq) order
      // Replay in the order the work was committed — a ban then its unban must not become an
      // unban then a ban — batching runs of the same operation. Stop at the first failure: what
      // follows must wait for it.
      for (let i = 0; i < mine.length;) {
        let j = i;
        while (j < mine.length && mine[j]!.op === mine[i]!.op) j++;
        const run = mine.slice(i, j);
        const ok =
          mine[i]!.op === 'ban'
            ? await jail.replay(
                run.map((p) => p.ban as Ban),
                [],
              )
            : await jail.replay(
                [],
                run.map((p) => p.unban as Unban),
              );
        if (!ok) break;
        done.push(...run.map((p) => p.seq));
        i = j;
      }
    }
    // Work for jails that no longer exist cannot be done by anyone: drop it (kernel timeouts apply).
    const known = new Set(this.jails.map((j) => j.name));
    done.push(...pending.filter((p) => !known.has(p.jail)).map((p) => p.seq));
    // A store that cannot write now keeps the items: they are replayed again (actions are idempotent).
    await this.tolerateWriteFailure(() => this.store!.outboxDone(done));
  }

  /** Run a store write whose failure must not stop the daemon (what it records is redone later). */
  private async tolerateWriteFailure<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (err) {
      this.core.reportError(errors.F2B_ERR_STATE_UNAVAILABLE(this.store?.location ?? '', err), { hook: 'state' });
      return undefined;
    }
  }

  /**
   * After a stop or a crash: finish the outbox, unban what expired while we were down, give every
   * action the bans still in force (in batches), and refill findtime windows.
   */
  private async recover(): Promise<void> {
    const store = this.store!;
    await this.retryOutbox();
    const now = this.core.clock.now();
    const expired = await store.expiredBans(now);
    if (expired.length > 0) {
      const unbans: Unban[] = expired.map((b) => ({ jail: b.jail, id: b.id, time: now, reason: 'expired' }));
      // Unbanned even if this cannot be recorded now: the next start finds them expired again.
      const seqs = await this.tolerateWriteFailure(() => store.checkpoint({ unbans }));
      let ok = true;
      for (const jail of this.jails) {
        const mine = unbans.filter((u) => u.jail === jail.name);
        if (mine.length > 0) ok = (await jail.replay([], mine)) && ok;
      }
      if (ok && seqs) await this.tolerateWriteFailure(() => store.outboxDone(seqs));
      this.core.logger.info(`Unbanned ${expired.length} ban(s) that expired while f2b was stopped.`);
    }
    let restored = 0;
    for (const jail of this.jails) {
      for await (const bans of activeBanPages(store, now, jail.name)) {
        await jail.restore({ bans });
        restored += bans.length;
      }
      // After all of its bans: a failure of an address banned is not counted again.
      await jail.restore({ bans: [], failures: await store.failuresSince(jail.name, now - jail.config.findtime * 1000) });
    }
    if (restored > 0) this.core.logger.info(`Restored ${restored} active ban(s).`);
  }

  /**
   * The database was corrupt and replaced by an empty one: say so loudly, and take the bans in
   * force from the actions that can list them (nftables sets), so they are restored, expire on
   * time and survive the next restart. Their history (rule, lines, count) is lost with the database.
   */
  private async recoverFromActions(replaced: StoreReplacement): Promise<void> {
    const store = this.store!;
    this.core.reportError(errors.F2B_ERR_STATE_CORRUPT(store.location, replaced.movedTo, replaced.problem), { hook: 'state' });
    const now = this.core.clock.now();
    let recovered = 0;
    for (const jail of this.jails) {
      // An action that does not know when a ban ends (undefined) gets the jail's bantime from now.
      const bans = (await jail.listBannedFromActions())
        .map((b) => ({ id: b.id, end: b.end === undefined ? now + jail.config.bantime * 1000 : b.end }))
        .filter((b) => b.end === null || b.end > now)
        .map((b): Ban => ({ jail: jail.name, id: b.id, start: now, end: b.end, count: 1, failures: 0, rule: 'recovered' }));
      if (bans.length === 0) continue;
      // Saved as bans in force; recover() then gives them to every action like any stored ban.
      const seqs = await this.tolerateWriteFailure(() => store.checkpoint({ bans }));
      if (seqs) await this.tolerateWriteFailure(() => store.outboxDone(seqs));
      recovered += bans.length;
    }
    this.core.logger.warn(`Recovered ${recovered} ban(s) in force from the actions after replacing the corrupt state database.`);
  }

  private countBan(jail: string, id: string, n: number): void {
    this.banCounts.add(jail, id, n);
  }

  private jailConfigs(config: ResolvedConfig): JailConfig[] {
    const r = config.recidive;
    if (!r) return config.jails;
    const recidive = resolveConfig({
      state: { type: 'memory' },
      socket: false,
      jails: {
        [RECIDIVE_JAIL]: {
          source: { type: RECIDIVE_SOURCE },
          filter: RECIDIVE_FILTER,
          actions: r.actions,
          bantime: r.bantime,
          findtime: r.findtime,
          maxretry: r.maxbans,
          ignoreself: false,
        },
      },
    }).jails[0]!;
    // Its ignore list is every jail's: an address one jail never bans is not a repeat offender.
    recidive.ignoreip = [...new Set(config.jails.flatMap((j) => j.ignoreip))];
    return [...config.jails, recidive];
  }

  /**
   * Check that the configured store can work (its path), without opening or creating anything:
   * `f2b config check` runs this, and `start` before anything else. A config that asks for the
   * dashboard also needs its page installed (F2B_ERR_DASHBOARD_PAGE).
   */
  async checkState(config: ResolvedConfig): Promise<void> {
    if (config.dashboard) await (await import('./dashboard/assets.js')).loadAssets(searchDirs(this.opts.searchFrom));
    if (this.opts.store || config.state.type === 'memory') return;
    const def = await this.storeDefinition(config);
    await def.check?.(this.storeOptions(config));
  }

  private async openStore(config: ResolvedConfig): Promise<Store> {
    if (config.state.type === 'memory') return new MemoryStore();
    const def = await this.storeDefinition(config);
    await def.check?.(this.storeOptions(config));
    return def.create(this.storeOptions(config), { clock: this.core.clock, logger: this.core.getLogger(`store-${config.state.type}`) });
  }

  private async storeDefinition(config: ResolvedConfig): Promise<StoreDefinition> {
    const dirs = searchDirs(this.opts.searchFrom);
    const type = config.state.type;
    if (!this.core.getStore(type)) {
      this.installed ??= discoverPlugins(dirs);
      const name = this.installed.find((p) => p.provides.includes(type))?.name;
      if (!name) {
        const known = ['memory', ...new Set(this.installed.filter((p) => String(p.kind) === 'store').flatMap((p) => p.provides))];
        throw errors.F2B_ERR_CONFIG_INVALID(
          'state.type',
          `names the store type ${JSON.stringify(type)}, which no installed package provides`,
          `Use one of: ${known.join(', ')}; or install the package that provides it (e.g. \`npm i @f2b/store-${type}\`).`,
        );
      }
      this.core.use(await loadPlugin(name, dirs, 'state'), 'state');
    }
    const def = this.core.getStore(config.state.type);
    if (!def) throw errors.F2B_ERR_PLUGIN_NOT_FOUND(config.state.type, `@f2b/store-${config.state.type}`, 'state.type');
    return def.def;
  }

  private storeOptions(config: ResolvedConfig): Record<string, unknown> {
    // A dry run keeps its own state: its bans must never be restored into a real firewall later.
    return this.opts.dryRun && typeof config.state.options.path === 'string'
      ? { ...config.state.options, path: dryRunPath(config.state.options.path) }
      : config.state.options;
  }

  private purging = false;

  /**
   * Drop stored failures that fell out of their jail's findtime: they can no longer count, and a
   * flood would otherwise leave millions of rows until purgeAge. Small steps, the event loop free
   * between them.
   */
  async purgeFailures(): Promise<void> {
    const store = this.store;
    if (!store || this.purging) return;
    this.purging = true;
    try {
      for (const jail of this.jails) {
        const before = this.core.clock.now() - jail.config.findtime * 1000;
        while ((await store.purgeFailures(jail.name, before, FAILURE_PURGE_STEP)) === FAILURE_PURGE_STEP) {
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      this.purging = false;
    }
  }

  private every(ms: number, fn: () => unknown): { cancel(): void } {
    let timer = this.core.clock.setTimer(ms, tick);
    const self = this;
    function tick() {
      Promise.resolve()
        .then(fn)
        .catch((err) => self.core.reportError(err, { hook: 'timer' }));
      timer = self.core.clock.setTimer(ms, tick);
    }
    return { cancel: () => timer.cancel() };
  }

  /** The config's `filters:`, noting each that replaces an installed package's filter of the same id. */
  private useConfigFilters(config: ResolvedConfig, dirs: string[]): void {
    this.core.setConfigFilters(config.filters ?? [], CONFIG_FILTER_PLUGIN);
    if (!config.filters?.length) return;
    this.installed ??= discoverPlugins(dirs);
    for (const def of config.filters) {
      const pkg = findProvider(def.id, 'filter', this.installed);
      if (pkg) this.core.logger.warn(`The config's filter "${def.id}" (filters.${def.id}) is used instead of the one from ${pkg}.`);
    }
  }

  private provided(kind: 'filter' | 'source' | 'action' | 'tracker' | 'fleet', ref: string): unknown {
    switch (kind) {
      case 'fleet':
        return this.core.getFleet(ref);
      case 'filter':
        return this.core.getFilter(ref);
      case 'source':
        return this.core.getSource(ref);
      case 'action':
        return this.core.getAction(ref);
      case 'tracker':
        return this.core.getTracker(ref);
    }
  }

  private async ensure(kind: 'filter' | 'source' | 'action' | 'tracker' | 'fleet', ref: string, dirs: string[], path: string): Promise<void> {
    if (this.provided(kind, ref)) return;
    this.installed ??= discoverPlugins(dirs);
    const name = findProvider(ref, kind, this.installed);
    const candidates = candidatePackages(ref, kind);
    if (!name) {
      const installed = this.installed.filter((p) => p.kind === kind).flatMap((p) => p.provides);
      throw kind === 'filter'
        ? errors.F2B_ERR_FILTER_NOT_FOUND(ref, candidates, path, installed)
        : errors.F2B_ERR_PLUGIN_NOT_FOUND(ref, candidates[0]!, path, installed);
    }
    this.core.use(await loadPlugin(name, dirs, path), path);
    if (!this.provided(kind, ref)) throw errors.F2B_ERR_PLUGIN_INVALID(name, `it was expected to provide the ${kind} "${ref}" but did not register it`, path);
  }
}

/** `/var/lib/f2b/f2b.db` → `/var/lib/f2b/f2b.dry-run.db`: the state file of dry runs. */
export function dryRunPath(path: string): string {
  return path.endsWith('.db') ? `${path.slice(0, -3)}.dry-run.db` : `${path}.dry-run`;
}

/** Bans in a store's pages, whichever it can: a restore then holds one page of them at a time. */
const RESTORE_PAGE = 1_000;

async function* activeBanPages(store: Store, now: number, jail: string): AsyncIterable<readonly Ban[]> {
  if (store.activeBanPages) yield* store.activeBanPages(now, jail, RESTORE_PAGE);
  else yield await store.activeBans(now, jail);
}

async function* banCountPages(store: Store, since: number): AsyncIterable<readonly { jail: string; id: string; count: number }[]> {
  if (store.banCountPages) yield* store.banCountPages(since, RESTORE_PAGE);
  else yield await store.banCounts(since);
}
