/**
 * The element half of a check: compares what f2b believes the kernel holds with what a full listing
 * shows, so that an emptied set (`nft flush set …`) or an element deleted by hand is noticed — the
 * table and the set still being there says nothing about the bans in it.
 */
import { endOf, NO, YES, type ElementSet } from './elements.js';
import type { Listing } from './script.js';

/** An element whose ban ends this soon may have just been expired by the kernel's own timeout. */
const EXPIRY_SLACK_MS = 2000;

/**
 * Marks for re-adding every element f2b wants in the kernel but the listing lacks (sets in `fresh`
 * were just recreated and are re-filled anyway). Returns, per set, how many were missing.
 */
export function missingElements(sets: Iterable<ElementSet>, listing: Listing, fresh: readonly string[], now: number): { set: string; count: number }[] {
  const out: { set: string; count: number }[] = [];
  if (listing.elements === undefined) return out;
  for (const s of sets) {
    if (fresh.includes(s.name)) continue;
    const have = listing.elements.get(s.name);
    if (have === undefined) continue;
    let count = 0;
    for (const e of s.elems.values()) {
      if (e.kernel === NO || !s.wanted(e) || have.has(e.text)) continue;
      const end = endOf(e);
      if (end !== null && end <= now + EXPIRY_SLACK_MS) continue; // the kernel's timeout; the daemon unbans it
      if (e.kernel === YES) count++;
      e.kernel = NO;
      e.kernelEnd = undefined;
      s.markOne(e);
    }
    if (count > 0) out.push({ set: s.name, count });
  }
  return out;
}
