/**
 * The last failures a jail did not count, and why: an ignore rule (ignoreip, ignoreself, loopback, a
 * plugin's `ignore` tap), a line older than findtime (a replayed log), or an address banned already.
 * Nothing else remembers them — the tracker and the store keep counted failures only — yet they are
 * what `f2b explain` needs to say why an address that did fail was not banned. A ring of a fixed size
 * per jail: a flood of ignored lines costs no memory, it only pushes older ones out.
 */
import type { Failure } from './types.js';

/** Why a failure was not counted (`mode`: only a rule of another filter mode matched the line). */
export type DropReason = 'ignoreip' | 'ignoreself' | 'loopback' | 'stale' | 'banned' | 'mode' | (string & {});

export interface DroppedFailure {
  readonly failure: Failure;
  readonly reason: DropReason;
  /** When it was dropped (the failure's own time may be much older: a replayed log). */
  readonly seen: number;
  /** For a line no rule of the jail's mode counted: the modes in which its rule counts it. */
  readonly modes?: readonly string[];
}

/** Failures kept per jail. */
export const DROPPED_KEPT = 256;
/** Lines kept per jail that only a rule of another filter mode matched. */
export const OTHER_MODE_KEPT = 128;
/**
 * Characters kept of each of their lines: lines may be up to a source's maxLineLength (64 KiB), and
 * 256 of those per jail would be 16 MiB that an attacker chooses to fill.
 */
export const DROPPED_LINE_CHARS = 2048;

export class DroppedFailures {
  private readonly ring: (DroppedFailure | undefined)[];
  private next = 0;

  constructor(size = DROPPED_KEPT) {
    this.ring = new Array<DroppedFailure | undefined>(size);
  }

  record(failure: Failure, reason: DropReason, seen: number, modes?: readonly string[]): void {
    const long = failure.lines.some((l) => l.length > DROPPED_LINE_CHARS);
    const kept = long ? { ...failure, lines: failure.lines.map((l) => (l.length > DROPPED_LINE_CHARS ? `${l.slice(0, DROPPED_LINE_CHARS)}…` : l)) } : failure;
    this.ring[this.next] = modes ? { failure: kept, reason, seen, modes } : { failure: kept, reason, seen };
    this.next = (this.next + 1) % this.ring.length;
  }

  /** The dropped failures of one id still in the ring, oldest first. */
  of(id: string): DroppedFailure[] {
    const out: DroppedFailure[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const d = this.ring[(this.next + i) % this.ring.length];
      if (d && d.failure.id === id) out.push(d);
    }
    return out;
  }
}
