/**
 * The element sets of one action instance: per address family a plain set of single addresses and
 * (unless `interval: false`) an interval set of networks — what f2b wants in its nft sets and what
 * it believes the kernel holds (elements.ts has one set). A ban goes to the set its element's size
 * says: an address (the usual ban) never touches the interval set, whose every change nft 1.0.x
 * pays for with a read-back of the whole set. An address banned inside a banned network is in both
 * (the network's rule matches it anyway) and stays until its own end when the network's ends.
 * `ban`/`unban` only change this model and mark elements dirty; the planner turns the dirty ones
 * into a transaction. Ids that cannot be elements here are reported once each, not once per ban.
 */
import type { ActionContext, Ban, F2bError, Unban } from '@f2b/core';
import { deleteBan, ElementSet, NO, setBan, UNKNOWN, type V } from './elements.js';
import { nftErrors } from './errors.js';
import { setDefs, type NftConfig } from './options.js';
import { banElement, type Net } from './script.js';

export class ElementSets {
  private readonly config: NftConfig;
  private readonly ctx: ActionContext;
  /** Every set, in creation order. */
  private readonly all: ElementSet[] = [];
  /** Per family: the plain set of single addresses, and the interval set of networks. */
  private readonly hosts = new Map<V, ElementSet>();
  private readonly nets = new Map<V, ElementSet>();
  /** What was reported once (an id that is no address, a refused element, a family not enforced). */
  private readonly reportedKeys = new Set<string>();

  constructor(config: NftConfig, ctx: ActionContext) {
    this.config = config;
    this.ctx = ctx;
    for (const def of setDefs(config)) {
      const s = new ElementSet(def.v, def.name, def.interval);
      this.all.push(s);
      (def.interval ? this.nets : this.hosts).set(def.v, s);
    }
  }

  values(): IterableIterator<ElementSet> {
    return this.all.values();
  }

  /** The set an element belongs in: the plain set for an address, the interval set for a network. */
  private setOf(net: Net): ElementSet {
    return (net.prefix === net.bytes.length * 8 ? this.hosts : this.nets).get(net.version)!;
  }

  /** Want these bans in the kernel (refreshing the timeout of those already there). */
  ban(bans: readonly Ban[]): void {
    for (let i = 0; i < bans.length; i++) {
      const b = bans[i]!;
      const net = this.network(b.id);
      if (net === null) continue;
      const s = this.setOf(net);
      let e = s.elems.get(net.text);
      if (e === undefined) e = s.add(net);
      const had = e.id !== null;
      setBan(e, b.id, b.end);
      if (e.poisoned) {
        e.poisoned = false; // a new ban gives it another chance
        e.kernel = UNKNOWN;
      }
      s.mark(e, !had);
    }
  }

  /** Want these out of the kernel (an element stays while another ban id still holds it). */
  unban(unbans: readonly Unban[]): void {
    for (let i = 0; i < unbans.length; i++) {
      const u = unbans[i]!;
      const net = this.network(u.id, false);
      if (net === null) continue;
      const s = this.setOf(net);
      const e = s.elems.get(net.text);
      if (e === undefined) {
        // Not ours in this run. In a set adopted from an earlier run it may still be there: remove it
        // (guarded), unless that would touch an element f2b holds.
        if (s.adopted && !s.overlapsKnown(net)) s.mark(s.add(net), false);
        continue;
      }
      const had = e.id !== null;
      deleteBan(e, u.id);
      s.mark(e, had && e.id === null);
    }
  }

  /** Active bans as f2b holds them: element text → ban ids. */
  active(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const s of this.all) {
      for (const e of s.elems.values()) {
        if (e.id !== null) out.set(e.text, [e.id, ...(e.more?.keys() ?? [])]);
      }
    }
    return out;
  }

  /** Number of elements still waiting to reach the kernel (or to leave it). */
  pending(): number {
    let n = 0;
    for (const s of this.all) n += s.dirty.length;
    return n;
  }

  /** Forget everything (the action stopped). */
  clear(): void {
    for (const s of this.all) s.clear();
  }

  /**
   * After a check built the structure: sets just (re)created are refilled with the active bans; on
   * the first check, sets adopted from an earlier run hold what is unknown, so the first writes are
   * guarded. Returns how many bans are re-added.
   */
  afterCheck(freshSets: readonly string[], firstCheck: boolean): number {
    let readd = 0;
    for (const s of this.all) {
      if (freshSets.includes(s.name)) {
        s.adopted = false;
        for (const e of [...s.elems.values()]) {
          e.kernel = NO;
          e.kernelEnd = undefined;
          e.poisoned = false;
          if (e.id !== null) {
            s.markOne(e);
            readd++;
          } else s.drop(e);
        }
      } else if (firstCheck) {
        s.adopted = true;
        for (const e of s.elems.values())
          if (e.kernel === NO) {
            e.kernel = UNKNOWN;
            s.markOne(e);
          }
      }
    }
    return readd;
  }

  /** Leaves out an element nft refused (until it is banned anew or its set recreated), reported once. */
  poison(setName: string, text: string, message: string): boolean {
    const s = this.all.find((x) => x.name === setName);
    const e = s?.elems.get(text);
    if (!s || !e) return false;
    e.poisoned = true;
    e.kernel = UNKNOWN;
    this.reportKeyOnce(`element ${setName} ${text}`, nftErrors.F2B_ERR_NFT_ELEMENT(e.text, setName, message));
    s.mark(e, true);
    s.unmark(e);
    return true;
  }

  /** The element of a ban id for this action, or null (reported once when it is not an address). */
  private network(id: string, report = true): Net | null {
    const net = banElement(id, this.config.prefix);
    if (net === null) {
      if (report) this.reportKeyOnce(`id ${id}`, nftErrors.F2B_ERR_NFT_ADDRESS(String(id)));
      return null;
    }
    if (!this.hosts.has(net.version)) {
      if (report)
        this.warnOnce(
          `family ${net.version}`,
          `IPv${net.version} bans are not enforced: the table family is ${this.config.family}. Use family "inet" to ban both.`,
        );
      return null;
    }
    if (!this.config.interval && net.prefix !== net.bytes.length * 8) {
      if (report) this.warnOnce(`cidr ${net.text}`, `The network ${net.text} cannot be banned: "interval: false" sets hold single addresses only.`);
      return null;
    }
    return net;
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
