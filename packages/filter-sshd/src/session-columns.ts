/**
 * The fields of every open connection, in columns (typed arrays by slot) instead of one object each.
 * In a flood every line opens a connection that stays until its ttl or the cap: as objects, each
 * survived the young generation and was copied into the old one, and the collector's work was a
 * quarter of the filter's time on such lines. A slot is reused once its connection is forgotten.
 *
 * `SessionView` reads and writes one slot through the `Session` fields, so the reducer's logic reads
 * as it did on objects.
 */
import type { Session } from './sessions.js';

const ATTEMPTED = 1,
  CREDIT = 2,
  KEYS_COUNTED = 4,
  PAM_PENDING = 8,
  MAXED = 16,
  PROBED = 32,
  SUCCESS = 64,
  ENDED = 128;

export class SessionColumns {
  seen = new Float64Array(0);
  counted = new Float64Array(0);
  softKeys = new Float64Array(0);
  unattributed = new Float64Array(0);
  flags = new Uint8Array(0);
  readonly addr: (string | undefined)[] = [];
  readonly pamUser: (string | undefined)[] = [];
  private free: number[] = [];
  private used = 0;

  /** A slot for a new connection, its fields as `newSession(time)` has them. */
  allocate(time: number): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.used++;
    if (slot >= this.seen.length) this.grow();
    this.reset(slot, time);
    return slot;
  }

  /**
   * The slot may be handed out again. Its fields stay as they are until then: the reducer reads
   * a connection's address after the line that ends it has taken it out of the table.
   */
  release(slot: number): void {
    this.free.push(slot);
  }

  /** Forget every slot (the table was emptied). */
  clear(): void {
    this.free = [];
    this.used = 0;
    this.addr.length = 0;
    this.pamUser.length = 0;
  }

  reset(slot: number, time: number): void {
    this.seen[slot] = time;
    this.counted[slot] = 0;
    this.softKeys[slot] = 0;
    this.unattributed[slot] = 0;
    this.flags[slot] = 0;
    this.addr[slot] = undefined;
    this.pamUser[slot] = undefined;
  }

  /** Copy a session's fields into a slot. */
  write(slot: number, s: Session): void {
    this.seen[slot] = s.seen;
    this.counted[slot] = s.counted;
    this.softKeys[slot] = s.softKeys;
    this.unattributed[slot] = s.unattributed;
    this.flags[slot] =
      (s.attempted ? ATTEMPTED : 0) |
      (s.credit ? CREDIT : 0) |
      (s.keysCounted ? KEYS_COUNTED : 0) |
      (s.pamPending ? PAM_PENDING : 0) |
      (s.maxed ? MAXED : 0) |
      (s.probed ? PROBED : 0) |
      (s.success ? SUCCESS : 0) |
      (s.ended ? ENDED : 0);
    this.addr[slot] = s.addr;
    this.pamUser[slot] = s.pamUser;
  }

  /** A slot as a plain session object (for a checkpoint). */
  read(slot: number): Session {
    const v = new SessionView(this);
    v.slot = slot;
    const s: Session = {
      seen: v.seen,
      counted: v.counted,
      attempted: v.attempted,
      credit: v.credit,
      softKeys: v.softKeys,
      keysCounted: v.keysCounted,
      pamPending: v.pamPending,
      unattributed: v.unattributed,
      maxed: v.maxed,
      probed: v.probed,
      success: v.success,
      ended: v.ended,
    };
    if (v.addr !== undefined) s.addr = v.addr;
    if (v.pamUser !== undefined) s.pamUser = v.pamUser;
    return s;
  }

  private grow(): void {
    const size = Math.max(64, this.seen.length * 2);
    const f64 = (old: Float64Array) => {
      const next = new Float64Array(size);
      next.set(old);
      return next;
    };
    this.seen = f64(this.seen);
    this.counted = f64(this.counted);
    this.softKeys = f64(this.softKeys);
    this.unattributed = f64(this.unattributed);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** One slot of the columns, read and written as a `Session`. */
export class SessionView implements Session {
  slot = 0;
  constructor(private readonly c: SessionColumns) {}

  get seen(): number {
    return this.c.seen[this.slot]!;
  }
  set seen(v: number) {
    this.c.seen[this.slot] = v;
  }
  get counted(): number {
    return this.c.counted[this.slot]!;
  }
  set counted(v: number) {
    this.c.counted[this.slot] = v;
  }
  get softKeys(): number {
    return this.c.softKeys[this.slot]!;
  }
  set softKeys(v: number) {
    this.c.softKeys[this.slot] = v;
  }
  get unattributed(): number {
    return this.c.unattributed[this.slot]!;
  }
  set unattributed(v: number) {
    this.c.unattributed[this.slot] = v;
  }
  get addr(): string | undefined {
    return this.c.addr[this.slot];
  }
  set addr(v: string | undefined) {
    this.c.addr[this.slot] = v;
  }
  get pamUser(): string | undefined {
    return this.c.pamUser[this.slot];
  }
  set pamUser(v: string | undefined) {
    this.c.pamUser[this.slot] = v;
  }
  get attempted(): boolean {
    return this.flag(ATTEMPTED);
  }
  set attempted(v: boolean) {
    this.setFlag(ATTEMPTED, v);
  }
  get credit(): boolean {
    return this.flag(CREDIT);
  }
  set credit(v: boolean) {
    this.setFlag(CREDIT, v);
  }
  get keysCounted(): boolean {
    return this.flag(KEYS_COUNTED);
  }
  set keysCounted(v: boolean) {
    this.setFlag(KEYS_COUNTED, v);
  }
  get pamPending(): boolean {
    return this.flag(PAM_PENDING);
  }
  set pamPending(v: boolean) {
    this.setFlag(PAM_PENDING, v);
  }
  get maxed(): boolean {
    return this.flag(MAXED);
  }
  set maxed(v: boolean) {
    this.setFlag(MAXED, v);
  }
  get probed(): boolean {
    return this.flag(PROBED);
  }
  set probed(v: boolean) {
    this.setFlag(PROBED, v);
  }
  get success(): boolean {
    return this.flag(SUCCESS);
  }
  set success(v: boolean) {
    this.setFlag(SUCCESS, v);
  }
  get ended(): boolean {
    return this.flag(ENDED);
  }
  set ended(v: boolean) {
    this.setFlag(ENDED, v);
  }

  private flag(bit: number): boolean {
    return (this.c.flags[this.slot]! & bit) !== 0;
  }
  private setFlag(bit: number, on: boolean): void {
    const f = this.c.flags[this.slot]!;
    this.c.flags[this.slot] = on ? f | bit : f & ~bit;
  }
}
