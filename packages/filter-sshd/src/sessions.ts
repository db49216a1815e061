/**
 * Per-connection state, bounded: a connection is forgotten when it closes, when nothing was logged
 * for it for `ttl` (sshd's LoginGraceTime is 2 minutes, so 10 minutes is plenty), and the oldest go
 * first when there are more than `cap` (a flood of connections must not grow memory without limit).
 */

import { OldestFirst } from '@f2b/kit';
import { SessionColumns, SessionView } from './session-columns.js';

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

/** A connection's key: `host pid` packed into a number when it fits, else as that text. */
export type SessionKey = number | string;

/** pids below 2^22 (Linux's `pid_max` limit) and the first 511 syslog hosts pack into a small integer. */
const PID_LIMIT = 1 << 22;
const PACKED_HOSTS = 511;

/**
 * The open connections, in least-recently-seen order (touching one moves it to the end), their
 * fields in columns (session-columns.ts). `get`, `create` and `scratch` hand out one shared view:
 * the reducer works on one connection at a time.
 */
export class SessionTable {
  /** Key → slot, in least-recently-seen order (a Map keeps insertion order). */
  private readonly slots = new Map<SessionKey, number>();
  private readonly keyOfSlot: SessionKey[] = [];
  private readonly columns = new SessionColumns();
  private readonly view = new SessionView(this.columns);
  /** A connection read once and never kept (first seen on its last line). */
  private readonly scratchSlot = this.columns.allocate(0);
  /** Finds the least recently seen connection without stepping over the Map's holes again and again. */
  private readonly oldest = new OldestFirst(this.evictable());
  /**
   * The key at the end of the order. sshd writes several lines per connection in a row (4 in 10
   * lookups are of the connection just seen): those need no move to the end.
   */
  private newest: SessionKey | undefined = undefined;
  /** The latest log time seen: old logs are swept by their own clock, not the wall clock. */
  private logTime = -Infinity;
  private readonly hostIds = new Map<string, number>();
  private readonly hostNames: string[] = [];
  private lastHost = '';
  private lastHostId = -1;

  constructor(
    private readonly ttl = SESSION_TTL_MS,
    private readonly cap = SESSION_CAP,
  ) {}

  /** The table as OldestFirst evicts from it: by the Map's order, freeing the slot. */
  private evictable() {
    const slots = this.slots;
    return {
      keys: () => slots.keys(),
      delete: (key: SessionKey) => this.delete(key),
      get size() {
        return slots.size;
      },
    };
  }

  get size(): number {
    return this.slots.size;
  }

  /** The key of connection `pid` on syslog host `host`: no string built for the usual ones. */
  keyOf(host: string, pid: number): SessionKey {
    let id = this.lastHostId;
    if (host !== this.lastHost || id < 0) {
      id = this.hostIds.get(host) ?? -1;
      if (id < 0 && this.hostNames.length < PACKED_HOSTS) {
        id = this.hostNames.length;
        this.hostNames.push(host);
        this.hostIds.set(host, id);
      }
      this.lastHost = host;
      this.lastHostId = id;
    }
    return id >= 0 && Number.isInteger(pid) && pid >= 0 && pid < PID_LIMIT ? id * PID_LIMIT + pid : `${host} ${pid}`;
  }

  /** The key as the checkpoint writes it (`host pid`). */
  private keyText(key: SessionKey): string {
    return typeof key === 'string' ? key : `${this.hostNames[Math.floor(key / PID_LIMIT)]} ${key % PID_LIMIT}`;
  }

  /** A saved key back as a key (`host pid` packs again when it can). */
  private keyFrom(text: string): SessionKey {
    const space = text.lastIndexOf(' ');
    if (space < 0 || !/^\d{1,7}$/.test(text.slice(space + 1))) return text;
    const key = this.keyOf(text.slice(0, space), Number(text.slice(space + 1)));
    return typeof key === 'number' ? key : text;
  }

  get(key: SessionKey, time: number | undefined): Session | undefined {
    const slot = this.slots.get(key);
    if (time !== undefined && time > this.logTime) this.logTime = time;
    if (slot === undefined) return undefined;
    const c = this.columns;
    if (time !== undefined && time - c.seen[slot]! > this.ttl) {
      // Too old to be the same connection (a reused pid days later).
      this.delete(key);
      return undefined;
    }
    if (time !== undefined && time > c.seen[slot]!) c.seen[slot] = time;
    if (key !== this.newest) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      this.newest = key;
    }
    this.view.slot = slot;
    return this.view;
  }

  /** A new connection under `key` (replacing one kept under it), as `newSession(time)` makes one. */
  create(key: SessionKey, time: number): Session {
    this.delete(key);
    if (this.slots.size >= this.cap) this.oldest.evict();
    const slot = this.columns.allocate(time);
    this.keyOfSlot[slot] = key;
    this.slots.set(key, slot);
    this.newest = key;
    this.view.slot = slot;
    return this.view;
  }

  /** Keep a copy of `s` under `key` (a saved session, tests). */
  set(key: SessionKey, s: Session): void {
    const view = this.create(key, s.seen);
    this.columns.write((view as SessionView).slot, s);
  }

  /** The one session for a connection read once and never kept, as `newSession(time)` makes one. */
  scratch(time: number): Session {
    this.columns.reset(this.scratchSlot, time);
    this.view.slot = this.scratchSlot;
    return this.view;
  }

  delete(key: SessionKey): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.columns.release(slot);
    if (key === this.newest) this.newest = undefined;
    return true;
  }

  /** How many sessions `export()` would hold now (the reducer's `stateSize`). */
  get exportSize(): number {
    return Math.min(this.slots.size, SESSION_EXPORT_CAP);
  }

  export(limit = SESSION_EXPORT_CAP): SessionTableState {
    const all = [...this.slots];
    const sessions = all.slice(Math.max(0, all.length - limit)).map(([k, slot]) => [this.keyText(k), this.columns.read(slot)] as [string, Session]);
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
      if (s) this.set(this.keyFrom(entry[0]), s);
    }
  }

  /** Forget connections idle for longer than the ttl (measured on the log's clock when it lags). */
  sweep(now: number): void {
    const clock = Number.isFinite(this.logTime) ? Math.min(now, this.logTime) : now;
    const horizon = clock - this.ttl;
    for (const [key, slot] of this.slots) {
      if (this.columns.seen[slot]! >= horizon) break; // the rest were seen later
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
