/**
 * One jail's pipeline: source lines → entries → filter → failures → ignore check → tracker → bans →
 * actions. Lines are handled in batches and synchronously up to the tracker, so a burst of log lines
 * costs no promise per line; actions get bans in batches too (one nft transaction, one API call).
 */
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import type { Core } from './core.js';
import type { JailInfo } from './hooks.js';
import { EntryParser, type LineFormat } from './entry.js';
import { FilterRunner } from './filter/engine.js';
import { Tracker } from './tracker.js';
import { IpSet, isLoopback, looksLikeHostname, parseIp, type IpAddress } from './ip.js';
import { errors } from './errors.js';
import { checkSchema, type JSONSchema } from './validate.js';
import type { ActionInstance, SourceInstance } from './plugin.js';
import type { Ban, Failure, LogEntry, Unban } from './types.js';
import type { JailConfig } from './config.js';
import type { Store } from './store.js';
import type { Logger } from './logger.js';

export interface JailOptions {
  format?: LineFormat;
  /** Where checkpoints go (failures, bans, outbox, positions); none = nothing survives. */
  store?: Store;
  /** How many times an id was banned before (escalating bantime); default: counted by this jail. */
  priorBans?: (id: string) => number;
}

export interface JailStats {
  lines: number;
  matched: number;
  failures: number;
  ignored: number;
  bans: number;
  /** Lines a source dropped as longer than its limit (never matched). */
  overlongLines: number;
}

/** At most one warning about overlong lines per jail in this time (the count says how many). */
const OVERLONG_WARNING_INTERVAL_MS = 60_000;

export class Jail {
  readonly name: string;
  readonly config: JailConfig;
  readonly info: JailInfo;
  readonly stats: JailStats = { lines: 0, matched: 0, failures: 0, ignored: 0, bans: 0, overlongLines: 0 };
  /** Overlong lines not yet warned about, and when the last warning went out. */
  private overlongUnwarned = 0;
  private overlongWarnedAt = -Infinity;
  readonly tracker: Tracker;
  private readonly core: Core;
  private readonly parser: EntryParser;
  private readonly filter: FilterRunner;
  private readonly ignoreSet: IpSet;
  /** This host's addresses when ignoreself is on (else empty). */
  private readonly selfSet: IpSet;
  private sources: SourceInstance[] = [];
  private readonly sourceFactories: ((saved: unknown) => SourceInstance)[] = [];
  private readonly actions: { type: string; instance: ActionInstance }[] = [];
  private pendingBans: Ban[] = [];
  private pendingUnbans: Unban[] = [];
  private pendingFailures: { jail: string; failure: Failure }[] = [];
  private clearedWindows: { jail: string; id: string }[] = [];
  private linesSinceCheckpoint = false;
  /** Source states captured at stop (the sources are gone when the last checkpoint runs). */
  private finalStates: Record<string, unknown> | null = null;
  private readonly store?: Store;
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private sweepTimer?: { cancel(): void };

  constructor(core: Core, config: JailConfig, opts: JailOptions = {}) {
    this.core = core;
    this.store = opts.store;
    this.config = config;
    this.name = config.name;
    const provided = core.getFilter(config.filter.id);
    if (!provided) throw errors.filterNotFound(config.filter.id, [], `jails.${config.name}.filter`);
    this.filter = new FilterRunner(provided.def, {
      mode: config.filter.mode, options: config.filter.options, path: `jails.${config.name}.filter`,
    });
    this.parser = new EntryParser({ timezone: config.timezone, now: () => core.clock.now(), format: opts.format });
    this.info = Object.freeze({
      name: config.name, filter: config.filter.id, findtime: config.findtime, maxretry: config.maxretry, bantime: config.bantime,
    });
    this.ignoreSet = new IpSet([...config.ignoreip]);
    this.selfSet = new IpSet(config.ignoreself ? selfAddresses() : []);
    this.tracker = new Tracker({
      jail: config.name, findtime: config.findtime, maxretry: config.maxretry, bantime: config.bantime, clock: core.clock,
      increment: config.bantimeIncrement, priorBans: opts.priorBans,
      onBan: (ban) => { this.clearedWindows.push({ jail: this.name, id: ban.id }); this.queue(ban, null); },
      onUnban: (unban) => this.queue(null, unban),
    });
    for (const [i, a] of config.actions.entries()) {
      const provided = core.getAction(a.type);
      if (!provided) throw errors.pluginNotFound(a.type, `@f2b/action-${a.type}`, `jails.${config.name}.actions.${i}`);
      validateOptions(provided.def.schema, a.options, `jails.${config.name}.actions.${i}`, provided.plugin);
      const ctx = { jail: config.name, logger: core.getLogger(`action-${a.type}:${config.name}`), error: (e: unknown) => core.reportError(e, { jail: config.name, plugin: provided.plugin }) };
      this.actions.push({ type: a.type, instance: provided.def.create(a.options, ctx) });
    }
    for (const [i, s] of config.sources.entries()) {
      const provided = core.getSource(s.type);
      if (!provided) throw errors.pluginNotFound(s.type, `@f2b/source-${s.type}`, `jails.${config.name}.sources.${i}`);
      validateOptions(provided.def.schema, s.options, `jails.${config.name}.sources.${i}`, provided.plugin);
      // Created at start, not now: a reload builds the new jail while the old one still reads, and
      // the new source must resume from where the old one stopped.
      this.sourceFactories.push((saved) => {
        const logger = core.getLogger(`source-${s.type}:${config.name}`);
        return provided.def.create(s.options, {
          jail: config.name,
          path: `jails.${config.name}.sources.${i}`,
          lines: (lines, origin) => this.lines(lines, origin),
          entries: (entries) => this.entries(entries),
          overlong: (origin) => this.overlong(origin, logger),
          logger,
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
    if (this.sources.length === 0) this.sources = this.sourceFactories.map((f, i) => f(saved[i]));
    for (const s of this.sources) await s.start();
    // Save where the sources begin: a first start begins at the end of a log, and lines written
    // after it must not be skipped by a restart that finds no saved position.
    if (this.store) {
      this.linesSinceCheckpoint = true;
      this.scheduleFlush();
      await this.flush();
    }
    this.sweepTimer ??= this.armSweep();
  }

  /** Source states saved for this jail, to hand to `startSources`. */
  async savedStates(): Promise<unknown[]> {
    return Promise.all(this.sourceFactories.map((_, i) => this.store?.position(`${this.name}/${i}`)));
  }

  async stop(): Promise<void> {
    await this.stopSources();
    this.tracker.dispose();
    for (const a of this.actions) await a.instance.stop?.();
  }

  /** Stop reading, save where the sources stopped, and let pending bans reach the actions. */
  async stopSources(): Promise<void> {
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    const sources = this.sources;
    this.sources = [];
    for (const s of sources) await s.stop();
    // Final checkpoint: the positions the sources stopped at.
    if (this.store && sources.length > 0) {
      this.linesSinceCheckpoint = true;
      const states: Record<string, unknown> = {};
      sources.forEach((s, i) => { const st = s.state?.(); if (st !== undefined) states[`${this.name}/${i}`] = st; });
      this.finalStates = states;
    }
    this.scheduleFlush();
    await this.flush();
    this.finalStates = null;
  }

  /**
   * On reload: take over the previous jail's action instances when its actions are configured the
   * same, so the firewall state is neither torn down nor rebuilt and no ban is applied twice.
   * Counters carry over either way.
   */
  adoptFrom(prev: Jail): boolean {
    Object.assign(this.stats, prev.stats);
    if (JSON.stringify(prev.config.actions) !== JSON.stringify(this.config.actions)) return false;
    this.actions.splice(0, this.actions.length, ...prev.actions.splice(0));
    return true;
  }

  /** Read what the sources have now and wait for resulting actions (tests). */
  async poll(): Promise<void> {
    for (const s of this.sources) await s.poll?.();
    await this.flush();
  }

  /** Raw lines from a source. */
  lines(lines: Buffer[], origin: string): void {
    for (const raw of lines) this.entry(this.parser.parse(raw, origin));
    this.afterBatch();
  }

  /**
   * A source dropped a line longer than its limit. Counted (status, metrics) and warned about at
   * most once a minute: an attacker who writes long lines must not flood our own log either.
   */
  overlong(origin: string, logger: Logger): void {
    this.stats.overlongLines++;
    this.overlongUnwarned++;
    const now = this.core.clock.now();
    if (now - this.overlongWarnedAt < OVERLONG_WARNING_INTERVAL_MS) return;
    logger.warn('dropped lines longer than the source\'s maxLineLength (never matched: their end could be forged)', {
      origin, lines: this.overlongUnwarned, total: this.stats.overlongLines,
    });
    this.overlongUnwarned = 0;
    this.overlongWarnedAt = now;
  }

  /** Parsed entries from a source (journald). */
  entries(entries: LogEntry[]): void {
    for (const e of entries) this.entry(e);
    this.afterBatch();
  }

  /** Lines were consumed: their read position goes into the next checkpoint. */
  private afterBatch(): void {
    if (!this.store) return;
    this.linesSinceCheckpoint = true;
    this.scheduleFlush();
  }

  entry(input: LogEntry): void {
    this.stats.lines++;
    const hooks = this.core.hooks;
    const entry = hooks.entry.isUsed() ? hooks.entry.call(input, this.info) : input;
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
    const ip = parseIp(f.id);
    if (!ip) {
      this.resolveHostname(f);
      return;
    }
    const reason = this.neverBanned(ip) ?? hooks.ignore.call(f, this.info);
    if (reason) {
      this.stats.ignored++;
      hooks.ignored.call(f, this.info, reason);
      return;
    }
    if (this.store && f.attempts > 0 && !this.tracker.isBanned(f.id)) this.pendingFailures.push({ jail: this.name, failure: f });
    this.tracker.add(f);
  }

  /** Why this jail never bans an address (no log line, no hand can change that), or null. */
  neverBanned(ip: IpAddress): 'loopback' | 'ignoreip' | 'ignoreself' | null {
    if (isLoopback(ip)) return 'loopback';
    if (this.ignoreSet.has(ip)) return 'ignoreip';
    if (this.selfSet.has(ip)) return 'ignoreself';
    return null;
  }

  /**
   * Ban by hand (`f2b ban`), or for another reason (`recidive`). The addresses the jail never bans
   * are refused (F2B_ERR_BAN_REFUSED): a typo must not cut the host off from itself or its admin.
   */
  ban(id: string, rule = 'manual', lines?: readonly string[]): Ban {
    return this.tracker.ban(this.bannable(id), this.core.clock.now(), 0, rule, lines);
  }

  /** The canonical address of `id` if this jail may ban it; F2B_ERR_ADDRESS_INVALID / _BAN_REFUSED if not. */
  bannable(id: string): string {
    const ip = parseIp(id);
    if (!ip) throw errors.addressInvalid(id);
    const refused = this.neverBanned(ip);
    if (refused) throw errors.banRefused(ip.text, this.name, refused);
    return ip.text;
  }

  /** Unban by hand; false if the id was not banned here. */
  unban(id: string): boolean {
    const ip = parseIp(id);
    return this.tracker.unban(ip ? ip.text : id, 'manual');
  }

  /**
   * Adopt bans from the store at start: the tracker arms their expiry, the actions get them in
   * batches (actions are idempotent: re-adding what the kernel still has is fine). No hooks fire:
   * these are not new bans.
   */
  async restoreBans(bans: readonly Ban[], batch = 10_000): Promise<void> {
    for (const b of bans) this.tracker.restore(b);
    for (let i = 0; i < bans.length; i += batch) {
      const part = bans.slice(i, i + batch);
      await this.eachAction('ban', (a) => a.ban(part));
    }
  }

  /** Carry out bans/unbans committed before a crash but not confirmed done. */
  async replay(bans: readonly Ban[], unbans: readonly Unban[]): Promise<boolean> {
    let ok = true;
    if (bans.length > 0) ok = (await this.eachAction('ban', (a) => a.ban(bans))) && ok;
    if (unbans.length > 0) ok = (await this.eachAction('unban', (a) => a.unban(unbans))) && ok;
    return ok;
  }

  /** The read positions of this jail's sources, keyed for the store. */
  sourceStates(): Record<string, unknown> {
    if (this.finalStates) return this.finalStates;
    const out: Record<string, unknown> = {};
    this.sources.forEach((s, i) => {
      const state = s.state?.();
      if (state !== undefined) out[`${this.name}/${i}`] = state;
    });
    return out;
  }

  status() {
    return {
      name: this.name, filter: this.config.filter.id, mode: this.filter.mode,
      currentlyFailed: this.tracker.failing().size, totalFailed: this.stats.failures,
      currentlyBanned: this.tracker.activeBans().length, totalBanned: this.stats.bans,
      banned: this.tracker.activeBans().map((b) => b.id), lines: this.stats.lines,
      overlongLines: this.stats.overlongLines,
    };
  }

  /** Wait until queued bans/unbans have reached the actions. */
  async flush(): Promise<void> {
    while (this.pendingBans.length > 0 || this.pendingUnbans.length > 0 || this.pendingFailures.length > 0 || this.flushScheduled) {
      await this.runFlush();
    }
    await this.flushing;
  }

  private queue(ban: Ban | null, unban: Unban | null): void {
    if (ban) { this.pendingBans.push(ban); this.stats.bans++; }
    if (unban) this.pendingUnbans.push(unban);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => { void this.runFlush(); });
    }
  }

  private runFlush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      this.flushScheduled = false;
      const bans = this.pendingBans; const unbans = this.pendingUnbans;
      const failures = this.pendingFailures; const cleared = this.clearedWindows;
      this.pendingBans = []; this.pendingUnbans = []; this.pendingFailures = []; this.clearedWindows = [];
      let seqs: number[] = [];
      if (this.store && (bans.length || unbans.length || failures.length || cleared.length || this.linesSinceCheckpoint)) {
        this.linesSinceCheckpoint = false;
        try {
          // Committed before any action runs: a crash from here on is repaired from the outbox.
          seqs = await this.store.checkpoint({ failures, clearFailures: cleared, bans, unbans, positions: this.sourceStates() });
        } catch (err) {
          // Security first: a store that cannot write must not stop bans; say so loudly.
          this.core.reportError(err, { jail: this.name, hook: 'checkpoint' });
        }
      }
      const hooks = this.core.hooks;
      let ok = true;
      if (bans.length > 0) {
        await Promise.all(bans.map((b) => hooks.ban.promise(b, this.info)));
        ok = (await this.eachAction('ban', (a) => a.ban(bans))) && ok;
      }
      if (unbans.length > 0) {
        await Promise.all(unbans.map((u) => hooks.unban.promise(u, this.info)));
        ok = (await this.eachAction('unban', (a) => a.unban(unbans))) && ok;
      }
      // Items whose actions failed stay in the outbox; the daemon retries them.
      if (ok && seqs.length > 0 && this.store) {
        try { await this.store.outboxDone(seqs); } catch (err) { this.core.reportError(err, { jail: this.name, hook: 'checkpoint' }); }
      }
    });
    return this.flushing;
  }

  /** Run an action call on every action; false if any failed (each failure is reported). */
  private async eachAction(what: string, fn: (a: ActionInstance) => Promise<void>): Promise<boolean> {
    const results = await Promise.all(this.actions.map(async (a) => {
      try { await fn(a.instance); return true; } catch (err) {
        this.core.reportError(errors.actionFailed(a.type, `${what}: ${err instanceof Error ? err.message : String(err)}`), { jail: this.name });
        return false;
      }
    }));
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
    lookup(f.id, { all: true }).then((addrs) => {
      for (const a of addrs) this.failure({ ...f, id: parseIp(a.address)?.text ?? a.address });
    }, () => {
      this.stats.ignored++;
      this.core.hooks.ignored.call(f, this.info, 'hostname did not resolve');
    });
  }

  private armSweep(): { cancel(): void } {
    let timer = this.core.clock.setTimer(60_000, tick);
    const self = this;
    function tick() {
      self.filter.sweep(self.core.clock.now());
      self.tracker.failing();
      timer = self.core.clock.setTimer(60_000, tick);
    }
    return { cancel: () => timer.cancel() };
  }
}

function validateOptions(schema: JSONSchema | undefined, options: Record<string, unknown>, path: string, plugin: string): void {
  if (!schema) return;
  const problem = checkSchema(schema, options, path);
  if (problem) throw errors.pluginOptions(plugin, problem.path, problem.problem);
}

function selfAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.replace(/%.*$/, ''));
  }
  return out;
}
