/**
 * The failing sources of one tracker: per address, the failures inside findtime (when, how many
 * attempts, and — when the tracker keeps them — their log lines for the ban record), in the order of
 * their last failure.
 *
 * Under a flood there are a million of them, most with one failure never followed by another, so
 * nothing here is an object per source: the state lives in typed arrays indexed by a slot number
 * (a struct of arrays), found through an open-addressing hash index keyed by the address's 16
 * bytes (IPv4 as its IPv4-mapped form). A source costs about 62 bytes (slot, index, order), instead
 * of a Map entry, a key string and a window object (about 160). Sources with a second failure in the
 * window keep the later ones in a small side record (`extra`); one-line failures keep their line as
 * UTF-8 off the heap (LineArena); the text of an address is only made when someone asks for it
 * (status, listing, eviction).
 *
 * Order: a doubly linked list through `prev`/`next`, oldest (least recently failing) first, so
 * eviction and the "most recent failure moves to the end" rule cost O(1).
 */
import { addressHash, addressWord, indexInsert, indexRemove } from '@f2b/kit';
import { formatIp, type IpAddress } from './ip.js';
import { LineArena } from './line-arena.js';

/** The failures after the oldest one of a window, oldest first. */
interface Extra {
  times: number[];
  attempts: number[];
  lines: (string | readonly string[])[];
}

/** One failure inside a window, as `f2b explain` shows it. */
export interface WindowFailure {
  time: number;
  attempts: number;
  /** Empty when the tracker does not keep lines (the store has them). */
  lines: readonly string[];
}

/** One failing source as listed. */
export interface FailingSource {
  id: string;
  attempts: number;
}

const NONE = -1;
const NO_LINES: readonly string[] = Object.freeze([]);
const INITIAL_SLOTS = 256;

export class FailingSources {
  private cap = 0;
  /** 4 words per slot: the address (network order, IPv4 mapped into IPv6). */
  private keys = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Bumped when a slot is freed, so a live listing can tell that the slot it stood on was reused. */
  private gen = new Uint32Array(0);
  /** Attempts of the failures in the window (0 = slot free). */
  private total = new Int32Array(0);
  /** The oldest failure of the window: when, and its attempts. */
  private time = new Float64Array(0);
  private attempts = new Int32Array(0);
  /** Its line, as UTF-8 bytes off the heap (a failure of one line: nearly all of them)… */
  private readonly line = new LineArena();
  /** …or its lines, when it has several. */
  private readonly firstLines = new Map<number, readonly string[]>();
  /** The rest of the window, for the few sources with more than one failure in it. */
  private readonly extra = new Map<number, Extra>();
  /** Hash index: slot + 1 at the address's position (linear probing), 0 = empty. */
  private index = new Int32Array(0);
  private mask = 0;
  private head = NONE;
  private tail = NONE;
  /** Freed slots, chained through `next`. */
  private free = NONE;
  /** Slots ever used (the rest of the arrays is untouched). */
  private used = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Count a failure of `ip` at `time` (forgetting what is older than `horizon`); the source becomes
   * the most recently failing. Returns the attempts now in its window and whether it is new.
   */
  record(ip: IpAddress, time: number, attempts: number, lines: readonly string[], horizon: number): { total: number; added: boolean } {
    let slot = this.find(ip);
    if (slot !== NONE) {
      this.expireSlot(slot, horizon);
      if (this.total[slot] === 0) this.startWindow(slot, time, attempts, lines);
      else this.append(slot, time, attempts, lines);
      this.moveToEnd(slot);
      return { total: this.total[slot]!, added: false };
    }
    slot = this.allocate(ip);
    this.startWindow(slot, time, attempts, lines);
    return { total: attempts, added: true };
  }

  /** Attempts in the window of `ip` (0 when not failing; expired failures are not looked at). */
  attemptsOf(ip: IpAddress): number {
    const slot = this.find(ip);
    return slot === NONE ? 0 : this.total[slot]!;
  }

  /** The most recent `max` lines of the window of `ip`, oldest first. */
  recentLines(ip: IpAddress, max: number): string[] {
    const slot = this.find(ip);
    if (slot === NONE) return [];
    const all = [...this.linesOf(slot), ...(this.extra.get(slot)?.lines ?? [])].flat();
    return all.slice(-max);
  }

  /** The failures of the window of `ip` at `horizon`, oldest first (read-only: nothing expires). */
  window(ip: IpAddress, horizon: number): WindowFailure[] {
    const slot = this.find(ip);
    if (slot === NONE || this.total[slot] === 0) return [];
    const out: WindowFailure[] = [{ time: this.time[slot]!, attempts: this.attempts[slot]!, lines: this.linesOf(slot) }];
    const x = this.extra.get(slot);
    if (x) x.times.forEach((time, i) => out.push({ time, attempts: x.attempts[i]!, lines: asLines(x.lines[i]!) }));
    return out.filter((f) => f.time >= horizon);
  }

  /** Forget the window of `ip` (banned); false if it had none. */
  delete(ip: IpAddress): boolean {
    const slot = this.find(ip);
    if (slot === NONE) return false;
    this.release(slot);
    return true;
  }

  /** Forget the least recently failing source; its address text, or null when there is none. */
  evictOldest(): string | null {
    const slot = this.head;
    if (slot === NONE) return null;
    const id = this.text(slot);
    this.release(slot);
    return id;
  }

  /** Forget failures older than `horizon` everywhere (a minute's housekeeping; allocates nothing). */
  sweep(horizon: number): void {
    for (let slot = this.head; slot !== NONE;) {
      const after = this.next[slot]!;
      this.expireSlot(slot, horizon);
      if (this.total[slot] === 0) this.release(slot);
      slot = after;
    }
  }

  /**
   * The sources still failing at `horizon`, least recently failing first, live: a listing paged
   * over minutes sees what changed meanwhile, and ends early if the source it stood on was forgotten.
   */
  *entries(horizon: number): Generator<FailingSource> {
    let slot = this.head;
    while (slot !== NONE) {
      const g = this.gen[slot]!;
      const t = this.expiredTotal(slot, horizon);
      if (t > 0) yield { id: this.text(slot), attempts: t };
      if (this.gen[slot] !== g) return; // freed while we were away: its `next` means nothing now
      slot = this.next[slot]!;
    }
  }

  /** The `limit` sources with the most attempts, most first (ties: the lower address first). */
  top(limit: number): FailingSource[] {
    const top: number[] = [];
    for (let slot = this.head; slot !== NONE; slot = this.next[slot]!) {
      if (top.length === limit && this.before(top[top.length - 1]!, slot)) continue;
      let i = top.length;
      while (i > 0 && this.before(slot, top[i - 1]!)) i--;
      top.splice(i, 0, slot);
      if (top.length > limit) top.pop();
    }
    return top.map((slot) => ({ id: this.text(slot), attempts: this.total[slot]! }));
  }

  /** Whether slot `a` lists before slot `b`: more attempts, or as many and a lower address. */
  private before(a: number, b: number): boolean {
    const ta = this.total[a]!,
      tb = this.total[b]!;
    if (ta !== tb) return ta > tb;
    for (let k = 0; k < 4; k++) {
      const x = this.keys[a * 4 + k]! >>> 0,
        y = this.keys[b * 4 + k]! >>> 0;
      if (x !== y) return x < y;
    }
    return false;
  }

  // --- one window -------------------------------------------------------------------------------

  private startWindow(slot: number, time: number, attempts: number, lines: readonly string[]): void {
    this.time[slot] = time;
    this.attempts[slot] = attempts;
    this.total[slot] = attempts;
    this.setLines(slot, lines);
    this.extra.delete(slot);
  }

  private append(slot: number, time: number, attempts: number, lines: readonly string[]): void {
    let x = this.extra.get(slot);
    if (!x) this.extra.set(slot, (x = { times: [], attempts: [], lines: [] }));
    x.times.push(time);
    x.attempts.push(attempts);
    x.lines.push(compact(lines));
    this.total[slot]! += attempts;
  }

  /** Drop the failures of a window older than `horizon` (the total becomes 0 when none is left). */
  private expireSlot(slot: number, horizon: number): void {
    while (this.total[slot]! > 0 && this.time[slot]! < horizon) {
      this.total[slot]! -= this.attempts[slot]!;
      const x = this.extra.get(slot);
      if (!x || x.times.length === 0) {
        this.total[slot] = 0;
        this.extra.delete(slot);
        this.setLines(slot, NO_LINES);
        return;
      }
      this.time[slot] = x.times.shift()!;
      this.attempts[slot] = x.attempts.shift()!;
      const next = x.lines.shift()!;
      this.setLines(slot, typeof next === 'string' ? [next] : next);
      if (x.times.length === 0) this.extra.delete(slot);
    }
  }

  /** The window's attempts at `horizon`, without changing it (listing is read-only). */
  private expiredTotal(slot: number, horizon: number): number {
    if (this.time[slot]! >= horizon) return this.total[slot]!;
    const x = this.extra.get(slot);
    if (!x) return 0;
    let t = this.total[slot]! - this.attempts[slot]!;
    for (let i = 0; i < x.times.length && x.times[i]! < horizon; i++) t -= x.attempts[i]!;
    return t;
  }

  /** The lines of a window's oldest failure. */
  private setLines(slot: number, lines: readonly string[]): void {
    if (lines.length === 1) {
      this.line.set(slot, lines[0]!);
      this.firstLines.delete(slot);
    } else {
      this.line.clear(slot);
      if (lines.length === 0) this.firstLines.delete(slot);
      else this.firstLines.set(slot, lines);
    }
  }

  private linesOf(slot: number): readonly string[] {
    const one = this.line.get(slot);
    return one !== undefined ? [one] : (this.firstLines.get(slot) ?? NO_LINES);
  }

  // --- slots, order and the hash index ---------------------------------------------------------

  private text(slot: number): string {
    const k = slot * 4;
    const k0 = this.keys[k]!,
      k1 = this.keys[k + 1]!,
      k2 = this.keys[k + 2]!,
      k3 = this.keys[k + 3]!;
    if (k0 === 0 && k1 === 0 && k2 === 0xffff) return `${k3 >>> 24}.${(k3 >>> 16) & 255}.${(k3 >>> 8) & 255}.${k3 & 255}`;
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, k0);
    view.setInt32(4, k1);
    view.setInt32(8, k2);
    view.setInt32(12, k3);
    return formatIp({ version: 6, bytes, text: '' });
  }

  private find(ip: IpAddress): number {
    if (this.count === 0) return NONE;
    const b = ip.bytes;
    let k0 = 0,
      k1 = 0,
      k2 = 0xffff,
      k3: number;
    if (b.length === 4) k3 = addressWord(b, 0);
    else {
      k0 = addressWord(b, 0);
      k1 = addressWord(b, 4);
      k2 = addressWord(b, 8);
      k3 = addressWord(b, 12);
    }
    for (let i = addressHash(k0, k1, k2, k3) & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.index[i]! - 1;
      if (s < 0) return NONE;
      const k = s * 4;
      if (this.keys[k] === k0 && this.keys[k + 1] === k1 && this.keys[k + 2] === k2 && this.keys[k + 3] === k3) return s;
    }
  }

  /** A slot for a new source (not present), at the end of the order. */
  private allocate(ip: IpAddress): number {
    let slot: number;
    if (this.free !== NONE) {
      slot = this.free;
      this.free = this.next[slot]!;
    } else {
      if (this.used === this.cap) this.grow();
      slot = this.used++;
    }
    const b = ip.bytes,
      k = slot * 4;
    if (b.length === 4) {
      this.keys[k] = 0;
      this.keys[k + 1] = 0;
      this.keys[k + 2] = 0xffff;
      this.keys[k + 3] = addressWord(b, 0);
    } else {
      this.keys[k] = addressWord(b, 0);
      this.keys[k + 1] = addressWord(b, 4);
      this.keys[k + 2] = addressWord(b, 8);
      this.keys[k + 3] = addressWord(b, 12);
    }
    this.count++;
    // The index stays at most half full; rehashing walks the order, which `slot` is not in yet.
    if (this.count * 2 > this.index.length) this.rehash(Math.max(INITIAL_SLOTS * 2, this.index.length * 2));
    this.indexInsert(slot);
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
    return slot;
  }

  private release(slot: number): void {
    this.indexRemove(slot);
    this.unlink(slot);
    this.total[slot] = 0;
    this.setLines(slot, NO_LINES);
    this.extra.delete(slot);
    this.gen[slot]!++;
    this.next[slot] = this.free;
    this.free = slot;
    this.count--;
  }

  private moveToEnd(slot: number): void {
    if (slot === this.tail) return;
    this.unlink(slot);
    this.prev[slot] = this.tail;
    this.next[slot] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = slot;
    else this.head = slot;
    this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!,
      n = this.next[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }

  /** slotHash for indexRemove, made once. */
  private readonly hashOfSlot = (slot: number): number => this.slotHash(slot);

  private slotHash(slot: number): number {
    const k = slot * 4;
    return addressHash(this.keys[k]!, this.keys[k + 1]!, this.keys[k + 2]!, this.keys[k + 3]!);
  }

  private indexInsert(slot: number): void {
    indexInsert(this.index, this.mask, slot, this.slotHash(slot));
  }

  private indexRemove(slot: number): void {
    indexRemove(this.index, this.mask, slot, this.hashOfSlot);
  }

  private rehash(size: number): void {
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let s = this.head; s !== NONE; s = this.next[s]!) this.indexInsert(s);
  }

  private grow(): void {
    const cap = Math.max(INITIAL_SLOTS, this.cap * 2);
    this.keys = extend(this.keys, cap * 4);
    this.prev = extend(this.prev, cap);
    this.next = extend(this.next, cap);
    this.gen = extend(this.gen, cap);
    this.total = extend(this.total, cap);
    this.time = extend(this.time, cap);
    this.attempts = extend(this.attempts, cap);
    this.line.ensureSlots(cap);
    this.cap = cap;
  }
}

function extend<T extends Int32Array | Uint32Array | Float64Array>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}

function compact(lines: readonly string[]): string | readonly string[] {
  return lines.length === 1 ? lines[0]! : lines;
}

function asLines(stored: string | readonly string[]): readonly string[] {
  return typeof stored === 'string' ? [stored] : stored;
}
