/**
 * How often each id was banned (within purgeAge), per jail, for escalating bantime: read from the
 * store at start, counted up by every ban since. A daemon with 100,000 bans in its history held them
 * as two Map entries per ban keyed by `jail\0id` and `*\0id` strings (about 250 bytes a ban); here an
 * address is a slot of a typed-array table (kit's AddressSlots) with its count beside it (about 40
 * bytes), and the count over all jails (`overalljails`) is the sum of the jails' counts. Ids that are
 * not an address's canonical text (a network ban's CIDR) are counted in a Map.
 */
import { AddressSlots, Column } from '@f2b/kit';
import { parseIp } from './ip.js';

class JailCounts {
  readonly slots = new AddressSlots();
  readonly counts = new Column((n) => new Int32Array(n));
  readonly others = new Map<string, number>();
}

export class BanCounts {
  private readonly jails = new Map<string, JailCounts>();

  /** Count `n` more bans of `id` in `jail`. */
  add(jail: string, id: string, n: number): void {
    let c = this.jails.get(jail);
    if (c === undefined) this.jails.set(jail, (c = new JailCounts()));
    const ip = parseIp(id);
    if (ip === null || ip.text !== id) {
      c.others.set(id, (c.others.get(id) ?? 0) + n);
      return;
    }
    let slot = c.slots.find(ip);
    if (slot < 0) {
      slot = c.slots.insert(ip);
      c.counts.cover(c.slots.capacity);
      c.counts.set(slot, 0);
    }
    c.counts.set(slot, c.counts.get(slot) + n);
  }

  /** The bans of `id` counted in `jail`. */
  of(jail: string, id: string): number {
    const c = this.jails.get(jail);
    if (c === undefined) return 0;
    const ip = parseIp(id);
    if (ip === null || ip.text !== id) return c.others.get(id) ?? 0;
    const slot = c.slots.find(ip);
    return slot < 0 ? 0 : c.counts.get(slot);
  }

  /** The bans of `id` counted in every jail. */
  ofAll(id: string): number {
    let n = 0;
    for (const jail of this.jails.keys()) n += this.of(jail, id);
    return n;
  }
}
