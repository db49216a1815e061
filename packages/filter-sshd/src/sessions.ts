/**
 * Per-connection state, bounded: a connection is forgotten when it closes, when nothing was logged
 * for it for `ttl` (sshd's LoginGraceTime is 2 minutes, so 10 minutes is plenty), and the oldest go
 * first when there are more than `cap` (a flood of connections must not grow memory without limit).
 */

import { OldestFirst } from '@f2b/kit';

export interface Session {
  /** The connection's source address, from the first line that names it. */
  addr?: string;
  /** Time of the last line (epoch ms; log time when the line has one). */
  seen: number;
  /** Attempts reported for the connection so far (including those still unattributed). */
  counted: number;
  /** Some line showed an authentication attempt (also in modes that do not count them). */
  attempted: boolean;
  /** A pre-attempt line counted the attempt that the next `Failed` line reports. */
  credit: boolean;
  /** Refused public keys of a valid user, counted (as one attempt) only if the connection never succeeds. */
  softKeys: number;
  /** The refused keys of this connection were counted (one attempt for all of them). */
  keysCounted: boolean;
  /** A PAM module's failure not confirmed yet, and for whom. */
  pamPending: boolean;
  pamUser?: string;
  /** Attempts found before the address was known. */
  unattributed: number;
  /** MaxAuthTries reached: the connection's total is settled. */
  maxed: boolean;
  /** A failure without attempt (probe, close before any attempt) was counted. */
  probed: boolean;
  success: boolean;
  /** sshd logged the end of the connection (it may still write a line or two). */
  ended: boolean;
}

/** `time`: the match's (the entry's, or when an undated line was read, on the core's clock). */
export function newSession(time: number): Session {
  return {
    seen: time,
    counted: 0,
    attempted: false,
    credit: false,
    softKeys: 0,
    keysCounted: false,
    pamPending: false,
    unattributed: 0,
    maxed: false,
    probed: false,
    success: false,
    ended: false,
  };
}

/** `s` as newSession(time) makes one (for a session that is read once and never kept). */
export function resetSession(s: Session, time: number): Session {
  s.addr = undefined;
  s.seen = time;
  s.counted = 0;
  s.attempted = false;
  s.credit = false;
  s.softKeys = 0;
  s.keysCounted = false;
  s.pamPending = false;
  s.pamUser = undefined;
  s.unattributed = 0;
  s.maxed = false;
  s.probed = false;
  s.success = false;
  s.ended = false;
  return s;
}

export const SESSION_TTL_MS = 10 * 60_000;
export const SESSION_CAP = 100_000;
/** Sessions saved with a checkpoint: the most recently seen (a connection is short; a flood is not). */
export const SESSION_EXPORT_CAP = 10_000;

/** The table as JSON, for the checkpoint: `[key, session]` pairs, least recently seen first. */
export interface SessionTableState {
  v: 1;
  logTime: number | null;
  sessions: [string, Session][];
}

/** A Map kept in least-recently-seen order (touching a session moves it to the end). */
export class SessionTable {
  private readonly map = new Map<string, Session>();
  /** Finds the least recently seen session without stepping over the map's holes again and again. */
  private readonly oldest = new OldestFirst(this.map);
  /**
   * The key at the end of the order. sshd writes several lines per connection in a row (4 in 10
   * lookups are of the connection just seen): those need no move to the end.
   */
  private newest: string | undefined = undefined;
  /** The latest log time seen: old logs are swept by their own clock, not the wall clock. */
  private logTime = -Infinity;

  constructor(
    private readonly ttl = SESSION_TTL_MS,
    private readonly cap = SESSION_CAP,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, time: number | undefined): Session | undefined {
    const s = this.map.get(key);
    if (time !== undefined && time > this.logTime) this.logTime = time;
    if (s === undefined) return undefined;
    if (time !== undefined && time - s.seen > this.ttl) {
      // Too old to be the same connection (a reused pid days later).
      this.delete(key);
      return undefined;
    }
    if (time !== undefined) s.seen = Math.max(s.seen, time);
    if (key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, s);
      this.newest = key;
    }
    return s;
  }

  set(key: string, s: Session): void {
    this.map.delete(key);
    if (this.map.size >= this.cap && this.oldest.evict() === this.newest) this.newest = undefined;
    this.map.set(key, s);
    this.newest = key;
  }

  delete(key: string): void {
    this.map.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  export(limit = SESSION_EXPORT_CAP): SessionTableState {
    const all = [...this.map];
    const sessions = all.slice(Math.max(0, all.length - limit)).map(([k, v]) => [k, { ...v }] as [string, Session]);
    return { v: 1, logTime: Number.isFinite(this.logTime) ? this.logTime : null, sessions };
  }

  /** Load a saved table (from disk: entries of the wrong shape are skipped). */
  import(state: unknown): void {
    const st = state as Partial<SessionTableState> | null;
    if (typeof st !== 'object' || st === null || st.v !== 1 || !Array.isArray(st.sessions)) return;
    if (typeof st.logTime === 'number' && st.logTime > this.logTime) this.logTime = st.logTime;
    for (const entry of st.sessions) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
      const s = toSession(entry[1]);
      if (s) this.set(entry[0], s);
    }
  }

  /** Forget connections idle for longer than the ttl (measured on the log's clock when it lags). */
  sweep(now: number): void {
    const clock = Number.isFinite(this.logTime) ? Math.min(now, this.logTime) : now;
    const horizon = clock - this.ttl;
    for (const [key, s] of this.map) {
      if (s.seen >= horizon) break; // the rest were seen later
      this.delete(key);
    }
  }
}

const NUMBERS = ['seen', 'counted', 'softKeys', 'unattributed'] as const;
const FLAGS = ['attempted', 'credit', 'keysCounted', 'pamPending', 'maxed', 'probed', 'success', 'ended'] as const;

/** A saved session, checked field by field; null when it is not one. */
function toSession(value: unknown): Session | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const s = newSession(0);
  for (const k of NUMBERS) {
    if (typeof v[k] !== 'number' || !Number.isFinite(v[k])) return null;
    s[k] = v[k] as number;
  }
  for (const k of FLAGS) s[k] = v[k] === true;
  if (typeof v.addr === 'string') s.addr = v.addr;
  if (typeof v.pamUser === 'string') s.pamUser = v.pamUser;
  return s;
}
