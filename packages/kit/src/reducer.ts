/**
 * Pieces of filter reducers that every filter package needs the same way: one attempt per failure
 * match, and a bounded, ageing map for per-session state. The types are structural (the kit
 * depends on nothing): a `RuleMatch` of `@f2b/core` is a `MatchLike`, an `AttemptDraft` is a
 * `FailureDraft`.
 */
import { OldestFirst } from './oldest-first.js';

/** What these pieces read of a rule match. */
export interface MatchLike {
  readonly rule: { readonly id: string; readonly kind?: string };
  readonly host?: string;
  readonly captures: Readonly<Record<string, string>>;
}

/** A failure standing for `attempts` attempts (a `FailureDraft`). */
export interface AttemptDraft {
  id: string;
  attempts: number;
  rule: string;
  captures: Record<string, string>;
}

/**
 * One failure of `attempts` attempts for a `failure` match with a host (the engine's default), or
 * null; the captures listed in `drop` (internal ones) are left out.
 */
export function oneAttempt(m: MatchLike, attempts = 1, drop: readonly string[] = []): AttemptDraft | null {
  if ((m.rule.kind ?? 'failure') !== 'failure' || m.host === undefined) return null;
  const captures = { ...m.captures };
  for (const k of drop) delete captures[k];
  return { id: m.host, attempts, rule: m.rule.id, captures };
}

/** A reducer that passes every failure match on with one attempt (the engine's default). */
export const oneAttemptReducer = () => ({ reduce: (m: MatchLike): AttemptDraft | null => oneAttempt(m) });

/**
 * A small bounded map with an age limit, for per-session state in reducers (keyed by pid, queue id,
 * session id). Entries older than `maxAge` are dropped by `sweep`, and the oldest when `maxSize` is
 * reached, so a flood of sessions cannot grow memory without limit.
 */
export class SessionMap<V> {
  private readonly map = new Map<string, { value: V; time: number }>();
  private readonly oldest = new OldestFirst(this.map);
  private readonly maxAge: number;
  private readonly maxSize: number;

  constructor(maxAge = 30 * 60_000, maxSize = 10_000) {
    this.maxAge = maxAge;
    this.maxSize = maxSize;
  }

  get(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  set(key: string, value: V, time: number): void {
    this.map.delete(key);
    if (this.map.size >= this.maxSize) this.oldest.evict();
    this.map.set(key, { value, time });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  sweep(now: number): void {
    for (const [k, v] of this.map) if (now - v.time > this.maxAge) this.map.delete(k);
  }
}
