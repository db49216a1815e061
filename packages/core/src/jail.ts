/**
 * One jail's pipeline: source lines → entries → filter → failures → ignore check → tracker → bans →
 * actions. Lines are handled in batches and synchronously up to the tracker, so a burst of log lines
 * costs no promise per line; actions get bans in batches too (one nft transaction, one API call).
 */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import type { Core } from './core.js';
import { tapped, type JailInfo } from './hooks.js';
import { EntryParser, type LineFormat } from './entry.js';
import { FilterRunner } from './filter/engine.js';
import { createTracker } from './tracker-factory.js';
import { IpSet, cidrContains, isLoopback, looksLikeHostname, parseIp, type IpAddress } from './ip.js';
import { formatDuration } from './duration.js';
import { DroppedFailures, OTHER_MODE_KEPT, type DroppedFailure } from './dropped-failures.js';
import type { WindowFailure } from './failing-sources.js';
import { errors } from './errors.js';
import { checkOptions } from './validate.js';
import type { AddressBan, AddressFailure, AddressSuccess } from './tracker.js';
import type { ListedBan, SourceInstance, SourceLag, SourceWatch, TrackerInstance } from './plugin.js';
import type { Ban, Failure, LogEntry, MaybePromise, SuccessEvent, Unban } from './types.js';
import type { JailConfig } from './config.js';
import type { Store, StoredFailure } from './store.js';
import { ActionRunner, type ActionCall } from './action-runner.js';
import { JailOutbox, OUTBOX_HIGH_WATER } from './jail-outbox.js';
import { StoreHealth } from './store-health.js';
import { SourceWatchState } from './source-watch.js';
import type { Logger } from './logger.js';
import { ThrottledWarning } from './throttled-warning.js';
import { FilterStateSaving } from './filter-state-saving.js';
import { RangeEscalation } from './range-escalation.js';

export interface JailOptions {
  format?: LineFormat;
  /** Where checkpoints go (failures, bans, outbox, positions); none = nothing survives. */
  store?: Store;
  /** How many times an id was banned before (escalating bantime); default: counted by this jail. */
  priorBans?: (id: string) => number;
  /** Shared by the daemon's jails: whether the store takes writes (default: one for this jail). */
  storeHealth?: StoreHealth;
}

/** What a jail takes over at start (from the store) or on reload (from the jail it replaces). */
export interface JailState {
  /** Bans in force. */
  readonly bans: readonly Ban[];
  /** Failures still inside findtime (from the store), back into their windows. */
  readonly failures?: readonly StoredFailure[];
  /**
   * The jail's actions enforce these bans already (a reload that kept the action instances): they
   * are only adopted, not sent again. Otherwise every action gets them, in batches.
   */
  readonly enforced?: boolean;
}

/** A ban another host of the fleet decided, as it reaches this jail (`end` on this host's clock). */
export interface RemoteBan {
  readonly id: string;
  /** Epoch ms on this host's clock (converted from the fleet's clock by the fleet plugin); null: permanent. */
  readonly end: number | null;
  /** The host that decided it. */
  readonly origin: string;
  readonly failures?: number;
  readonly lines?: readonly string[];
}

export interface JailStats {
  lines: number;
  matched: number;
  failures: number;
  ignored: number;
  bans: number;
  /** Failing sources forgotten to stay within `maxTracked`. */
  evicted: number;
  /** Lines a source dropped as longer than its limit (never matched). */
  overlongLines: number;
}

/** Addresses a status lists by default; the rest is paged (`f2b status <jail> --all`). */
export const STATUS_LIST_LIMIT = 100;
/** At most one "forgetting sources" warning per this long. */
const EVICT_WARN_MS = 600_000;

/** At most one warning about overlong lines per jail in this time (the count says how many). */
const OVERLONG_WARNING_INTERVAL_MS = 60_000;

export class Jail {
  readonly name: string;
  readonly config: JailConfig;
  readonly info: JailInfo;
  /** Lines read, by where they came from (a file's path; `journal` for entries): for metrics. */
  readonly linesBySource = new Map<string, number>();
  readonly stats: JailStats = { lines: 0, matched: 0, failures: 0, ignored: 0, bans: 0, evicted: 0, overlongLines: 0 };
  /** Overlong lines and forgotten sources: counted, and warned about now and then (per jail). */
  private readonly overlongWarning: ThrottledWarning;
  /** The source that dropped the latest overlong line: the warning is written to its logger. */
  private overlongFrom: { origin: string; logger: Logger } | null = null;
  private readonly evictWarning: ThrottledWarning;
  private readonly tracker: TrackerInstance;
  /** Range escalation (`range:`), when the jail has it. */
  private readonly ranges: RangeEscalation | null;
  private readonly outbox: JailOutbox;
  private readonly core: Core;
  private readonly parser: EntryParser;
  private readonly filterStateSaving: FilterStateSaving;
  private readonly filter: FilterRunner;
  private readonly ignoreSet: IpSet;
  /** This host's addresses when ignoreself is on (else empty). */
  private readonly selfSet: IpSet;
  private sources: SourceInstance[] = [];
  private readonly sourceFactories: ((saved: unknown) => SourceInstance)[] = [];
  /** Whether the sources have anything to watch (see checkSources). */
  private readonly watchState: SourceWatchState;
  private readonly actions: ActionRunner[] = [];
  /** Source states captured at stop (the sources are gone when the last checkpoint runs). */
  private finalStates: Record<string, unknown> | null = null;
  private readonly store?: Store;
  private readonly storeHealth: StoreHealth;
  private sweepTimer?: { cancel(): void };
  /** The last failures not counted, and why (for `f2b explain`). */
  private readonly dropped = new DroppedFailures();
  /**
   * The last lines only a rule of another filter mode matched (explain: "mode aggressive would count
   * this"). A ring of its own: sshd's ddos-only lines are frequent, and must not push out the ignored.
   */
  private readonly otherModeLines = new DroppedFailures(OTHER_MODE_KEPT);

  constructor(core: Core, config: JailConfig, opts: JailOptions = {}) {
    this.core = core;
    this.store = opts.store;
    this.storeHealth =
      opts.storeHealth ??
      new StoreHealth({
        location: () => opts.store?.location ?? '',
        logger: core.logger,
        clock: core.clock,
        report: (err, jail) => core.reportError(err, { jail, hook: 'checkpoint' }),
      });
    this.config = config;
    this.name = config.name;
    const provided = core.getFilter(config.filter.id);
    if (!provided) throw errors.F2B_ERR_FILTER_NOT_FOUND(config.filter.id, [], `jails.${config.name}.filter`);
    this.filter = new FilterRunner(provided.def, {
      mode: config.filter.mode,
      options: config.filter.options,
      path: `jails.${config.name}.filter`,
      logger: core.getLogger(`filter-${config.filter.id}:${config.name}`),
      onSuccess: (success) => this.success(success),
      onOtherMode: (m, line, time) =>
        this.otherModeLines.record(
          { id: m.host, attempts: 1, rule: m.rule, captures: { ...m.captures }, lines: [line], time, filter: config.filter.id },
          'mode',
          core.clock.now(),
          m.modes,
        ),
    });
    this.parser = new EntryParser({ timezone: config.timezone, now: () => core.clock.now(), format: opts.format });
    this.info = Object.freeze({
      name: config.name,
      filter: config.filter.id,
      findtime: config.findtime,
      maxretry: config.maxretry,
      bantime: config.bantime,
    });
    this.ignoreSet = new IpSet([...config.ignoreip]);
    this.selfSet = new IpSet(config.ignoreself ? selfAddresses() : []);
    this.overlongWarning = new ThrottledWarning(core.clock, OVERLONG_WARNING_INTERVAL_MS, (n) => {
      this.overlongFrom?.logger.warn("dropped lines longer than the source's maxLineLength (never matched: their end could be forged)", {
        origin: this.overlongFrom.origin,
        lines: n,
        total: this.stats.overlongLines,
      });
    });
    this.evictWarning = new ThrottledWarning(core.clock, EVICT_WARN_MS, (n) =>
      core.logger.warn(
        `Jail "${config.name}" tracks ${config.maxTracked} sources (maxTracked) and forgets the ones that failed least recently: ${n} forgotten since the last warning, ${this.stats.evicted} in all. Raise maxTracked if this host has the memory (about 160 bytes a source).`,
      ),
    );
    this.tracker = createTracker(core, config, {
      jail: config.name,
      findtime: config.findtime,
      maxretry: config.maxretry,
      bantime: config.bantime,
      clock: core.clock,
      increment: config.bantimeIncrement,
      priorBans: opts.priorBans,
      maxTracked: config.maxTracked,
      // A store that keeps each failure's lines holds the ban records' lines: not the memory.
      keepLines: !opts.store?.failureLines,
      onEvict: () => {
        this.stats.evicted++;
        this.evictWarning.count();
      },
      onExpire: (unban) => {
        this.ranges?.ended(unban.id);
        this.outbox.unban(unban);
      },
    });
    this.ranges = config.range
      ? new RangeEscalation({
          jail: config.name,
          config: config.range,
          clock: core.clock,
          priorBans: opts.priorBans,
          never: [
            ...this.ignoreSet.entries().map((cidr) => ({ cidr, reason: 'ignoreip' as const })),
            ...this.selfSet.entries().map((cidr) => ({ cidr, reason: 'ignoreself' as const })),
          ],
          onRefused: (range, reason, members) =>
            core.logger.notice(
              `Jail "${config.name}": ${members} addresses of ${range} were banned within ${formatDuration(config.range!.within)}, but the range is not banned: it holds an address of ${reason}. Its addresses stay banned one by one.`,
            ),
        })
      : null;
    this.filterStateSaving = new FilterStateSaving(core.clock, () => this.outbox.read());
    this.outbox = new JailOutbox({
      jail: config.name,
      store: opts.store,
      storeHealth: this.storeHealth,
      clock: core.clock,
      positions: (decisions) => this.sourceStates(decisions),
      announce: async (bans, unbans) => {
        const hooks = core.hooks;
        if (bans.length > 0) await Promise.all(bans.map((b) => hooks.ban.promise(b, this.info)));
        if (unbans.length > 0) await Promise.all(unbans.map((u) => hooks.unban.promise(u, this.info)));
      },
      dispatch: (bans, unbans) => this.dispatch(bans, unbans),
      report: (err) => core.reportError(err, { jail: config.name, hook: 'checkpoint' }),
      completed: (original, complete) => {
        // Unless it ended meanwhile (an unban by hand before the batch ran) or was replaced. The
        // tracker may hand out an equal ban rather than the same object (kit's BanBook makes them).
        const held = original.ip ? this.tracker.banOf(original.ip) : undefined;
        if (held && sameBan(held, original)) this.tracker.restore(complete);
      },
    });
    for (const [i, a] of config.actions.entries()) {
      const provided = core.getAction(a.type);
      if (!provided) throw errors.F2B_ERR_PLUGIN_NOT_FOUND(a.type, `@f2b/action-${a.type}`, `jails.${config.name}.actions.${i}`);
      if (provided.def.schema) checkOptions(provided.def.schema, a.options, `jails.${config.name}.actions.${i}`, provided.plugin);
      const ctx = {
        jail: config.name,
        ...(config.ports ? { ports: config.ports } : {}),
        ...(config.protocols ? { protocols: config.protocols } : {}),
        logger: core.getLogger(`action-${a.type}:${config.name}`),
        clock: core.clock,
        error: (e: unknown) => core.reportError(e, { jail: config.name, plugin: provided.plugin }),
      };
      this.actions.push(
        new ActionRunner(a.type, provided.def.create(a.options, ctx), {
          clock: core.clock,
          timeout: config.actionTimeout,
          report: (e) => core.reportError(e, { jail: config.name }),
          done: (what, seconds, ok) => {
            if (tapped(core.hooks.action)) core.hooks.action.call({ action: a.type, what, seconds, ok }, this.info);
          },
        }),
      );
    }
    this.watchState = new SourceWatchState(config.name, config.findtime, config.waitForLog ?? false, core.logger);
    for (const [i, s] of config.sources.entries()) {
      const provided = core.getSource(s.type);
      if (!provided) throw errors.F2B_ERR_PLUGIN_NOT_FOUND(s.type, `@f2b/source-${s.type}`, `jails.${config.name}.sources.${i}`);
      if (provided.def.schema) checkOptions(provided.def.schema, s.options, `jails.${config.name}.sources.${i}`, provided.plugin);
      this.watchState.add({ def: provided.def, options: s.options, path: `jails.${config.name}.sources.${i}` });
      // Created at start, not now: a reload builds the new jail while the old one still reads, and
      // the new source must resume from where the old one stopped.
      this.sourceFactories.push((saved) => {
        const logger = core.getLogger(`source-${s.type}:${config.name}`);
        return provided.def.create(s.options, {
          jail: config.name,
          path: `jails.${config.name}.sources.${i}`,
          lines: (lines, o, more) => this.lines(lines, o, more),
          entries: (entries) => this.entries(entries),
          overlong: (origin) => {
            this.stats.overlongLines++;
            this.overlongFrom = { origin, logger };
            this.overlongWarning.count();
          },
          logger,
          clock: core.clock,
          error: (e) => core.reportError(e, { jail: config.name, plugin: provided.plugin }),
          saved,
        });
      });
    }
  }

  async start(): Promise<void> {
    await this.startActions();
    await this.startSources();
  }

  /** Actions first: restored bans must reach them before sources deliver new lines. */
  async startActions(): Promise<void> {
    for (const a of this.actions) await a.instance.start?.();
  }

  /** Create and start the sources; `saved` are their states from the store, by index. */
  async startSources(saved: readonly unknown[] = []): Promise<void> {
    if (this.sources.length === 0) {
      await this.restoreFilterState();
      this.sources = this.sourceFactories.map((f, i) => f(saved[i]));
    }
    for (const s of this.sources) await s.start();
    // Save where the sources begin: a first start begins at the end of a log, and lines written
    // after it must not be skipped by a restart that finds no saved position.
    if (this.store) await this.outbox.checkpointNow();
    this.sweepTimer ??= this.armSweep();
    await this.checkSources();
  }

  /**
   * Look whether the sources have anything to watch, and say so when that changes (see
   * SourceWatchState). `f2b config check` runs it without starting; a running jail at start and on
   * every sweep while something is wrong (a log that appears later is then reported as watched).
   */
  checkSources(): Promise<SourceWatch[]> {
    return this.watchState.check();
  }

  /** Some source has something to watch (true before the first check, and for jails without sources). */
  get watching(): boolean {
    return this.watchState.watching;
  }

  /** Why sources watch nothing, and warnings of those that do. */
  watchProblems(): string[] {
    return this.watchState.problems();
  }

  /**
   * The filter's per-session state saved with the positions (sshd connections half-way through an
   * attempt): the sources resume after the last saved line, and the filter with what it knew then.
   */
  private async restoreFilterState(): Promise<void> {
    if (!this.store) return;
    try {
      this.filter.importState(await this.store.position(this.filterStateKey));
    } catch (err) {
      this.core.reportError(err, { jail: this.name, hook: 'checkpoint' });
    }
  }

  private get filterStateKey(): string {
    return `${this.name}/filter`;
  }

  /** Source states saved for this jail, to hand to `startSources`. */
  async savedStates(): Promise<unknown[]> {
    return Promise.all(this.sourceFactories.map((_, i) => this.store?.position(`${this.name}/${i}`)));
  }

  async stop(): Promise<void> {
    await this.stopSources();
    if (this.outbox.unsavedCheckpoints > 0) {
      this.core.logger.error(
        `Jail "${this.name}": stopping with ${this.outbox.unsavedCheckpoints} checkpoint(s) the state store never took (${this.outbox.unsavedDecisions} ban(s)/unban(s)); the kernel timeouts of those bans still apply, but they will not be restored at the next start.`,
      );
    }
    this.storeHealth.forget(this.name);
    this.tracker.dispose();
    for (const a of this.actions) await a.instance.stop?.();
  }

  /** Stop reading, save where the sources stopped, and let pending bans reach the actions. */
  async stopSources(): Promise<void> {
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    this.filterStateSaving.cancel();
    const sources = this.sources;
    this.sources = [];
    for (const s of sources) await s.stop();
    // Final checkpoint: the positions the sources stopped at.
    if (this.store && sources.length > 0) {
      const states: Record<string, unknown> = {};
      sources.forEach((s, i) => {
        const st = s.state?.();
        if (st !== undefined) states[`${this.name}/${i}`] = st;
      });
      this.finalStates = states;
      await this.outbox.checkpointNow();
    } else {
      await this.outbox.settled();
      await this.outbox.flush();
    }
    this.finalStates = null;
    this.outbox.stop();
  }

  /**
   * On reload: take over the previous jail's action instances when its actions are configured the
   * same, so the firewall state is neither torn down nor rebuilt and no ban is applied twice.
   * Counters carry over either way.
   */
  adoptFrom(prev: Jail): boolean {
    Object.assign(this.stats, prev.stats);
    for (const [source, n] of prev.linesBySource) this.linesBySource.set(source, n);
    // Checkpoints the store refused so far are this jail's to save now.
    this.outbox.takeFrom(prev.outbox);
    // The jail's port/protocol are part of how its actions are configured (they read them at creation).
    const actionsOf = (c: JailConfig) => JSON.stringify([c.actions, c.ports, c.protocols]);
    if (actionsOf(prev.config) !== actionsOf(this.config)) return false;
    this.actions.splice(0, this.actions.length, ...prev.actions.splice(0));
    for (const a of this.actions) a.timeout = this.config.actionTimeout;
    return true;
  }

  /** Read what the sources have now and wait for resulting actions (tests). */
  async poll(): Promise<void> {
    for (const s of this.sources) await s.poll?.();
    await this.flush();
  }

  /**
   * Raw lines from a source. Returns a promise — the source waits for it before reading on — when
   * more than OUTBOX_HIGH_WATER failures and decisions wait for their checkpoint: a flood read
   * faster than the store writes then waits for the batch being written instead of piling up.
   */
  lines(lines: Buffer[], origin: string, more = false): MaybePromise<void> {
    this.linesBySource.set(origin, (this.linesBySource.get(origin) ?? 0) + lines.length);
    // Without an entry hook (which may keep what it is given) every line is parsed into the parser's
    // one shared entry: the filter detaches it if a reducer gets it.
    if (tapped(this.core.hooks.entry)) for (const raw of lines) this.entry(this.parser.parse(raw, origin));
    else for (const raw of lines) this.entry(this.parser.parseShared(raw, 0, raw.length, origin));
    return this.afterBatch(more);
  }

  /** Parsed entries from a source (journald); back-pressure as for `lines`. */
  entries(entries: LogEntry[]): MaybePromise<void> {
    this.linesBySource.set('journal', (this.linesBySource.get('journal') ?? 0) + entries.length);
    for (const e of entries) this.entry(e);
    return this.afterBatch();
  }

  /**
   * Lines were consumed: their read position goes into the next checkpoint (`more`: the source
   * reads on at once, see SourceContext.lines).
   */
  private afterBatch(more = false): MaybePromise<void> {
    this.outbox.read(more);
    return this.outbox.backlog > OUTBOX_HIGH_WATER ? this.outbox.settled() : undefined;
  }

  entry(input: LogEntry): void {
    this.stats.lines++;
    const hooks = this.core.hooks;
    const entry = tapped(hooks.entry) ? hooks.entry.call(input, this.info) : input;
    const failures = this.filter.process(entry, this.core.clock.now());
    if (failures.length === 0) return;
    this.stats.matched++;
    for (const f of failures) this.failure(f);
  }

  /** A failure from the filter (or injected by a test/plugin). */
  failure(f: Failure): void {
    const hooks = this.core.hooks;
    if (f.attempts > 0) this.stats.failures += f.attempts;
    hooks.failure.call(f, this.info);
    // Parsed by the filter engine; only a failure built by hand (a test, a plugin) is parsed here.
    const ip = f.ip ?? parseIp(f.id);
    if (!ip) {
      this.resolveHostname(f);
      return;
    }
    const reason = this.neverBanned(ip) ?? hooks.ignore.call(f, this.info);
    if (reason) {
      this.stats.ignored++;
      hooks.ignored.call(f, this.info, reason);
      this.dropped.record(f, reason, this.core.clock.now());
      return;
    }
    // An address inside a banned range is banned already: nothing to count.
    if (this.ranges?.covering(ip)) return;
    const counted: AddressFailure = f.ip === ip && f.id === ip.text ? (f as AddressFailure) : { ...f, id: ip.text, ip };
    const outcome = this.tracker.add(counted);
    if (outcome.kind === 'dropped') {
      if (outcome.reason !== 'no-attempts') this.dropped.record(counted, outcome.reason, this.core.clock.now());
      return;
    }
    this.outbox.counted(counted);
    if (tapped(hooks.counted)) hooks.counted.call(counted, this.info, outcome);
    if (outcome.kind === 'banned') this.banned(outcome.ban, true, this.core.clock.now() - this.config.findtime * 1000);
  }

  /**
   * A success the filter reported (a login accepted): to the tracker, which may forgive the address.
   * A host name (no address) or an address this jail never bans has nothing to forgive.
   */
  success(s: SuccessEvent): void {
    if (!this.tracker.succeeded) return;
    const ip = s.ip ?? parseIp(s.id);
    if (!ip || this.neverBanned(ip)) return;
    this.tracker.succeeded(s.ip === ip && s.id === ip.text ? (s as AddressSuccess) : { ...s, id: ip.text, ip });
  }

  /** A new ban: counted, checkpointed (clearing its window when it had one) and sent to the actions. */
  private banned(ban: Ban, windowCleared: boolean, windowStart?: number): void {
    this.stats.bans++;
    this.outbox.ban(ban, windowCleared, windowStart);
    const range = this.ranges && ban.ip ? this.ranges.banned(ban as AddressBan) : null;
    if (range) {
      // The tracker holds it like a network ban (its end, unban, listing); the actions get the CIDR.
      this.tracker.restore(range);
      this.stats.bans++;
      this.outbox.ban(range, false);
    }
  }

  /** Why this jail never bans an address (no log line, no hand can change that), or null. */
  neverBanned(ip: IpAddress): 'loopback' | 'ignoreip' | 'ignoreself' | null {
    if (isLoopback(ip)) return 'loopback';
    if (this.ignoreSet.has(ip)) return 'ignoreip';
    if (this.selfSet.has(ip)) return 'ignoreself';
    return null;
  }

  /** The ignoreip entry (as configured, normalised) that holds `ip`, if any: explain names it. */
  ignoreEntry(ip: IpAddress): string | null {
    for (const c of this.ignoreSet.entries()) if (cidrContains(c, ip)) return c.text;
    return null;
  }

  /**
   * What this jail holds about one address, for `f2b explain`: the failures in its window (null when
   * the tracker cannot tell), the ban in force, and the last failures it did not count.
   */
  explainState(ip: IpAddress): { window: readonly WindowFailure[] | null; ban: Ban | undefined; dropped: DroppedFailure[] } {
    return {
      window: this.tracker.windowOf ? this.tracker.windowOf(ip) : null,
      ban: this.tracker.banOf(ip),
      dropped: [...this.dropped.of(ip.text), ...this.otherModeLines.of(ip.text)],
    };
  }

  /** The filter's mode (explain and status show it). */
  get filterMode(): string {
    return this.filter.mode;
  }

  /**
   * Ban by hand (`f2b ban`), or for another reason (`recidive`). The addresses the jail never bans
   * are refused (F2B_ERR_BAN_REFUSED): a typo must not cut the host off from itself or its admin.
   */
  ban(id: string | IpAddress, rule = 'manual', lines?: readonly string[]): Ban {
    const ban = this.tracker.ban(this.bannable(id), this.core.clock.now(), 0, rule, lines);
    this.banned(ban, false);
    return ban;
  }

  /** The address `id` if this jail may ban it; F2B_ERR_ADDRESS_INVALID / _BAN_REFUSED if not. */
  bannable(id: string | IpAddress): IpAddress {
    const ip = typeof id === 'string' ? parseIp(id) : id;
    if (!ip) throw errors.F2B_ERR_ADDRESS_INVALID(String(id));
    const refused = this.neverBanned(ip);
    if (refused) throw errors.F2B_ERR_BAN_REFUSED(ip.text, this.name, refused);
    return ip;
  }

  /**
   * A ban decided by another host of the fleet: checked against this host's ignoreip/ignoreself
   * (a peer never bans this host's allowlist), kept with the end the deciding host gave it, and
   * carried out like a ban by hand (stored, actions, hooks with `origin` set so it is not sent back).
   */
  adoptRemote(remote: RemoteBan): 'applied' | 'known' | 'refused' | 'expired' {
    const ip = parseIp(remote.id);
    if (!ip || this.neverBanned(ip)) return 'refused';
    const now = this.core.clock.now();
    if (remote.end !== null && remote.end <= now) return 'expired';
    const held = this.tracker.banOf(ip);
    // The ban in force here lasts as long or longer: nothing to do (a duplicate is harmless).
    if (held && (held.end === null || (remote.end !== null && held.end >= remote.end))) return 'known';
    const ban: Ban = {
      jail: this.name,
      id: ip.text,
      ip,
      start: now,
      end: remote.end,
      count: (held?.count ?? 0) + 1,
      rule: `fleet:${remote.origin}`,
      failures: remote.failures ?? 0,
      origin: remote.origin,
      ...(remote.lines ? { lines: remote.lines } : {}),
    };
    this.tracker.restore(ban);
    this.banned(ban, false);
    return 'applied';
  }

  /** An unban by another host of the fleet; false if the address was not banned here. */
  unbanRemote(id: string, origin: string): boolean {
    const ip = parseIp(id) ?? id;
    const unban = this.tracker.unban(ip, 'manual');
    if (unban) {
      this.ranges?.ended(unban.id);
      this.outbox.unban({ ...unban, origin });
    }
    return unban !== null;
  }

  /** Unban by hand; false if the address was not banned here. */
  unban(id: string | IpAddress): boolean {
    // A text that is no address may be the id of a network ban.
    const ip = typeof id === 'string' ? (parseIp(id) ?? id) : id;
    const unban = this.tracker.unban(ip, 'manual');
    if (unban) {
      this.ranges?.ended(unban.id);
      this.outbox.unban(unban);
    }
    return unban !== null;
  }

  /** The ban in force for an address here, if any (indexed: no listing). */
  banOf(id: string | IpAddress): Ban | undefined {
    const ip = typeof id === 'string' ? parseIp(id) : id;
    return ip ? this.tracker.banOf(ip) : undefined;
  }

  /**
   * The range ban in force that covers an address (`range:`), or the network ban with this id
   * (`198.51.100.0/24`); undefined when there is none or the jail has no range escalation.
   */
  networkBanOf(id: string | IpAddress): Ban | undefined {
    const ip = typeof id === 'string' ? parseIp(id) : id;
    if (ip) return this.ranges?.covering(ip);
    if (this.ranges) return this.ranges.networkBan(id as string);
    // Without range escalation a network ban is one recovered from a firewall: rare, looked up by id.
    for (const b of this.tracker.bans()) if (b.id === id) return b;
    return undefined;
  }

  /** Bans in force here, live (for listing and paging). */
  bans(): IterableIterator<Ban> {
    return this.tracker.bans();
  }

  /**
   * Take over the bans in force (and the failures inside findtime) at start or on reload: the
   * tracker arms their expiry; unless `enforced`, the actions get them in batches (actions are
   * idempotent: re-adding what the kernel still has is fine). No hooks fire: these are not new bans.
   * A ban read back from a store has no parsed address: it is parsed here, once.
   */
  async restore(state: JailState, batch = 10_000): Promise<void> {
    // A batch at a time, parsed, adopted and handed to the actions before the next is parsed: the
    // parsed copies of 100,000 bans at once were most of a restore's transient heap (the tracker
    // keeps its own columns; the actions get what they need). Nothing reads lines meanwhile: the
    // sources start later. A network ban (a CIDR recovered from a firewall) stays as it is.
    for (let i = 0; i < state.bans.length; i += batch) {
      const part = state.bans.slice(i, i + batch).map((b) => withAddress(b) ?? b);
      for (const b of part) {
        this.tracker.restore(b);
        this.ranges?.adopt(b);
      }
      if (!state.enforced) await this.eachAction('ban', (a) => a.ban(part));
    }
    // After every ban: a failure of an address banned is not counted again.
    for (const f of state.failures ?? []) {
      const ip = parseIp(f.id);
      if (ip) this.tracker.restoreFailure(ip, f.time, f.attempts);
    }
  }

  /** The bans this jail's actions enforce, for those that can list them (duplicates removed). */
  async listBannedFromActions(): Promise<ListedBan[]> {
    const found = new Map<string, ListedBan>();
    for (const a of this.actions) {
      if (!a.instance.listBanned) continue;
      try {
        for (const b of await a.instance.listBanned()) {
          const prev = found.get(b.id);
          // The longest ban wins (permanent = null is longest); a known end beats an unknown one.
          if (!prev || outlasts(b.end, prev.end)) found.set(b.id, b);
        }
      } catch (err) {
        this.core.reportError(errors.F2B_ERR_ACTION(a.type, `listing its bans: ${err instanceof Error ? err.message : String(err)}`), { jail: this.name });
      }
    }
    return [...found.values()];
  }

  /** Carry out bans/unbans committed before a crash but not confirmed done. */
  async replay(stored: readonly Ban[], unbans: readonly Unban[]): Promise<boolean> {
    let ok = true;
    const bans = stored.map((b) => withAddress(b) ?? b);
    if (bans.length > 0) ok = (await this.eachAction('ban', (a) => a.ban(bans))) && ok;
    if (unbans.length > 0) ok = (await this.eachAction('unban', (a) => a.unban(unbans))) && ok;
    return ok;
  }

  /**
   * The read positions of this jail's sources, keyed for the store, and the filter's state at the
   * same instant (key `<jail>/filter`): both describe the same last line. `decisions`: bans or
   * unbans wait for the checkpoint that takes them (a large filter state then waits, see
   * filter-state-saving.ts).
   */
  sourceStates(decisions = false): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.finalStates) Object.assign(out, this.finalStates);
    else {
      this.sources.forEach((s, i) => {
        const state = s.state?.();
        if (state !== undefined) out[`${this.name}/${i}`] = state;
      });
    }
    // A large state not with every checkpoint: see filter-state-saving.ts. At stop (finalStates) always.
    const filterState = this.filterStateSaving.due(this.finalStates !== null, decisions, this.filter.stateSize()) ? this.filter.exportState() : undefined;
    if (filterState !== undefined) {
      this.filterStateSaving.exported(filterState);
      out[this.filterStateKey] = filterState;
    }
    return out;
  }

  /**
   * Counters, and the first `limit` banned and failing addresses (the most attempts first): a jail
   * tracking a million sources answers in a few kilobytes; the rest is paged (`listing`).
   */
  status(limit = STATUS_LIST_LIMIT) {
    const t = this.tracker;
    const failing = t.failingSummary(limit);
    const currentlyFailed = failing.count;
    const currentlyBanned = t.bannedCount();
    const problems = this.watchProblems();
    const banned: string[] = [];
    for (const b of t.bans()) {
      if (banned.length >= limit) break;
      banned.push(b.id);
    }
    return {
      name: this.name,
      filter: this.config.filter.id,
      mode: this.filter.mode,
      currentlyFailed,
      totalFailed: this.stats.failures,
      currentlyBanned,
      totalBanned: this.stats.bans,
      banned,
      failing: failing.top,
      lines: this.stats.lines,
      evicted: this.stats.evicted,
      maxTracked: this.config.maxTracked,
      more: { banned: currentlyBanned - banned.length, failing: Math.max(0, currentlyFailed - limit) },
      watching: this.watching,
      ...(problems.length > 0 ? { problems } : {}),
      ...(!this.watching && this.config.waitForLog ? { waitingForLog: true } : {}),
      overlongLines: this.stats.overlongLines,
    };
  }

  /** Every banned or failing address, live, for paging (the control socket keeps the iterator). */
  listing(list: 'banned' | 'failing'): Iterator<{ id: string; attempts?: number; end?: number | null }> {
    if (list === 'failing') return this.tracker.failingEntries();
    return (function* (bans: Iterable<Ban>) {
      for (const b of bans) yield { id: b.id, end: b.end };
    })(this.tracker.bans());
  }

  /** How far the sources' reading is behind (those that can tell), for metrics. */
  async sourceLag(): Promise<SourceLag[]> {
    const out: SourceLag[] = [];
    for (const s of this.sources) {
      if (!s.lag) continue;
      try {
        out.push(...(await s.lag()));
      } catch (err) {
        this.core.reportError(err, { jail: this.name });
      }
    }
    return out;
  }

  /** Wait until queued bans/unbans have reached the actions. */
  flush(): Promise<void> {
    return this.outbox.flush();
  }

  /** How many checkpoints wait for the store (0 when everything is saved). */
  get unsavedCheckpoints(): number {
    return this.outbox.unsavedCheckpoints;
  }

  /** Give every action the bans, then the unbans; true if every call succeeded. */
  private async dispatch(bans: readonly Ban[], unbans: readonly Unban[]): Promise<boolean> {
    const calls: Promise<boolean>[] = [];
    for (const a of this.actions) {
      if (bans.length > 0) calls.push(a.run(describe('ban', bans.length), (x) => x.ban(bans)));
      if (unbans.length > 0) calls.push(a.run(describe('unban', unbans.length), (x) => x.unban(unbans)));
    }
    return (await Promise.all(calls)).every(Boolean);
  }

  /** Run an action call on every action; false if any failed or timed out (each is reported). */
  private async eachAction(what: 'ban' | 'unban', fn: ActionCall): Promise<boolean> {
    const results = await Promise.all(this.actions.map((a) => a.run(what, fn)));
    return results.every(Boolean);
  }

  /** A host name as failure source: ban its addresses only if the jail allows DNS (fail2ban's usedns). */
  private resolveHostname(f: Failure): void {
    // A reducer may report any id: only a real host name ever reaches getaddrinfo (see ip.ts).
    if (!looksLikeHostname(f.id)) {
      this.stats.ignored++;
      this.core.hooks.ignored.call(f, this.info, 'not an address or host name');
      return;
    }
    if (this.config.usedns === 'no') {
      this.stats.ignored++;
      this.core.hooks.ignored.call(f, this.info, 'hostname (usedns: no)');
      return;
    }
    if (this.config.usedns === 'warn') {
      this.core.logger.warn(`Jail "${this.name}": resolving the host name ${JSON.stringify(f.id)} to ban it; names are set by whoever controls their DNS.`);
    }
    lookup(f.id, { all: true }).then(
      (addrs) => {
        for (const a of addrs) {
          const ip = parseIp(a.address);
          if (ip) this.failure({ ...f, id: ip.text, ip });
        }
      },
      () => {
        this.stats.ignored++;
        this.core.hooks.ignored.call(f, this.info, 'hostname did not resolve');
      },
    );
  }

  private armSweep(): { cancel(): void } {
    let timer = this.core.clock.setTimer(60_000, tick);
    const self = this;
    function tick() {
      self.filter.sweep(self.core.clock.now());
      self.tracker.sweep();
      self.ranges?.sweep();
      if (!self.watching || self.watchProblems().length > 0) void self.checkSources();
      timer = self.core.clock.setTimer(60_000, tick);
    }
    return { cancel: () => timer.cancel() };
  }
}

/** Whether two bans of one address are the same ban (not a later one of it). */
function sameBan(a: Ban, b: Ban): boolean {
  return a === b || (a.id === b.id && a.start === b.start && a.end === b.end && a.count === b.count && a.rule === b.rule);
}

/** The ban with its parsed address (a ban from a store has none); null if its id is not an address. */
function withAddress(b: Ban): AddressBan | null {
  if (b.ip && b.ip.text === b.id && b.ip.bytes instanceof Uint8Array) return b as AddressBan;
  const ip = parseIp(b.id);
  // Not `{ ...b, id, ip }`: V8 (Node 20) gives every object a spread and then extended makes a hidden
  // class of its own — 300 bytes per restored ban, 30 MB for 100,000 bans. Object.assign shares one.
  return ip ? (Object.assign({}, b, { id: ip.text, ip }) as AddressBan) : null;
}

function describe(what: 'ban' | 'unban', n: number): string {
  return `${what} of ${n} address(es)`;
}

function selfAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.replace(/%.*$/, ''));
  }
  return out;
}

/** Does a ban ending at `a` outlast one ending at `b` (null: never ends; undefined: not known)? */
function outlasts(a: number | null | undefined, b: number | null | undefined): boolean {
  if (a === undefined) return false;
  if (b === undefined) return true;
  if (b === null) return false;
  return a === null || a > b;
}
