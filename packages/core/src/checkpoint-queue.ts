/**
 * Checkpoints a jail could not write yet (disk full, read-only file system, database locked or
 * unwritable). The bans in them already went to the actions — a store fault must never stop bans —
 * so they are kept, in order, and retried until the store takes them: nothing decided while the
 * store was down is lost at the next restart.
 *
 * Consecutive checkpoints are merged into one, except where merging would reorder what they do to
 * one address: the store applies a checkpoint's failures before its cleared windows and its bans
 * before its unbans, so "unban X, then ban X again" (or "clear X's window, then count a failure of
 * X") must stay two checkpoints, committed one after the other.
 */
import type { Checkpoint, Store } from './store.js';
import type { Ban, Unban } from './types.js';

/** A ban or unban together with the outbox sequence number the store gave it. */
export interface Committed {
  item: Ban | Unban;
  seq: number;
}

const ARRAY_KEYS = ['failures', 'clearFailures', 'bans', 'unbans'] as const;

export class CheckpointQueue {
  private readonly entries: Checkpoint[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Bans and unbans waiting to be saved (for status). */
  get unsavedDecisions(): number {
    return this.entries.reduce((n, c) => n + (c.bans?.length ?? 0) + (c.unbans?.length ?? 0), 0);
  }

  /** Put `older`'s queued checkpoints before ours (a reloaded jail takes over its predecessor's). */
  takeFrom(older: CheckpointQueue): void {
    this.entries.unshift(...older.entries.splice(0));
  }

  add(c: Checkpoint): void {
    const last = this.entries[this.entries.length - 1];
    if (last && !conflicts(last, c)) merge(last, c);
    else this.entries.push(copy(c));
  }

  /**
   * Write the queued checkpoints in order, each one transaction, stopping at the first that fails
   * (which stays queued with everything after it). Returns what was committed, and the error if one
   * stopped it.
   */
  async commit(store: Store): Promise<{ committed: Committed[]; error?: unknown }> {
    const committed: Committed[] = [];
    while (this.entries.length > 0) {
      const c = this.entries[0]!;
      let seqs: number[];
      try {
        seqs = await store.checkpoint(c);
      } catch (error) {
        return { committed, error };
      }
      this.entries.shift();
      // The store numbers the bans first, then the unbans, in the order given.
      const items: (Ban | Unban)[] = [...(c.bans ?? []), ...(c.unbans ?? [])];
      items.forEach((item, i) => {
        if (seqs[i] !== undefined) committed.push({ item, seq: seqs[i]! });
      });
    }
    return { committed };
  }
}

/** True when `next` touches an address in a way the store would reorder if merged into `prev`. */
function conflicts(prev: Checkpoint, next: Checkpoint): boolean {
  const unbanned = new Set((prev.unbans ?? []).map((u) => `${u.jail}\0${u.id}`));
  if ((next.bans ?? []).some((b) => unbanned.has(`${b.jail}\0${b.id}`))) return true;
  const cleared = new Set((prev.clearFailures ?? []).map((c) => `${c.jail}\0${c.id}`));
  return (next.failures ?? []).some((f) => cleared.has(`${f.jail}\0${f.failure.id}`));
}

function merge(into: Checkpoint, next: Checkpoint): void {
  const target = into as Record<string, unknown>;
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if ((ARRAY_KEYS as readonly string[]).includes(key)) {
      target[key] = [...((target[key] as unknown[] | undefined) ?? []), ...(value as unknown[])];
    } else if (key === 'positions') {
      into.positions = { ...(into.positions ?? {}), ...(value as Record<string, unknown>) };
    } else {
      // Any other part of a checkpoint is a state "as of now": the later one wins.
      target[key] = value;
    }
  }
}

function copy(c: Checkpoint): Checkpoint {
  const out: Record<string, unknown> = { ...c };
  for (const key of ARRAY_KEYS) if (c[key]) out[key] = [...c[key]!];
  if (c.positions) out.positions = { ...c.positions };
  return out as Checkpoint;
}
