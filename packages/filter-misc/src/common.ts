/** Helpers shared by the filters of this package. */
import type { FailureDraft, RuleMatch } from '@f2b/core';

/** One attempt per `failure` match with a host, without the listed internal captures. */
export function draft(m: RuleMatch, attempts = 1, drop: readonly string[] = []): FailureDraft | null {
  if ((m.rule.kind ?? 'failure') !== 'failure' || m.host === undefined) return null;
  const captures = { ...m.captures };
  for (const k of drop) delete captures[k];
  return { id: m.host, attempts, rule: m.rule.id, captures };
}

/** A bounded map with an age limit, for per-session reducer state. */
export class SessionMap<V> {
  private readonly map = new Map<string, { value: V; time: number }>();
  constructor(private readonly maxAge = 30 * 60_000, private readonly maxSize = 10_000) {}
  get(key: string): V | undefined { return this.map.get(key)?.value; }
  set(key: string, value: V, time: number): void {
    this.map.delete(key);
    if (this.map.size >= this.maxSize) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, { value, time });
  }
  delete(key: string): void { this.map.delete(key); }
  sweep(now: number): void {
    for (const [k, v] of this.map) if (now - v.time > this.maxAge) this.map.delete(k);
  }
}

/**
 * pam_unix's failure line. `ruser` and `user` are both the client's; the first `rhost=` followed by
 * pam_unix's own ending (`  user=…` or the end of the line) is taken.
 */
export const PAM_UNIX_FAILURE = 'authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=(?P<ruser>.*?) rhost=<HOST>(?: +user=(?P<user>.*?))? *$';

/** `user` is pam's `user=` when present, else `ruser=`. */
export function pamDraft(m: RuleMatch): FailureDraft | null {
  const d = draft(m, 1, ['ruser', 'user']);
  if (!d) return null;
  const who = m.captures.user || m.captures.ruser;
  return who ? { ...d, captures: { ...d.captures, user: who } } : d;
}
