/**
 * One `nftables` action instance (one per jail that lists it).
 *
 * State: per address family, the elements f2b wants in its set (an element is the ban's network:
 * the address, or its /64 with `ipv6Prefix: 64`), each with the bans it stands for and what f2b
 * believes the kernel holds. `ban`/`unban` only change that map and mark elements dirty; a flush then
 * turns every dirty element into nft statements, all in ONE `nft -f -` transaction, however many
 * bans and unbans arrived meanwhile (while a transaction runs, the next batch accumulates).
 *
 * Fail-safe: every element carries a kernel timeout (the ban's remaining time), so bans end on time
 * even if f2b dies; a failed transaction changes nothing (nft transactions are atomic), its elements
 * stay dirty and are retried with backoff after checking (and repairing) the table; the error is
 * reported once per failure streak, not once per retry; nothing throws into the jail.
 */
import { widen, type ActionContext, type ActionInstance, type Ban, type Cidr, type F2bError, type Unban } from '@f2b/core';
import { nftErrors } from './errors.js';
import { NftRunError, runNft, type NftResult } from './nft.js';
import { normalizeOptions, type NftablesOptions, type NftConfig } from './options.js';
import {
  banNetwork, elementScript, elementText, isOwnedTable, locateErrors, parseListing, structurePlan, teardownPlan, timeoutSeconds,
  type ElementAdd, type ElementRef, type Listing,
} from './script.js';

type V = 4 | 6;

interface Elem {
  /** Canonical network text, e.g. `192.0.2.1/32`. */
  readonly key: string;
  readonly cidr: Cidr;
  /** What nft is given. */
  readonly text: string;
  /** Ban id → end (epoch ms, null = permanent) of the bans this element stands for. */
  readonly bans: Map<string, number | null>;
  /** What the kernel holds, as far as f2b knows (`unknown`: a set adopted from an earlier run). */
  kernel: 'yes' | 'no' | 'unknown';
  /** End the kernel element was written with (its timeout), when kernel is `yes`. */
  kernelEnd?: number | null;
  /** nft refused this element (e.g. it overlaps an element added by hand): left out until banned anew. */
  poisoned: boolean;
}

interface SetState {
  readonly v: V;
  readonly name: string;
  readonly elems: Map<string, Elem>;
  /** Prefix length → number of elements with it (overlaps are only possible with more than one). */
  readonly prefixes: Map<number, number>;
  dirty: Set<string>;
  /** The set existed before this instance started: its elements are unknown to us. */
  adopted: boolean;
}

interface PlanItem {
  s: SetState;
  e: Elem;
  remove: boolean;
  add: boolean;
  end?: number | null;
}

interface Phase {
  removals: ElementRef[];
  adds: ElementAdd[];
  items: PlanItem[];
}

export interface NftActionStats {
  /** Element transactions that succeeded. */
  transactions: number;
  /** nft runs that failed. */
  failures: number;
  /** Times a check found the table, sets or rules missing and recreated them. */
  repairs: number;
  /** Duration of the last successful element transaction (ms, nft process included). */
  lastTransactionMs: number;
  /** Elements the last successful transactions added / removed (cumulative). */
  added: number;
  removed: number;
}

export interface CheckResult {
  ok: boolean;
  /** What was missing or wrong and has been recreated (empty when all was in place). */
  repaired: string[];
}

export class NftablesAction implements ActionInstance {
  readonly config: NftConfig;
  readonly stats: NftActionStats = { transactions: 0, failures: 0, repairs: 0, lastTransactionMs: 0, added: 0, removed: 0 };
  private readonly ctx: ActionContext;
  private readonly sets = new Map<V, SetState>();
  private queue: Promise<unknown> = Promise.resolve();
  private scheduled: Promise<void> | null = null;
  private structureOk = false;
  private lastFailed = false;
  private failures = 0;
  private reported: string | null = null;
  private readonly reportedKeys = new Set<string>();
  private retryTimer?: NodeJS.Timeout;
  private checkTimer?: NodeJS.Timeout;
  private checked = false;
  private stopped = false;

  constructor(options: NftablesOptions, ctx: ActionContext) {
    this.config = normalizeOptions(options, ctx.jail);
    this.ctx = ctx;
    for (const v of [4, 6] as const) {
      const name = this.config.sets[v];
      if (name !== undefined) this.sets.set(v, { v, name, elems: new Map(), prefixes: new Map(), dirty: new Set(), adopted: false });
    }
  }

  // -------------------------------------------------------------------------------------------
  // ActionInstance
  // -------------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.stopped = false;
    await this.serial(() => this.doCheck(true));
    if (this.pending() > 0) await this.requestFlush();
    this.armCheck();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.checkTimer);
    this.retryTimer = this.checkTimer = undefined;
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
        if (lines.length > 0) await this.nft(['-f', '-'], `${lines.join('\n')}\n`, 'remove f2b\'s rules and sets');
        this.ctx.logger.debug(`Removed ${lines.length === 1 && lines[0]!.startsWith('delete table') ? `the table ${cfg.family} ${cfg.table}` : `the rules and sets of ${cfg.name}`}.`);
      } catch (err) {
        if (!(err instanceof NftRunError)) throw err;
        if (this.reported !== err.error.code) this.ctx.error(err.error);
      }
    });
    for (const s of this.sets.values()) {
      s.elems.clear();
      s.prefixes.clear();
      s.dirty.clear();
    }
    this.structureOk = false;
    this.checked = false;
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const b of bans) {
      const net = this.network(b.id);
      if (net === null) continue;
      const s = this.sets.get(net.version)!;
      let e = s.elems.get(net.text);
      if (e === undefined) e = this.addElem(s, net);
      const had = e.bans.size > 0;
      e.bans.set(b.id, b.end);
      if (e.poisoned) {
        e.poisoned = false; // a new ban gives it another chance
        e.kernel = 'unknown';
      }
      this.mark(s, e, !had);
    }
    return this.requestFlush();
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const u of unbans) {
      const net = this.network(u.id, false);
      if (net === null) continue;
      const s = this.sets.get(net.version)!;
      const e = s.elems.get(net.text);
      if (e === undefined) {
        // Not ours in this run. In a set adopted from an earlier run it may still be there: remove it
        // (guarded), unless that would touch an element f2b holds.
        if (s.adopted && !this.overlapsKnown(s, net)) this.mark(s, this.addElem(s, net), false);
        continue;
      }
      const had = e.bans.size > 0;
      e.bans.delete(u.id);
      this.mark(s, e, had && e.bans.size === 0);
    }
    return this.requestFlush();
  }

  // -------------------------------------------------------------------------------------------
  // Public extras: check, state
  // -------------------------------------------------------------------------------------------

  /**
   * Verifies that the table, sets, chain and rules exist as configured and recreates what is missing
   * (after `nft flush ruleset`, say), then re-adds the active bans to sets that had to be recreated.
   */
  async check(): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    const result = await this.serial(() => this.doCheck(false));
    if (this.pending() > 0) await this.requestFlush();
    return result;
  }

  /** Active bans as f2b holds them: element text → ban ids (for `f2b status`, tests). */
  active(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const s of this.sets.values()) {
      for (const e of s.elems.values()) if (e.bans.size > 0) out.set(e.text, [...e.bans.keys()]);
    }
    return out;
  }

  /** Number of elements still waiting to reach the kernel (or to leave it). */
  pending(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.dirty.size;
    return n;
  }

  /** Resolves when everything queued so far has been tried once (it may have failed: see stats). */
  flush(): Promise<void> {
    return this.requestFlush();
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  /** The network of a ban id for this action, or null (reported once when it is not an address). */
  private network(id: string, report = true): Cidr | null {
    const net = banNetwork(id, this.config.prefix);
    if (net === null) {
      if (report) this.reportKeyOnce(`id ${id}`, nftErrors.address(String(id)));
      return null;
    }
    if (!this.sets.has(net.version)) {
      if (report) this.warnOnce(`family ${net.version}`, `IPv${net.version} bans are not enforced: the table family is ${this.config.family}. Use family "inet" to ban both.`);
      return null;
    }
    if (!this.config.interval && net.prefix !== net.bytes.length * 8) {
      if (report) this.warnOnce(`cidr ${net.text}`, `The network ${net.text} cannot be banned: "interval: false" sets hold single addresses only.`);
      return null;
    }
    return net;
  }

  private addElem(s: SetState, cidr: Cidr): Elem {
    const e: Elem = { key: cidr.text, cidr, text: elementText(cidr), bans: new Map(), kernel: s.adopted ? 'unknown' : 'no', poisoned: false };
    s.elems.set(e.key, e);
    s.prefixes.set(cidr.prefix, (s.prefixes.get(cidr.prefix) ?? 0) + 1);
    return e;
  }

  private dropElem(s: SetState, e: Elem): void {
    if (s.elems.get(e.key) !== e) return;
    s.elems.delete(e.key);
    const n = (s.prefixes.get(e.cidr.prefix) ?? 1) - 1;
    if (n > 0) s.prefixes.set(e.cidr.prefix, n);
    else s.prefixes.delete(e.cidr.prefix);
  }

  /**
   * Marks an element for the next transaction. When it starts or stops being banned and the set
   * holds networks of several sizes, the elements inside it change too (they are left out of the
   * kernel while a larger element covers them: interval sets refuse overlapping elements).
   */
  private mark(s: SetState, e: Elem, toggled: boolean): void {
    s.dirty.add(e.key);
    if (!toggled || s.prefixes.size < 2) return;
    for (const g of s.elems.values()) {
      if (g.cidr.prefix > e.cidr.prefix && widen(g.cidr, e.cidr.prefix).text === e.key) s.dirty.add(g.key);
    }
  }

  /** A banned element of the set that contains `e` (and so stands for it in the kernel). */
  private coveredBy(s: SetState, e: Elem): Elem | undefined {
    if (s.prefixes.size < 2) return undefined;
    for (const p of s.prefixes.keys()) {
      if (p >= e.cidr.prefix) continue;
      const f = s.elems.get(widen(e.cidr, p).text);
      if (f !== undefined && f.bans.size > 0 && !f.poisoned) return f;
    }
    return undefined;
  }

  private overlapsKnown(s: SetState, net: Cidr): boolean {
    for (const p of s.prefixes.keys()) {
      if (p <= net.prefix) {
        if (s.elems.has(widen(net, p).text)) return true;
      } else {
        for (const g of s.elems.values()) if (g.cidr.prefix === p && widen(g.cidr, net.prefix).text === net.text) return true;
      }
    }
    return false;
  }

  private endOf(e: Elem): number | null {
    let end = -Infinity;
    for (const v of e.bans.values()) {
      if (v === null) return null;
      if (v > end) end = v;
    }
    return end;
  }

  // -------------------------------------------------------------------------------------------
  // Transactions
  // -------------------------------------------------------------------------------------------

  /** Runs `fn` after every nft run queued before it: one nft process at a time per instance. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One flush for everything marked until the next turn of the event loop (and while nft runs). */
  private requestFlush(): Promise<void> {
    if (this.scheduled) return this.scheduled;
    this.scheduled = new Promise<void>((resolve) => {
      setImmediate(() => {
        this.scheduled = null;
        this.serial(() => this.flushDirty()).catch((err: unknown) => this.ctx.error(err)).finally(resolve);
      });
    });
    return this.scheduled;
  }

  private async flushDirty(): Promise<void> {
    if (this.stopped || this.pending() === 0) return;
    if (!this.structureOk || this.lastFailed) {
      await this.doCheck(!this.checked);
      if (!this.structureOk) return;
    }
    for (let round = 0; round < 16; round++) {
      const phases = this.plan(Date.now());
      if (phases.length === 0) break;
      const outcome = await this.runPhases(phases);
      if (outcome === 'failed') return;
      if (outcome === 'ok') break;
    }
    if (this.pending() > 0) this.scheduleRetry();
    else this.healthy();
  }

  /** Dirty elements → statements. Refreshes and removals are guarded deletes; see script.ts. */
  private plan(now: number): Phase[] {
    const items: PlanItem[] = [];
    const removals: ElementRef[] = [], adds: ElementAdd[] = [];
    let split = false;
    for (const s of this.sets.values()) {
      if (s.dirty.size === 0) continue;
      const keys = s.dirty;
      s.dirty = new Set();
      let setRemovals = 0, setAdds = 0;
      for (const key of keys) {
        const e = s.elems.get(key);
        if (e === undefined) continue;
        if (e.poisoned) {
          if (e.bans.size === 0) this.dropElem(s, e);
          continue;
        }
        const target = e.bans.size > 0 && this.coveredBy(s, e) === undefined;
        const end = target ? this.endOf(e) : undefined;
        let remove = false, add = false;
        if (target) {
          if (e.kernel === 'no') add = true;
          else if (e.kernel === 'unknown' || e.kernelEnd !== end) remove = add = true;
        } else if (e.kernel !== 'no') {
          remove = true;
        }
        if (!remove && !add) {
          if (e.bans.size === 0) this.dropElem(s, e);
          continue;
        }
        if (remove) { removals.push({ set: s.name, key, text: e.text }); setRemovals++; }
        if (add) { adds.push({ set: s.name, key, text: e.text, timeout: timeoutSeconds(end!, now) }); setAdds++; }
        items.push({ s, e, remove, add, end });
      }
      // nft checks overlaps against the set as it was before the transaction, ignoring deletes in
      // it: replacing an element by a larger/smaller one takes two transactions.
      if (s.prefixes.size > 1 && setRemovals > 0 && setAdds > 0) split = true;
    }
    if (items.length === 0) return [];
    if (!split) return [{ removals, adds, items }];
    return [
      { removals, adds: [], items: items.filter((i) => i.remove).map((i) => ({ ...i, add: false })) },
      { removals: [], adds, items: items.filter((i) => i.add).map((i) => ({ ...i, remove: false })) },
    ];
  }

  private async runPhases(phases: Phase[]): Promise<'ok' | 'again' | 'failed'> {
    for (const [index, phase] of phases.entries()) {
      const script = elementScript(this.config, phase.removals, phase.adds);
      const t0 = performance.now();
      try {
        await this.nft(['-f', '-'], script.script, 'apply bans');
      } catch (err) {
        if (!(err instanceof NftRunError)) throw err;
        for (const later of phases.slice(index)) for (const i of later.items) i.s.dirty.add(i.e.key);
        const located = err.rejected ? locateErrors(err.stderr, script).find((x) => x.element !== undefined) : undefined;
        if (located?.element && /overlap|conflict|exists|does not exist/i.test(located.message)) {
          this.poison(located.element.set, located.element.key, located.message);
          return 'again';
        }
        this.fail(err.error);
        return 'failed';
      }
      this.stats.lastTransactionMs = performance.now() - t0;
      this.stats.transactions++;
      this.stats.added += phase.adds.length;
      this.stats.removed += phase.removals.length - phase.items.filter((i) => i.remove && i.add).length;
      for (const i of phase.items) {
        if (i.remove) { i.e.kernel = 'no'; i.e.kernelEnd = undefined; }
        if (i.add) { i.e.kernel = 'yes'; i.e.kernelEnd = i.end; }
        if (i.e.bans.size === 0 && i.e.kernel === 'no' && !i.s.dirty.has(i.e.key)) this.dropElem(i.s, i.e);
      }
      this.lastFailed = false;
      this.ctx.logger.debug(`nft: ${phase.adds.length} element(s) added, ${phase.removals.length} removed or refreshed in ${this.stats.lastTransactionMs.toFixed(1)} ms.`);
    }
    return 'ok';
  }

  private poison(setName: string, key: string, message: string): void {
    const s = [...this.sets.values()].find((x) => x.name === setName);
    const e = s?.elems.get(key);
    if (!s || !e) return;
    e.poisoned = true;
    e.kernel = 'unknown';
    s.dirty.delete(key);
    this.reportKeyOnce(`element ${setName} ${key}`, nftErrors.element(e.text, setName, message));
    this.mark(s, e, true);
    s.dirty.delete(key);
  }

  // -------------------------------------------------------------------------------------------
  // Structure check and repair
  // -------------------------------------------------------------------------------------------

  private async listTable(): Promise<Listing | null> {
    const { family, table } = this.config;
    try {
      const r = await this.nft(['-j', '-t', 'list', 'table', family, table], undefined, 'list the table');
      return parseListing(r.stdout, family, table);
    } catch (err) {
      if (err instanceof NftRunError && err.rejected && /No such file or directory/.test(err.stderr)) return null;
      throw err;
    }
  }

  private async doCheck(initial: boolean): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    try {
      const listing = await this.listTable();
      const plan = structurePlan(this.config, listing);
      if (plan.error) {
        this.structureOk = false;
        this.fail(plan.error);
        return { ok: false, repaired: [] };
      }
      if (plan.lines.length > 0) await this.nft(['-f', '-'], `${plan.lines.join('\n')}\n`, 'create the table, sets and rules');
      let readd = 0;
      for (const s of this.sets.values()) {
        if (plan.freshSets.includes(s.v)) {
          s.adopted = false;
          for (const e of [...s.elems.values()]) {
            e.kernel = 'no';
            e.kernelEnd = undefined;
            e.poisoned = false;
            if (e.bans.size > 0) { s.dirty.add(e.key); readd++; } else this.dropElem(s, e);
          }
        } else if (!this.checked) {
          // Adopted from an earlier run (or another f2b): what it holds is unknown, so our first
          // writes are guarded.
          s.adopted = true;
          for (const e of s.elems.values()) if (e.kernel === 'no') { e.kernel = 'unknown'; s.dirty.add(e.key); }
        }
      }
      const repaired = listing === null && this.checked ? ['table', ...plan.changes.filter((c) => c !== 'table')] : plan.changes;
      if (!initial && repaired.length > 0) {
        this.stats.repairs++;
        this.ctx.logger.warn(`Repaired the nftables table ${this.config.family} ${this.config.table} (flushed or edited by hand?): recreated ${repaired.join(', ')}${readd > 0 ? `; re-adding ${readd} active ban(s)` : ''}.`);
      } else if (initial) {
        this.ctx.logger.debug(listing === null ? `Created the table ${this.config.family} ${this.config.table}.` : `Adopted the table ${this.config.family} ${this.config.table}${repaired.length > 0 ? ` (added: ${repaired.join(', ')})` : ''}.`);
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
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    if (this.config.checkIntervalMs <= 0 || this.stopped) return;
    this.checkTimer = setInterval(() => {
      if (this.retryTimer !== undefined || this.stopped) return; // a retry (which checks first) is due
      void this.check().catch((err: unknown) => this.ctx.error(err));
    }, this.config.checkIntervalMs);
    this.checkTimer.unref?.();
  }

  // -------------------------------------------------------------------------------------------
  // nft, failures, reporting
  // -------------------------------------------------------------------------------------------

  private nft(args: string[], input: string | undefined, what: string): Promise<NftResult> {
    return runNft(this.config, args, input, what);
  }

  private fail(error: F2bError): void {
    this.lastFailed = true;
    this.failures++;
    this.stats.failures++;
    if (this.reported !== error.code) {
      this.reported = error.code;
      this.ctx.error(error);
    } else {
      this.ctx.logger.debug(`nft still failing (${error.code}); attempt ${this.failures}.`);
    }
    this.scheduleRetry();
  }

  private healthy(): void {
    if (this.reported !== null) {
      this.ctx.logger.info(`nft works again (after ${this.failures} failed attempt(s)); queued bans and unbans have been applied.`);
    }
    this.reported = null;
    this.failures = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    const cfg = this.config;
    const delay = Math.min(cfg.retryMaxDelayMs, cfg.retryDelayMs * 2 ** Math.min(20, Math.max(0, this.failures - 1)));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      if (this.pending() > 0 || !this.structureOk || this.lastFailed) {
        // A retry checks (and repairs) first, then applies what is queued.
        void this.serial(async () => {
          if (!this.structureOk || this.lastFailed) await this.doCheck(!this.checked);
          if (this.structureOk && this.pending() > 0) await this.flushDirty();
        }).catch((err: unknown) => this.ctx.error(err));
      }
    }, delay);
    this.retryTimer.unref?.();
  }

  private reportKeyOnce(key: string, error: F2bError): void {
    if (this.reportedKeys.has(key)) return;
    if (this.reportedKeys.size > 10_000) this.reportedKeys.clear();
    this.reportedKeys.add(key);
    this.ctx.error(error);
  }

  private warnOnce(key: string, message: string): void {
    if (this.reportedKeys.has(key)) return;
    this.reportedKeys.add(key);
    this.ctx.logger.warn(message);
  }
}
