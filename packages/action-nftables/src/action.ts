/**
 * One `nftables` action instance (one per jail that lists it).
 *
 * State: the element sets (element-sets.ts): per address family, what f2b wants in its nft set and
 * what it believes the kernel holds. `ban`/`unban` only change that model and mark elements dirty; a flush
 * then turns every dirty element into nft statements (planner.ts), all in ONE `nft -f -`
 * transaction, however many bans and unbans arrived meanwhile (while a transaction runs, the next
 * batch accumulates).
 *
 * Fail-safe: every element carries a kernel timeout (the ban's remaining time, unless longer than nft
 * accepts), so bans end on time even if f2b dies; a failed transaction changes nothing (nft
 * transactions are atomic). One that nft refused is split in halves until the element it refuses is
 * found and left out (reported once), so one bad element never blocks the others; one that could not
 * run at all stays queued and is retried with backoff after checking (and repairing) the table; the
 * error is reported once per failure streak, not once per retry; nothing throws into the jail.
 *
 * Repair: `nft monitor` (monitor.ts) reports changes made by others at once, and the periodic check
 * compares the table, the rules and the elements (repair.ts) with what f2b holds; the failure streak
 * and the timers of retry, check and repair are its health (health.ts), on the context's clock.
 */
import { SerialBatcher } from '@f2b/kit';
import type { ActionContext, ActionInstance, Ban, F2bError, Unban } from '@f2b/core';
import { ElementSets } from './element-sets.js';
import { nftMessage } from './errors.js';
import { NftHealth } from './health.js';
import { monitorFor, watch } from './monitor.js';
import { NftRunError, runNft, type NftResult } from './nft.js';
import { acquireSession, releaseSession, type NftSession } from './nft-session.js';
import { normalizeOptions, type NftablesOptions, type NftConfig } from './options.js';
import { commit, halves, phaseSize, plan, soleElement, type Phase } from './planner.js';
import { missingElements } from './repair.js';
import { elementScript, isOwnedTable, locateErrors, parseListing, structurePlan, teardownPlan, type Listing } from './script.js';

export interface NftActionStats {
  /** Element transactions that succeeded. */
  transactions: number;
  /** nft runs that failed. */
  failures: number;
  /** Times a check found the table, sets, rules or elements missing and recreated them. */
  repairs: number;
  /** Duration of the last successful element transaction (ms, nft process included). */
  lastTransactionMs: number;
  /** Elements the last successful transactions added / removed (cumulative). */
  added: number;
  removed: number;
  /** Elements nft refused and that were left out (each reported once). */
  refused: number;
  /** Refused transactions split in two to find the element nft refuses. */
  splits: number;
  /** Changes by others that `nft monitor` reported (each triggers a check). */
  monitorEvents: number;
  /** Element transactions too large for the `nft -i` line (SESSION_MAX_SCRIPT) run by a spawned nft: no private directory for a script file. */
  spawnedLarge: number;
}

/**
 * Element scripts longer than this (about 200–300 elements) go to the `nft -i` session as an include
 * of a file (nft-session.ts: ~5 ms for 1,000 elements), or, when the session cannot make its private
 * directory for those files, to a spawned `nft -f -`: nft -i reads a line through libedit a byte at a
 * time (~2–4 µs a byte with nft 1.0.6: 1,000 elements 50–130 ms), so past this size the process start
 * is the cheaper part.
 */
const SESSION_MAX_SCRIPT = 8192;

export interface CheckResult {
  ok: boolean;
  /** What was missing or wrong and has been recreated (empty when all was in place). */
  repaired: string[];
}

export class NftablesAction implements ActionInstance {
  readonly config: NftConfig;
  readonly stats: NftActionStats = {
    transactions: 0,
    failures: 0,
    repairs: 0,
    lastTransactionMs: 0,
    added: 0,
    removed: 0,
    refused: 0,
    splits: 0,
    monitorEvents: 0,
    spawnedLarge: 0,
  };
  private readonly ctx: ActionContext;
  private readonly sets: ElementSets;
  private readonly health: NftHealth;
  /** One nft run at a time; one flush per burst of bans (see SerialBatcher). */
  private readonly batcher = new SerialBatcher(
    () => this.flushDirty(),
    (err) => this.ctx.error(err),
  );
  private structureOk = false;
  private lastFailed = false;
  private unwatch?: () => void;
  private session?: NftSession;
  private checked = false;
  private stopped = false;

  constructor(options: NftablesOptions, ctx: ActionContext) {
    this.config = normalizeOptions(options, ctx.jail);
    this.ctx = ctx;
    this.sets = new ElementSets(this.config, ctx);
    this.health = new NftHealth(this.config, ctx);
  }

  // -------------------------------------------------------------------------------------------
  // ActionInstance
  // -------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopped = false;
    await this.serial(() => this.doCheck(true));
    if (this.pending() > 0) await this.requestFlush();
    this.armCheck();
    this.startMonitor();
    if (this.config.interactive) {
      this.session ??= this.openSession();
      this.session.warm();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    this.health.stop();
    await this.serial(async () => {
      try {
        const listing = await this.listTable();
        if (listing === null) return;
        let owned = false;
        const cfg = this.config;
        const mine = new Set<string>([...(cfg.ownChain ? [`chain:${cfg.chain}`] : []), ...[...this.sets.values()].map((s) => `set:${s.name}`)]);
        if (cfg.ownChain && listing.objects.every((o) => mine.has(o))) {
          owned = isOwnedTable((await this.nft(['-t', 'list', 'table', cfg.family, cfg.table], undefined, 'list the table')).stdout);
        }
        const lines = teardownPlan(cfg, listing, owned);
        if (lines.length > 0) await this.nft(['-f', '-'], `${lines.join('\n')}\n`, "remove f2b's rules and sets");
        this.ctx.logger.debug(
          `Removed ${lines.length === 1 && lines[0]!.startsWith('delete table') ? `the table ${cfg.family} ${cfg.table}` : `the rules and sets of ${cfg.name}`}.`,
        );
      } catch (err) {
        if (!(err instanceof NftRunError)) throw err;
        if (this.health.isNews(err.error)) this.ctx.error(err.error);
      }
    });
    if (this.session !== undefined) {
      this.session.onLost.delete(this.sessionLost);
      releaseSession(this.session);
    }
    this.session = undefined;
    this.sets.clear();
    this.structureOk = false;
    this.checked = false;
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.sets.ban(bans);
    return this.requestFlush();
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.sets.unban(unbans);
    return this.requestFlush();
  }

  // -------------------------------------------------------------------------------------------
  // Public extras: check, state
  // -------------------------------------------------------------------------------------------

  /**
   * Verifies that the table, sets, chain, rules and elements are as f2b holds them and recreates
   * what is missing (after `nft flush ruleset` or `nft flush set`, say), re-adding the active bans.
   */
  async check(): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    const result = await this.serial(() => this.doCheck(false, true));
    if (this.pending() > 0) await this.requestFlush();
    return result;
  }

  /** Active bans as f2b holds them: element text → ban ids (for `f2b status`, tests). */
  active(): Map<string, string[]> {
    return this.sets.active();
  }

  /** Number of elements still waiting to reach the kernel (or to leave it). */
  pending(): number {
    return this.sets.pending();
  }

  /** Resolves when everything queued so far has been tried once (it may have failed: see stats). */
  flush(): Promise<void> {
    return this.requestFlush();
  }

  /** True while an `nft monitor` watches the table for this instance (subscribed to events). */
  monitorRunning(): boolean {
    return this.unwatch !== undefined && monitorFor(this.config)?.running === true;
  }

  /** The process id of the `nft monitor` watching for this instance, if one runs. */
  monitorPid(): number | undefined {
    return this.unwatch === undefined ? undefined : monitorFor(this.config)?.pid;
  }

  /** The shared `nft -i` session's counters and pid (undefined before start, or with `interactive: false`). */
  sessionInfo(): (NftSession['stats'] & { pid: number | undefined }) | undefined {
    return this.session === undefined ? undefined : { ...this.session.stats, pid: this.session.pid };
  }

  /** Times the monitor had to be restarted. */
  monitorRestarts(): number {
    return monitorFor(this.config)?.restarts ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // Transactions
  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.batcher.serial(fn);
  }

  private requestFlush(): Promise<void> {
    return this.batcher.requestFlush();
  }

  private async flushDirty(): Promise<void> {
    if (this.stopped || this.pending() === 0) return;
    if (!this.structureOk || this.lastFailed) {
      await this.doCheck(!this.checked);
      if (!this.structureOk) return;
    }
    for (let round = 0; round < 16; round++) {
      const phases = plan(this.sets.values(), this.health.now());
      if (phases.length === 0) break;
      const outcome = await this.runPhases(phases);
      if (outcome === 'failed') return;
      if (outcome === 'ok') break;
    }
    if (this.pending() > 0) this.scheduleRetry();
    else this.healthy();
  }

  /** 'again': something was left out or repaired, plan once more (what stays dirty). */
  private async runPhases(phases: Phase[]): Promise<'ok' | 'again' | 'failed'> {
    let again = false;
    for (const phase of phases) {
      const outcome = await this.apply(phase, true);
      if (outcome === 'failed') return 'failed';
      if (outcome === 'again') again = true;
    }
    return again ? 'again' : 'ok';
  }

  /**
   * Runs one phase. When nft refuses it, the element its message points at is left out; when the
   * message points at none, the table is checked first (a missing set fails every element alike) and
   * the phase is split in halves, each its own transaction, down to the element nft refuses.
   */
  private async apply(phase: Phase, top: boolean): Promise<'ok' | 'again' | 'failed'> {
    const script = elementScript(this.config, phase.changes);
    if (script.script === '') return 'ok';
    // eslint-disable-next-line no-restricted-properties -- how long nft itself took (a stat of a real process), not a time f2b reasons about
    const t0 = performance.now();
    try {
      await this.elementNft(script.script);
    } catch (err) {
      if (!(err instanceof NftRunError)) throw err;
      // Whatever happens next, these elements are not settled: keep them for the next plan.
      for (const g of phase.groups) for (const e of g.elems) g.s.markOne(e);
      if (!err.rejected) {
        this.fail(err.error);
        return 'failed';
      }
      const located = locateErrors(err.stderr, script).find((x) => x.element !== undefined);
      if (located?.element) {
        this.poison(located.element.set, located.element.text, located.message);
        return 'again';
      }
      const sole = soleElement(phase);
      if (sole !== null && !top) {
        this.poison(sole.s.name, sole.e.text, nftMessage(err.stderr));
        return 'again';
      }
      if (top) {
        // A table or set removed meanwhile fails every element: repair first, then plan again.
        const check = await this.doCheck(false, true);
        if (!check.ok) return 'failed';
        if (check.repaired.length > 0) return 'again';
        if (sole !== null) {
          this.poison(sole.s.name, sole.e.text, nftMessage(err.stderr));
          return 'again';
        }
      }
      const parts = halves(phase, this.health.now());
      if (parts === null) {
        this.fail(err.error);
        return 'failed';
      }
      this.stats.splits++;
      this.ctx.logger.debug(`nft refused a transaction of ${phaseSize(phase)} element(s) without naming one (${nftMessage(err.stderr)}); splitting it.`);
      for (const part of parts) {
        if ((await this.apply(part, false)) === 'failed') return 'failed';
      }
      return 'again';
    }
    // eslint-disable-next-line no-restricted-properties -- see t0
    this.stats.lastTransactionMs = performance.now() - t0;
    this.stats.transactions++;
    const { added, removed } = commit(phase);
    this.stats.added += added;
    this.stats.removed += removed;
    this.lastFailed = false;
    this.ctx.logger.debug(`nft: ${added} element(s) added or refreshed, ${removed} removed in ${this.stats.lastTransactionMs.toFixed(1)} ms.`);
    return 'ok';
  }

  /** Leaves out an element nft refused (until it is banned anew or its set recreated), reported once. */
  private poison(setName: string, text: string, message: string): void {
    if (this.sets.poison(setName, text, message)) this.stats.refused++;
  }

  // -------------------------------------------------------------------------------------------
  // Structure and element check, repair
  // -------------------------------------------------------------------------------------------

  /** The table as nft lists it (null when it does not exist); `withElements` lists the set elements too. */
  private async listTable(withElements = false): Promise<Listing | null> {
    const { family, table } = this.config;
    try {
      const args = withElements ? ['-j', 'list', 'table', family, table] : ['-j', '-t', 'list', 'table', family, table];
      const r = await this.nft(args, undefined, 'list the table');
      return parseListing(r.stdout, family, table, withElements);
    } catch (err) {
      if (err instanceof NftRunError && err.rejected && /No such file or directory/.test(err.stderr)) return null;
      throw err;
    }
  }

  /**
   * Checks the table, sets, chain and rules (and with `elements`, the set elements) against the
   * configuration and what f2b holds, and repairs them in one transaction; what must be re-added is
   * marked for the next flush.
   */
  private async doCheck(initial: boolean, elements = false): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    try {
      let listing = await this.listTable(elements && this.checked);
      let plan = structurePlan(this.config, listing);
      if (plan.needsElements) {
        // A set of the older layout is recreated: list its elements so that they are kept.
        listing = await this.listTable(true);
        plan = structurePlan(this.config, listing);
      }
      if (plan.error) {
        this.structureOk = false;
        this.fail(plan.error);
        return { ok: false, repaired: [] };
      }
      if (plan.lines.length > 0) await this.nft(['-f', '-'], `${plan.lines.join('\n')}\n`, 'create the table, sets and rules');
      // On the first check, sets that received the elements of a recreated one are adopted like a
      // set left by an earlier run (their elements unknown); later, refilled like any fresh set.
      const fresh = this.checked ? plan.freshSets : plan.freshSets.filter((n) => !plan.carried.includes(n));
      let readd = this.sets.afterCheck(fresh, !this.checked);
      const repaired = listing === null && this.checked ? ['table', ...plan.changes.filter((c) => c !== 'table')] : [...plan.changes];
      if (listing !== null && this.checked) {
        for (const m of missingElements(this.sets.values(), listing, fresh, this.health.now())) {
          repaired.push(`elements of ${m.set} (${m.count})`);
          readd += m.count;
        }
      }
      if (!initial && repaired.length > 0) {
        this.stats.repairs++;
        this.ctx.logger.warn(
          `Repaired the nftables table ${this.config.family} ${this.config.table} (flushed or edited by hand?): recreated ${repaired.join(', ')}${readd > 0 ? `; re-adding ${readd} active ban(s)` : ''}.`,
        );
      } else if (initial && plan.carried.length > 0) {
        // An upgrade from the one-set layout: worth a line at the default level.
        this.ctx.logger.info(
          `Moved the nftables table ${this.config.family} ${this.config.table} to one set of addresses and one of networks per family (${repaired.join(', ')}).`,
        );
      } else if (initial) {
        this.ctx.logger.debug(
          listing === null
            ? `Created the table ${this.config.family} ${this.config.table}.`
            : `Adopted the table ${this.config.family} ${this.config.table}${repaired.length > 0 ? ` (added: ${repaired.join(', ')})` : ''}.`,
        );
      }
      this.checked = true;
      this.structureOk = true;
      this.lastFailed = false;
      if (this.pending() === 0) this.healthy();
      return { ok: true, repaired: initial ? [] : repaired };
    } catch (err) {
      if (!(err instanceof NftRunError)) throw err;
      this.structureOk = false;
      this.fail(err.error);
      return { ok: false, repaired: [] };
    }
  }

  private armCheck(): void {
    if (this.stopped) return;
    this.health.armCheck(async () => {
      if (!this.stopped) await this.check();
    });
  }

  /** Watches the namespace's nftables events: a change by someone else to the table is repaired at once. */
  private startMonitor(): void {
    if (!this.config.monitor || this.unwatch !== undefined || this.stopped) return;
    const { family, table } = this.config;
    this.unwatch = watch(this.config, {
      family,
      table,
      onDamage: (lines) => {
        this.stats.monitorEvents++;
        this.ctx.logger.debug(`nft monitor: the table was changed by another process (${lines[0]}${lines.length > 1 ? `, …` : ''}); checking it.`);
        this.repairSoon();
      },
      // Started or restarted: what changed while nothing watched is found by a full check.
      onReady: () => {
        if (this.checked) this.repairSoon();
      },
      warn: (message) => this.ctx.logger.warn(message),
    });
  }

  private repairSoon(): void {
    if (this.stopped) return;
    this.health.repairSoon(() => {
      if (!this.stopped) void this.check().catch((err: unknown) => this.ctx.error(err));
    });
  }

  // -------------------------------------------------------------------------------------------
  // nft, failures, reporting
  // -------------------------------------------------------------------------------------------

  private nft(args: string[], input: string | undefined, what: string): Promise<NftResult> {
    return runNft(this.config, args, input, what);
  }

  /**
   * Element transactions go through the shared `nft -i` session (nft-session.ts): no process start
   * per batch. Only these: they are idempotent, so one the session lost can run again by a spawn;
   * listings and structure changes (rare) keep their own process.
   */
  private openSession(): NftSession {
    const session = acquireSession(this.config);
    session.onLost.add(this.sessionLost);
    return session;
  }

  /** Nothing is lost (the transaction runs again through a spawned nft), but the operator should know. */
  private readonly sessionLost = (detail: string, first: boolean): void => {
    const text = `The long-lived nft -i session${this.config.netns ? ` in the namespace ${this.config.netns}` : ''} ended (${nftMessage(detail)}); transactions run through a spawned nft until it is restarted.`;
    if (first) this.ctx.logger.warn(text);
    else this.ctx.logger.debug(text);
  };

  private elementNft(script: string): Promise<NftResult> {
    if (!this.config.interactive || this.stopped) return this.nft(['-f', '-'], script, 'apply bans');
    this.session ??= this.openSession();
    if (script.length > SESSION_MAX_SCRIPT && !this.session.takesLargeScripts()) {
      this.stats.spawnedLarge++;
      return this.nft(['-f', '-'], script, 'apply bans');
    }
    return this.session.run(script, 'apply bans');
  }

  private fail(error: F2bError): void {
    this.lastFailed = true;
    this.stats.failures++;
    this.health.failed(error);
    this.scheduleRetry();
  }

  private healthy(): void {
    this.health.healthy();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.health.scheduleRetry(() => {
      if (this.stopped) return;
      if (this.pending() > 0 || !this.structureOk || this.lastFailed) {
        // A retry checks (and repairs) first, then applies what is queued.
        void this.serial(async () => {
          if (!this.structureOk || this.lastFailed) await this.doCheck(!this.checked);
          if (this.structureOk && this.pending() > 0) await this.flushDirty();
        }).catch((err: unknown) => this.ctx.error(err));
      }
    });
  }
}
