/** Helpers shared by the mail filters. */
import type { FailureDraft, Reducer, RuleMatch } from '@f2b/core';

/** One attempt per `failure` match with a host (the engine's default), as a building block. */
export function oneAttempt(m: RuleMatch, attempts = 1): FailureDraft | null {
  if ((m.rule.kind ?? 'failure') !== 'failure' || m.host === undefined) return null;
  return { id: m.host, attempts, rule: m.rule.id, captures: { ...m.captures } };
}

/**
 * A small bounded map with an age limit, for per-session state in reducers (keyed by pid or queue id).
 * Entries older than `maxAge` are dropped by `sweep`, and the oldest when `maxSize` is reached.
 */
export class SessionMap<V> {
  private readonly map = new Map<string, { value: V; time: number }>();
  constructor(private readonly maxAge = 30 * 60_000, private readonly maxSize = 10_000) {}

  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: string, value: V, time: number): void {
    this.map.delete(key);
    if (this.map.size >= this.maxSize) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, { value, time });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  sweep(now: number): void {
    for (const [k, v] of this.map) if (now - v.time > this.maxAge) this.map.delete(k);
  }
}

/** Reducer that passes every failure on with one attempt (the engine's default), with sweep. */
export const simpleReducer = (): Reducer => ({ reduce: (m) => oneAttempt(m) });

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

/**
 * The time of a line that starts with `[dd-Mon-yyyy HH:MM:SS ±hhmm]` (Roundcube, PHP's error_log), or
 * undefined. The offset is explicit, so no zone is needed.
 */
export function bracketedDmyWithOffset(raw: Buffer): number | undefined {
  if (raw[0] !== 0x5b) return undefined;
  const head = raw.toString('latin1', 1, 40);
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)? ([+-])(\d{2}):?(\d{2})\]/.exec(head);
  if (!m) return undefined;
  const mo = MONTHS[m[2]!.toLowerCase()];
  if (!mo) return undefined;
  const utc = Date.UTC(+m[3]!, mo - 1, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  const off = (m[7] === '-' ? -1 : 1) * (+m[8]! * 60 + +m[9]!) * 60_000;
  return utc - off;
}
