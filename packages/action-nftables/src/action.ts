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
import type { ActionContext, ActionInstance, Ban, F2bError, Unban } from '@f2b/core';
import { nftErrors } from './errors.js';
import { NftRunError, runNft, type NftResult } from './nft.js';
import { normalizeOptions, type NftablesOptions, type NftConfig } from './options.js';
import {
  addText, banElement, elementScript, isOwnedTable, locateErrors, parseListing, structurePlan, teardownPlan, timeoutSeconds, widenText,
  type Listing, type Net, type SetChange,
} from './script.js';

type V = 4 | 6;

const NO = 0, YES = 1, UNKNOWN = 2;
type KernelState = typeof NO | typeof YES | typeof UNKNOWN;

/** Rebuild a set (flush + re-add) rather than delete this many elements one by one from a set this large. */
const REBUILD_MIN_REMOVALS = 8;
const REBUILD_MIN_SIZE = 1000;

/** One element of a set: a Net (what widen reads) plus the bans it stands for and the kernel's state. */
interface Elem extends Net {
  /** First ban id on this element and its end (epoch ms, null = permanent); further ones in `more`. */
  id: string | null;
  end: number | null;
  more: Map<string, number | null> | null;
  /** What the kernel holds, as far as f2b knows (UNKNOWN: a set adopted from an earlier run). */
  kernel: KernelState;
  /** End the kernel element was written with (its timeout), when kernel is YES. */
  kernelEnd: number | null | undefined;
  /** nft refused this element (e.g. it overlaps an element added by hand): left out until banned anew. */
  poisoned: boolean;
  /** In its set's dirty list. */
  dirty: boolean;
  /** Scratch of the transaction being built: remove (guarded) / add, and with which end. */
  pRemove: boolean;
  pAdd: boolean;
  pEnd: number | null;
}

interface SetState {
  readonly v: V;
  readonly name: string;
  /** Element text → element. */
  readonly elems: Map<string, Elem>;
  /** How many elements have each prefix length (overlaps are only possible with more than one length). */
  readonly prefixes: PrefixCounts;
  dirty: Elem[];
  /** The set existed before this instance started: its elements are unknown to us. */
  adopted: boolean;
}

/** Elements per prefix length, without a Map operation per element on the hot path. */
class PrefixCounts {
  private readonly counts = new Int32Array(129);
  /** Number of distinct prefix lengths in use. */
  size = 0;

  add(p: number): void {
    if (this.counts[p]!++ === 0) this.size++;
  }

  remove(p: number): void {
    if (this.counts[p]! > 0 && --this.counts[p]! === 0) this.size--;
  }

  clear(): void {
    this.counts.fill(0);
    this.size = 0;
  }

  *keys(): Generator<number> {
    for (let p = 0; p <= 128; p++) if (this.counts[p]! > 0) yield p;
  }
}

interface Phase {
  changes: SetChange[];
  /** The elements each change covers; what to do is in their pRemove/pAdd scratch fields. */
  groups: { s: SetState; elems: Elem[] }[];
  /** Both, or only the removals / only the adds (a transaction split in two). */
  only?: 'remove' | 'add';
}

const SORT_MIN = 2000;

/** Address order (then shorter prefix first), as nft keeps interval sets. */
function byAddress(a: Elem, b: Elem): number {
  const x = a.bytes, y = b.bytes;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return a.prefix - b.prefix;
}

function endOf(e: Elem): number | null {
  let end = e.id === null ? -Infinity : e.end;
  if (end === null) return null;
  if (e.more !== null) {
    for (const v of e.more.values()) {
      if (v === null) return null;
      if (v > end!) end = v;
    }
  }
  return end!;
}

function setBan(e: Elem, id: string, end: number | null): void {
  if (e.id === null || e.id === id) {
    if (e.id === null && e.more !== null && e.more.has(id)) e.more.set(id, end);
    else { e.id = id; e.end = end; }
    return;
  }
  (e.more ??= new Map()).set(id, end);
}

function deleteBan(e: Elem, id: string): void {
  if (e.id === id) {
    e.id = null;
    e.end = null;
    if (e.more !== null && e.more.size > 0) {
      const [firstId, firstEnd] = e.more.entries().next().value as [string, number | null];
      e.more.delete(firstId);
      e.id = firstId;
      e.end = firstEnd;
    }
  } else {
    e.more?.delete(id);
  }
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
      if (name !== undefined) this.sets.set(v, { v, name, elems: new Map(), prefixes: new PrefixCounts(), dirty: [], adopted: false });
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
      s.dirty = [];
    }
    this.structureOk = false;
    this.checked = false;
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (let i = 0; i < bans.length; i++) {
      const b = bans[i]!;
      const net = this.network(b.id);
      if (net === null) continue;
      const s = this.sets.get(net.version)!;
      let e = s.elems.get(net.text);
      if (e === undefined) e = this.addElem(s, net);
      const had = e.id !== null;
      setBan(e, b.id, b.end);
      if (e.poisoned) {
        e.poisoned = false; // a new ban gives it another chance
        e.kernel = UNKNOWN;
      }
      this.mark(s, e, !had);
    }
    return this.requestFlush();
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (let i = 0; i < unbans.length; i++) {
      const u = unbans[i]!;
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
      const had = e.id !== null;
      deleteBan(e, u.id);
      this.mark(s, e, had && e.id === null);
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
      for (const e of s.elems.values()) {
        if (e.id !== null) out.set(e.text, [e.id, ...(e.more?.keys() ?? [])]);
      }
    }
    return out;
  }

  /** Number of elements still waiting to reach the kernel (or to leave it). */
  pending(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.dirty.length;
    return n;
  }

  /** Resolves when everything queued so far has been tried once (it may have failed: see stats). */
  flush(): Promise<void> {
    return this.requestFlush();
  }

  // -------------------------------------------------------------------------------------------
  // Model
  // -------------------------------------------------------------------------------------------

  /** The element of a ban id for this action, or null (reported once when it is not an address). */
  private network(id: string, report = true): Net | null {
    const net = banElement(id, this.config.prefix);
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

  private addElem(s: SetState, net: Net): Elem {
    const e: Elem = {
      version: net.version, bytes: net.bytes, prefix: net.prefix, text: net.text,
      id: null, end: null, more: null, kernel: s.adopted ? UNKNOWN : NO, kernelEnd: undefined,
      poisoned: false, dirty: false, pRemove: false, pAdd: false, pEnd: null,
    };
    s.elems.set(e.text, e);
    s.prefixes.add(e.prefix);
    return e;
  }

  private dropElem(s: SetState, e: Elem): void {
    if (s.elems.get(e.text) !== e || e.dirty) return;
    s.elems.delete(e.text);
    s.prefixes.remove(e.prefix);
  }

  private markOne(s: SetState, e: Elem): void {
    if (e.dirty) return;
    e.dirty = true;
    s.dirty.push(e);
  }

  /**
   * Marks an element for the next transaction. When it starts or stops being banned and the set
   * holds networks of several sizes, the elements inside it change too (they are left out of the
   * kernel while a larger element covers them: interval sets refuse overlapping elements).
   */
  private mark(s: SetState, e: Elem, toggled: boolean): void {
    this.markOne(s, e);
    if (!toggled || s.prefixes.size < 2) return;
    for (const g of s.elems.values()) {
      if (g.prefix > e.prefix && widenText(g, e.prefix) === e.text) this.markOne(s, g);
    }
  }

  /** A banned element of the set that contains `e` (and so stands for it in the kernel). */
  private coveredBy(s: SetState, e: Elem): Elem | undefined {
    if (s.prefixes.size < 2) return undefined;
    for (const p of s.prefixes.keys()) {
      if (p >= e.prefix) continue;
      const f = s.elems.get(widenText(e, p));
      if (f !== undefined && f.id !== null && !f.poisoned) return f;
    }
    return undefined;
  }

  private overlapsKnown(s: SetState, net: Net): boolean {
    for (const p of s.prefixes.keys()) {
      if (p <= net.prefix) {
        if (s.elems.has(widenText(net, p))) return true;
      } else {
        for (const g of s.elems.values()) if (g.prefix === p && widenText(g, net.prefix) === net.text) return true;
      }
    }
    return false;
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

  /**
   * Dirty elements → one transaction (two when elements of different sizes replace each other).
   * Removals and refreshes are guarded deletes (see script.ts); many removals from a large set
   * rebuild it instead (flush + re-add in the same transaction): nft 1.0.x takes time proportional
   * to the set's size for each element deleted from an interval set.
   */
  private plan(now: number): Phase[] {
    const changes: SetChange[] = [];
    const groups: Phase['groups'] = [];
    let split = false;
    for (const s of this.sets.values()) {
      if (s.dirty.length === 0) continue;
      const dirty = s.dirty;
      s.dirty = [];
      const remove: string[] = [], add: string[] = [];
      let elems: Elem[] = [];
      for (let i = 0; i < dirty.length; i++) {
        const e = dirty[i]!;
        e.dirty = false; // (a dirty element is never dropped from the map: see dropElem)
        if (e.poisoned) {
          if (e.id === null) this.dropElem(s, e);
          continue;
        }
        const target = e.id !== null && this.coveredBy(s, e) === undefined;
        const end = target ? endOf(e) : null;
        let r = false, a = false;
        if (target) {
          if (e.kernel === NO) a = true;
          else if (e.kernel === UNKNOWN || e.kernelEnd !== end) r = a = true;
        } else if (e.kernel !== NO) {
          r = true;
        }
        if (!r && !a) {
          if (e.id === null) this.dropElem(s, e);
          continue;
        }
        e.pRemove = r;
        e.pAdd = a;
        e.pEnd = end;
        elems.push(e);
      }
      // nft sorts interval set elements; given in address order it does so much faster (large batches).
      if (this.config.interval && elems.length >= SORT_MIN) elems.sort(byAddress);
      for (let i = 0; i < elems.length; i++) {
        const e = elems[i]!;
        if (e.pRemove) remove.push(e.text);
        if (e.pAdd) add.push(addText(e.text, timeoutSeconds(e.pEnd, now)));
      }
      if (this.config.interval && remove.length >= REBUILD_MIN_REMOVALS && s.elems.size >= REBUILD_MIN_SIZE && !s.adopted && s.prefixes.size === 1) {
        // Flush and re-add what stays banned (with its remaining time) in one transaction.
        const all: string[] = [];
        elems = [];
        for (const e of s.elems.values()) {
          if (e.poisoned) continue;
          const keep = e.id !== null;
          e.pRemove = !keep;
          e.pAdd = keep;
          if (keep) e.pEnd = endOf(e);
          elems.push(e);
        }
        if (this.config.interval && elems.length >= SORT_MIN) elems.sort(byAddress);
        for (let i = 0; i < elems.length; i++) if (elems[i]!.pAdd) all.push(addText(elems[i]!.text, timeoutSeconds(elems[i]!.pEnd, now)));
        changes.push({ set: s.name, flush: true, remove: [], add: all });
        groups.push({ s, elems });
        continue;
      }
      if (elems.length === 0) continue;
      // nft checks overlaps against the set as it was before the transaction, ignoring deletes in
      // it: replacing an element by a larger/smaller one takes two transactions.
      if (s.prefixes.size > 1 && remove.length > 0 && add.length > 0) split = true;
      changes.push({ set: s.name, remove, add });
      groups.push({ s, elems });
    }
    if (groups.length === 0) return [];
    if (!split) return [{ changes, groups }];
    return [
      { changes: changes.map((c) => ({ ...c, add: [] })), groups, only: 'remove' },
      { changes: changes.map((c) => ({ ...c, flush: false, remove: [] })), groups, only: 'add' },
    ];
  }

  private async runPhases(phases: Phase[]): Promise<'ok' | 'again' | 'failed'> {
    for (const [index, phase] of phases.entries()) {
      const script = elementScript(this.config, phase.changes);
      if (script.script === '') continue;
      const t0 = performance.now();
      try {
        await this.nft(['-f', '-'], script.script, 'apply bans');
      } catch (err) {
        if (!(err instanceof NftRunError)) throw err;
        for (const g of phase.groups) for (const e of g.elems) this.markOne(g.s, e);
        const located = err.rejected ? locateErrors(err.stderr, script).find((x) => x.element !== undefined) : undefined;
        if (located?.element && /overlap|conflict|exists|does not exist/i.test(located.message)) {
          this.poison(located.element.set, located.element.text, located.message);
          return 'again';
        }
        this.fail(err.error);
        return 'failed';
      }
      this.stats.lastTransactionMs = performance.now() - t0;
      this.stats.transactions++;
      let added = 0, removed = 0;
      for (const g of phase.groups) {
        for (const e of g.elems) {
          const r = e.pRemove && phase.only !== 'add', a = e.pAdd && phase.only !== 'remove';
          if (r) { e.kernel = NO; e.kernelEnd = undefined; if (!a) removed++; }
          if (a) { e.kernel = YES; e.kernelEnd = e.pEnd; added++; }
          if (e.id === null && e.kernel === NO) this.dropElem(g.s, e);
        }
      }
      this.stats.added += added;
      this.stats.removed += removed;
      this.lastFailed = false;
      this.ctx.logger.debug(`nft: ${added} element(s) added or refreshed, ${removed} removed in ${this.stats.lastTransactionMs.toFixed(1)} ms.`);
    }
    return 'ok';
  }

  private poison(setName: string, text: string, message: string): void {
    const s = [...this.sets.values()].find((x) => x.name === setName);
    const e = s?.elems.get(text);
    if (!s || !e) return;
    e.poisoned = true;
    e.kernel = UNKNOWN;
    this.reportKeyOnce(`element ${setName} ${text}`, nftErrors.element(e.text, setName, message));
    this.mark(s, e, true);
    if (e.dirty) {
      e.dirty = false;
      s.dirty.splice(s.dirty.indexOf(e), 1);
    }
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
            e.kernel = NO;
            e.kernelEnd = undefined;
            e.poisoned = false;
            if (e.id !== null) { this.markOne(s, e); readd++; } else this.dropElem(s, e);
          }
        } else if (!this.checked) {
          // Adopted from an earlier run (or another f2b): what it holds is unknown, so our first
          // writes are guarded.
          s.adopted = true;
          for (const e of s.elems.values()) if (e.kernel === NO) { e.kernel = UNKNOWN; this.markOne(s, e); }
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
