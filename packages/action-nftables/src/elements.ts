/**
 * What f2b wants in one nft set, and what it believes the kernel holds: one `ElementSet` per nft set
 * (per address family, one of single addresses and one of networks). An element is a ban's network
 * (the address, or its /64 with `ipv6Prefix: 64`), with the bans it stands for. `ban`/`unban` only change this model and mark elements dirty; the planner turns
 * dirty elements into nft statements.
 */
import { widenText, type Net } from './script.js';

export type V = 4 | 6;

export const NO = 0,
  YES = 1,
  UNKNOWN = 2;
export type KernelState = typeof NO | typeof YES | typeof UNKNOWN;

/** One element of a set: a Net (what widen reads) plus the bans it stands for and the kernel's state. */
export interface Elem extends Net {
  /** First ban id on this element and its end (epoch ms, null = permanent); further ones in `more`. */
  id: string | null;
  end: number | null;
  more: Map<string, number | null> | null;
  /** What the kernel holds, as far as f2b knows (UNKNOWN: a set adopted from an earlier run). */
  kernel: KernelState;
  /** End the kernel element was written for, when kernel is YES (its timeout, unless too long for one). */
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

/** Elements per prefix length, without a Map operation per element on the hot path. */
export class PrefixCounts {
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

export class ElementSet {
  /** Element text → element. */
  readonly elems = new Map<string, Elem>();
  /** How many elements have each prefix length (overlaps are only possible with more than one length). */
  readonly prefixes = new PrefixCounts();
  dirty: Elem[] = [];
  /** The set existed before this instance started: its elements are unknown to us. */
  adopted = false;

  constructor(
    readonly v: V,
    readonly name: string,
    /** An interval set (networks); false for the plain set of single addresses. */
    readonly interval = false,
  ) {}

  add(net: Net): Elem {
    const e: Elem = {
      version: net.version,
      bytes: net.bytes,
      prefix: net.prefix,
      text: net.text,
      id: null,
      end: null,
      more: null,
      kernel: this.adopted ? UNKNOWN : NO,
      kernelEnd: undefined,
      poisoned: false,
      dirty: false,
      pRemove: false,
      pAdd: false,
      pEnd: null,
    };
    this.elems.set(e.text, e);
    this.prefixes.add(e.prefix);
    return e;
  }

  /** Forgets an element that stands for no ban and is not in the kernel (a dirty one stays until planned). */
  drop(e: Elem): void {
    if (this.elems.get(e.text) !== e || e.dirty) return;
    this.elems.delete(e.text);
    this.prefixes.remove(e.prefix);
  }

  clear(): void {
    this.elems.clear();
    this.prefixes.clear();
    this.dirty = [];
  }

  markOne(e: Elem): void {
    if (e.dirty) return;
    e.dirty = true;
    this.dirty.push(e);
  }

  unmark(e: Elem): void {
    if (!e.dirty) return;
    e.dirty = false;
    this.dirty.splice(this.dirty.indexOf(e), 1);
  }

  /**
   * Marks an element for the next transaction. When it starts or stops being banned and the set
   * holds networks of several sizes, the elements inside it change too (they are left out of the
   * kernel while a larger element covers them: interval sets refuse overlapping elements).
   */
  mark(e: Elem, toggled: boolean): void {
    this.markOne(e);
    if (!toggled || this.prefixes.size < 2) return;
    for (const g of this.elems.values()) {
      if (g.prefix > e.prefix && widenText(g, e.prefix) === e.text) this.markOne(g);
    }
  }

  /** A banned element of the set that contains `e` (and so stands for it in the kernel). */
  coveredBy(e: Elem): Elem | undefined {
    if (this.prefixes.size < 2) return undefined;
    for (const p of this.prefixes.keys()) {
      if (p >= e.prefix) continue;
      const f = this.elems.get(widenText(e, p));
      if (f !== undefined && f.id !== null && !f.poisoned) return f;
    }
    return undefined;
  }

  /** True when `net` overlaps an element f2b knows of. */
  overlapsKnown(net: Net): boolean {
    for (const p of this.prefixes.keys()) {
      if (p <= net.prefix) {
        if (this.elems.has(widenText(net, p))) return true;
      } else {
        for (const g of this.elems.values()) if (g.prefix === p && widenText(g, net.prefix) === net.text) return true;
      }
    }
    return false;
  }

  /** True when `e` should be in the kernel now: banned, not refused, not covered by a larger element. */
  wanted(e: Elem): boolean {
    return e.id !== null && !e.poisoned && this.coveredBy(e) === undefined;
  }
}

/** Address order (then shorter prefix first), as nft keeps interval sets. */
export function byAddress(a: Elem, b: Elem): number {
  const x = a.bytes,
    y = b.bytes;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return a.prefix - b.prefix;
}

/** The latest end of the bans an element stands for (null = permanent). */
export function endOf(e: Elem): number | null {
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

export function setBan(e: Elem, id: string, end: number | null): void {
  if (e.id === null || e.id === id) {
    if (e.id === null && e.more !== null && e.more.has(id)) e.more.set(id, end);
    else {
      e.id = id;
      e.end = end;
    }
    return;
  }
  (e.more ??= new Map()).set(id, end);
}

export function deleteBan(e: Elem, id: string): void {
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
