/**
 * The shapes shared by the scope (scope.ts) and the backends that talk to Cloudflare
 * (access-rules.ts, lists.ts).
 */
import type { Logger } from '@f2b/core';
import type { Clock } from '@f2b/kit';
import type { CloudflareError } from './errors.js';

/** What Cloudflare holds for a key: the rule or item id ('' if not known yet) and whether f2b made it. */
export interface Present {
  ref: string;
  ours: boolean;
  /**
   * A create whose outcome is unknown (the request may have landed before the connection failed):
   * created again when wanted (an existing rule is adopted), looked up before deleting otherwise.
   */
  maybe?: boolean;
  /** The rule's notes or the item's comment, as a snapshot read them. */
  note?: string;
}

export interface SyncPlan {
  /** Keys to create, with the note / comment to give them. */
  adds: Map<string, string>;
  /** Our entries to delete. */
  removes: Map<string, Present>;
}

export interface Backend {
  /** What Cloudflare holds that f2b must know about, by key (finds or creates the list first). */
  snapshot(signal: AbortSignal): Promise<Map<string, Present>>;
  /**
   * Carry out the plan, updating `present` as each change lands. Keys Cloudflare refuses for good
   * go into `rejected`; a fatal error (Cloudflare down, token refused) is thrown.
   */
  sync(plan: SyncPlan, present: Map<string, Present>, rejected: Map<string, CloudflareError>, signal: AbortSignal): Promise<void>;
}

/** What the owner of a scope does when its last member leaves. */
export interface ScopeLifecycle {
  /** Forget the scope at once (a member starting now gets a new one). */
  detach(): void;
  /** Release what it used (the HTTP client), once nothing runs any more. */
  closed(): Promise<void>;
}

export interface Member {
  jail: string;
  logger: Logger;
  error(err: unknown): void;
}

export interface ScopeSettings {
  notesMarker: string;
  reconcileDelayMs: number;
  reconcileIntervalMs: number;
  /** How long a scope whose drain failed with Cloudflare unreachable fails new drains at once. */
  breakerMs: number;
  /** The core's clock (`api.clock`): the breaker and the reconcile timer run on it. */
  clock: Clock;
}

export interface ReconcileResult {
  created: number;
  deleted: number;
}
