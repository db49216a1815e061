/**
 * The transaction planner: dirty elements → nft phases (one transaction each, usually one in all),
 * and the split of a phase nft refused into halves (bisection), so that one element nft refuses can
 * never block the others. Pure apart from the element model it reads and updates (dirty lists and
 * the scratch fields of the elements it plans).
 */
import { byAddress, endOf, NO, UNKNOWN, YES, type Elem, type ElementSet } from './elements.js';
import { addText, timeoutSeconds, type SetChange } from './script.js';

/** Rebuild a set (flush + re-add) rather than delete this many elements one by one from a set this large. */
const REBUILD_MIN_REMOVALS = 8;
const REBUILD_MIN_SIZE = 1000;
/** Sort batches at least this large: nft sorts interval set elements, much faster when given in order. */
const SORT_MIN = 2000;

export interface Phase {
  changes: SetChange[];
  /** The elements each change covers; what to do is in their pRemove/pAdd scratch fields. */
  groups: { s: ElementSet; elems: Elem[] }[];
  /** Both, or only the removals / only the adds (a transaction split in two). */
  only?: 'remove' | 'add';
}

/** The number of elements a phase touches. */
export function phaseSize(phase: Phase): number {
  let n = 0;
  for (const g of phase.groups) n += g.elems.length;
  return n;
}

/**
 * Dirty elements → one transaction (two when elements of different sizes replace each other).
 * Removals and refreshes are guarded deletes (see script.ts); many removals from a large interval
 * set rebuild it instead (flush + re-add in the same transaction): nft 1.0.x takes time
 * proportional to the set's size for each element deleted from an interval set (a plain set's
 * deletes cost the same whatever its size).
 */
export function plan(sets: Iterable<ElementSet>, now: number): Phase[] {
  const changes: SetChange[] = [];
  const groups: Phase['groups'] = [];
  let split = false;
  for (const s of sets) {
    if (s.dirty.length === 0) continue;
    const dirty = s.dirty;
    s.dirty = [];
    let elems: Elem[] = [];
    let removals = 0;
    for (let i = 0; i < dirty.length; i++) {
      const e = dirty[i]!;
      e.dirty = false; // (a dirty element is never dropped from the map: see ElementSet.drop)
      if (e.poisoned) {
        if (e.id === null) s.drop(e);
        continue;
      }
      const target = e.id !== null && s.coveredBy(e) === undefined;
      const end = target ? endOf(e) : null;
      let r = false,
        a = false;
      if (target) {
        if (e.kernel === NO) a = true;
        else if (e.kernel === UNKNOWN || e.kernelEnd !== end) r = a = true;
      } else if (e.kernel !== NO) {
        r = true;
      }
      if (!r && !a) {
        if (e.id === null) s.drop(e);
        continue;
      }
      e.pRemove = r;
      e.pAdd = a;
      e.pEnd = end;
      if (r) removals++;
      elems.push(e);
    }
    if (s.interval && removals >= REBUILD_MIN_REMOVALS && s.elems.size >= REBUILD_MIN_SIZE && !s.adopted && s.prefixes.size === 1) {
      // Flush and re-add what stays banned (with its remaining time) in one transaction.
      elems = [];
      for (const e of s.elems.values()) {
        if (e.poisoned) continue;
        const keep = e.id !== null;
        e.pRemove = !keep;
        e.pAdd = keep;
        if (keep) e.pEnd = endOf(e);
        elems.push(e);
      }
      if (elems.length >= SORT_MIN) elems.sort(byAddress);
      changes.push({ set: s.name, flush: true, remove: [], add: addTexts(elems, now) });
      groups.push({ s, elems });
      continue;
    }
    if (elems.length === 0) continue;
    if (s.interval && elems.length >= SORT_MIN) elems.sort(byAddress);
    const change = changeOf(s, elems, now);
    // nft checks overlaps against the set as it was before the transaction, ignoring deletes in
    // it: replacing an element by a larger/smaller one takes two transactions.
    if (s.prefixes.size > 1 && change.remove.length > 0 && change.add.length > 0) split = true;
    changes.push(change);
    groups.push({ s, elems });
  }
  if (groups.length === 0) return [];
  if (!split) return [{ changes, groups }];
  return [
    { changes: changes.map((c) => ({ ...c, add: [] })), groups, only: 'remove' },
    { changes: changes.map((c) => ({ ...c, flush: false, remove: [] })), groups, only: 'add' },
  ];
}

/**
 * A phase nft refused, as two phases of half its elements each (null for a single element). A set
 * rebuild is split into plain guarded deletes and adds: adding an element the kernel already holds
 * is no error.
 */
export function halves(phase: Phase, now: number): [Phase, Phase] | null {
  const all: { s: ElementSet; e: Elem }[] = [];
  for (const g of phase.groups) for (const e of g.elems) if (does(e, phase.only)) all.push({ s: g.s, e });
  if (all.length < 2) return null;
  const mid = all.length >> 1;
  return [phaseOf(all.slice(0, mid), phase.only, now), phaseOf(all.slice(mid), phase.only, now)];
}

/** The single element a phase touches, when it touches only one. */
export function soleElement(phase: Phase): { s: ElementSet; e: Elem } | null {
  let found: { s: ElementSet; e: Elem } | null = null;
  for (const g of phase.groups) {
    for (const e of g.elems) {
      if (!does(e, phase.only)) continue;
      if (found !== null) return null;
      found = { s: g.s, e };
    }
  }
  return found;
}

/** Records a phase nft applied: the kernel now holds what it added and not what it removed. */
export function commit(phase: Phase): { added: number; removed: number } {
  let added = 0,
    removed = 0;
  for (const g of phase.groups) {
    for (const e of g.elems) {
      const r = e.pRemove && phase.only !== 'add',
        a = e.pAdd && phase.only !== 'remove';
      if (r) {
        e.kernel = NO;
        e.kernelEnd = undefined;
        if (!a) removed++;
      }
      if (a) {
        e.kernel = YES;
        e.kernelEnd = e.pEnd;
        added++;
      }
      if (e.id === null && e.kernel === NO) g.s.drop(e);
    }
  }
  return { added, removed };
}

function does(e: Elem, only: Phase['only']): boolean {
  return only === 'remove' ? e.pRemove : only === 'add' ? e.pAdd : e.pRemove || e.pAdd;
}

function addTexts(elems: readonly Elem[], now: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < elems.length; i++) if (elems[i]!.pAdd) out.push(addText(elems[i]!.text, timeoutSeconds(elems[i]!.pEnd, now)));
  return out;
}

function changeOf(s: ElementSet, elems: readonly Elem[], now: number): SetChange {
  const remove: string[] = [];
  for (let i = 0; i < elems.length; i++) if (elems[i]!.pRemove) remove.push(elems[i]!.text);
  return { set: s.name, remove, add: addTexts(elems, now) };
}

function phaseOf(items: readonly { s: ElementSet; e: Elem }[], only: Phase['only'], now: number): Phase {
  const bySet = new Map<ElementSet, Elem[]>();
  for (const { s, e } of items) {
    let list = bySet.get(s);
    if (list === undefined) bySet.set(s, (list = []));
    list.push(e);
  }
  const changes: SetChange[] = [],
    groups: Phase['groups'] = [];
  for (const [s, elems] of bySet) {
    const c = changeOf(s, elems, now);
    changes.push(only === 'remove' ? { ...c, add: [] } : only === 'add' ? { ...c, remove: [] } : c);
    groups.push({ s, elems });
  }
  return { changes, groups, only };
}
