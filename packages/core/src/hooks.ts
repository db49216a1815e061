/**
 * The hooks table: every extension point of the engine, typed, in one frozen object (webpack's
 * `Compiler.hooks`). Plugins tap these by name; the engine calls them. A tap that throws is reported
 * with its plugin and hook name through `error`, and the daemon carries on.
 */
import { createRequire } from 'node:module';
import type { Ban, Failure, LogEntry, Unban } from './types.js';
import type { AddressFailure, TrackOutcome } from './tracker.js';

/** What hooks learn about the jail an event belongs to. */
export interface JailInfo {
  readonly name: string;
  readonly filter: string;
  readonly findtime: number;
  readonly maxretry: number;
  readonly bantime: number;
}

/** How one call of an action went (for metrics and diagnostics). */
export interface ActionOutcome {
  /** The action's type, e.g. `nftables`. */
  readonly action: string;
  /** What was asked: `ban`, `unban`, `start`… */
  readonly what: string;
  /** How long it took (up to its deadline, when it missed it). */
  readonly seconds: number;
  /** False: it failed or missed its deadline (the outbox retries it). */
  readonly ok: boolean;
}

/** tapable, loaded with the first hooks made (a Core makes them at their first use). */
let tapableModule: typeof import('tapable') | undefined;
const tapable = (): typeof import('tapable') => (tapableModule ??= createRequire(import.meta.url)('tapable') as typeof import('tapable'));

export function createHooks() {
  const { AsyncParallelHook, AsyncSeriesHook, SyncBailHook, SyncHook, SyncWaterfallHook } = tapable();
  return Object.freeze({
    /** The daemon (or a test core) starts: open resources. */
    start: new AsyncSeriesHook<[]>([]),
    /** Clean stop: flush and close. */
    stop: new AsyncSeriesHook<[]>([]),
    /** Config reloaded (SIGHUP / `f2b reload`). */
    reload: new AsyncSeriesHook<[]>([]),
    /** A line was parsed into an entry; a tap may return a changed entry (normalisation). */
    entry: new SyncWaterfallHook<[LogEntry, JailInfo]>(['entry', 'jail']),
    /** A filter recognised a failure (before the ignore check). */
    failure: new SyncHook<[Failure, JailInfo]>(['failure', 'jail']),
    /** Return a reason (string) to ignore the failure; the first tap that answers wins. */
    ignore: new SyncBailHook<[Failure, JailInfo], string | undefined>(['failure', 'jail']),
    /** A failure was ignored, and why. */
    ignored: new SyncHook<[Failure, JailInfo, string]>(['failure', 'jail', 'reason']),
    /**
     * The tracker counted a failure (not ignored, not dropped), with what it made of it: a fleet
     * counts it fleet-wide. Taps must be quick (called on the hot path, synchronously).
     */
    counted: new SyncHook<[AddressFailure, JailInfo, TrackOutcome]>(['failure', 'jail', 'outcome']),
    /** The tracker decided a ban; runs before the jail's actions. */
    ban: new AsyncParallelHook<[Ban, JailInfo]>(['ban', 'jail']),
    /** A ban ended (expired, manual, stop). */
    unban: new AsyncParallelHook<[Unban, JailInfo]>(['unban', 'jail']),
    /** An action call settled (succeeded, failed or timed out). */
    action: new SyncHook<[ActionOutcome, JailInfo]>(['outcome', 'jail']),
    /** Something went wrong but the daemon continues. */
    error: new SyncHook<[Error, { plugin?: string; hook?: string; jail?: string }]>(['error', 'context']),
  });
}

export type Hooks = ReturnType<typeof createHooks>;
export type HookName = keyof Hooks;

/**
 * Whether any plugin tapped `hook`. Not tapable's `isUsed()`: that counts interceptors too, and the
 * core intercepts every hook (to report a tap that throws), so it is always true — which made every
 * line take the path of an `entry` hook (an entry object per line, the hook called) and cost the
 * `counted` call per failure.
 */
export function tapped(hook: { readonly taps: readonly unknown[] }): boolean {
  return hook.taps.length > 0;
}
