import type { JournalEntry } from '@f2b/kit';
import type { IpAddress } from './ip.js';

/**
 * The data that flows through a jail: lines from a source become entries, filters turn entries into
 * failures, the tracker turns failures into bans, actions carry bans out.
 */

/** One log record as filters see it (its fields: `@f2b/kit`'s `JournalEntry`, stated there once). */
export type LogEntry = JournalEntry;

/** A failure recognised by a filter: someone (`id`, normally an address) failed `attempts` times. */
export interface Failure {
  /** The failure source: a normalised IP address (`ip.text`), or a host name as logged. */
  readonly id: string;
  /**
   * The address, parsed once — by the filter engine, when it extracted the host — and carried from
   * there to the tracker, the store and the actions. Absent for a host name (until it is resolved)
   * and on failures built by hand (the jail parses `id` then).
   */
  readonly ip?: IpAddress;
  /** Epoch ms of the failure. */
  readonly time: number;
  /** How many authentication attempts this failure stands for (sshd counts attempts, not lines). */
  readonly attempts: number;
  /** Id of the rule that recognised it. */
  readonly rule: string;
  /** Named captures of the rule (`user`, …), as strings. */
  readonly captures: Readonly<Record<string, string>>;
  /** The lines that make up the failure (for `f2b banned` and the ban record). */
  readonly lines: readonly string[];
  /** The filter id that produced it. */
  readonly filter: string;
}

/**
 * A success a filter recognised (a login accepted, rule `success: true`): never counted as a failure,
 * never a ban; the jail hands it to its tracker, which may forgive the address (the bucket's `cancelOn`).
 */
export interface SuccessEvent {
  /** The address (`ip.text`), or a host name as logged. */
  readonly id: string;
  readonly ip?: IpAddress;
  /** Epoch ms. */
  readonly time: number;
  /** Id of the rule that recognised it (`accepted`). */
  readonly rule: string;
  readonly captures: Readonly<Record<string, string>>;
  readonly filter: string;
}

/** A ban decision. */
export interface Ban {
  readonly jail: string;
  /** The banned address (normalised: the printable form) or CIDR. */
  readonly id: string;
  /**
   * The banned address, parsed (the same object the failure carried): set on every ban a jail
   * hands to hooks and actions, so they need not parse `id` again. Absent on bans read back from a
   * store or built by hand; a jail adds it when it restores them.
   */
  readonly ip?: IpAddress;
  /** Epoch ms when the ban starts. */
  readonly start: number;
  /** Epoch ms when it ends; `null` for a permanent ban (bantime -1). */
  readonly end: number | null;
  /** How many times this id has been banned (1 for the first ban). */
  readonly count: number;
  /** Rule that caused it and the lines that did. */
  readonly rule?: string;
  readonly lines?: readonly string[];
  /** Failures counted when the ban was decided. */
  readonly failures: number;
  /**
   * The fleet host that decided it, on a ban received from the fleet (its rule is then
   * `fleet:<host>`, which is what a store keeps); absent on this host's own bans. Never re-published.
   */
  readonly origin?: string;
}

export interface Unban {
  readonly jail: string;
  readonly id: string;
  readonly time: number;
  readonly reason: 'expired' | 'manual' | 'stop';
  /** The fleet host whose unban this is (received from the fleet); absent on this host's own. */
  readonly origin?: string;
}

export type MaybePromise<T> = T | Promise<T>;
