/**
 * Counts authentication attempts per sshd connection, not lines. OpenSSH writes several lines for one
 * attempt (`Invalid user x`, PAM's `authentication failure`, `Failed password for invalid user x`)
 * and one line for many (`maximum authentication attempts exceeded`, after refusing keys it never
 * logged): counting lines would ban after two attempts, or miss a key-spraying client.
 *
 * A connection is sshd's process: the key is the pid plus the syslog host (sshd and sshd-session
 * share the pid of a connection). Every failure rule match yields a failure whose `attempts` is what
 * the line adds (0 when its attempt was already counted); info rules yield one only when they
 * confirm earlier, pending failures or give the address to failures found before it was known.
 */
import type { FailureDraft, Reducer, ReducerContext, RuleMatch } from '@f2b/core';
import { normalizeIp } from '@f2b/kit';
import { AUTH_MODES, type Effect, type Mode } from './rule-spec.js';
import { SPECS_BY_ID } from './rules.js';
import { type Session, SessionTable } from './sessions.js';
import { resolveMaxAuthTries } from './max-auth-tries.js';

/** Effects that only a new connection can produce: seen on a finished connection, they mean pid reuse. */
const STARTS: ReadonlySet<Effect> = new Set<Effect>(['connect', 'failed', 'soft-key', 'pre', 'pam-soft']);

export function createSshdReducer(ctx: ReducerContext): Reducer {
  // null: a connection ended by MaxAuthTries counts what sshd logged for it (one if nothing).
  const maxTries = resolveMaxAuthTries(ctx.options, ctx.logger);
  // In ddos mode authentication failures are facts (a connection that tried to log in is no probe),
  // never failures.
  const countsAuth = AUTH_MODES.includes(ctx.mode as Mode);
  const table = new SessionTable();

  /**
   * Pending failures become real: the connection ended (or went on) without their success. Refused
   * keys are one attempt however many there were: an agent offers its keys one by one, and sshd
   * logs only some of them (from MaxAuthTries / 2 on), so their number says nothing.
   */
  const confirm = (s: Session): number => {
    const keys = s.softKeys > 0 && !s.keysCounted ? 1 : 0;
    const n = countsAuth && !s.success ? (s.pamPending ? 1 : 0) + keys : 0;
    if (n > 0 && keys > 0) s.keysCounted = true;
    s.pamPending = false;
    s.pamUser = undefined;
    s.softKeys = 0;
    return n;
  };

  return {
    // Only strings and numbers of a match are kept (in sessions); drafts share the (frozen) captures.
    transient: true,

    reduce(m: RuleMatch): FailureDraft | null {
      const spec = SPECS_BY_ID.get(m.rule.id);
      if (!spec) return null;
      const failure = (m.rule.kind ?? 'failure') === 'failure';
      const time = m.time;
      const user = m.captures.user ?? m.captures.ruser;

      if (spec.stateless) {
        return failure && m.host !== undefined ? draft(m, m.host, 1) : null;
      }
      const key = m.entry.pid === undefined ? null : table.keyOf(m.entry.host ?? '', m.entry.pid);
      let s = key === null ? undefined : table.get(key, time);
      if (s === undefined || spec.effect === 'connect' || pidReused(s, m.host, STARTS.has(spec.effect))) {
        // A connection first seen on its last line (or on a success) needs no memory: it is read
        // from the one scratch session (most closing lines of an attack are such), never kept.
        s = key !== null && !spec.final && spec.effect !== 'success' && spec.effect !== 'pam-more' ? table.create(key, time) : table.scratch(time);
      }
      if (m.host !== undefined && s.addr === undefined) s.addr = m.host;

      let add = 0;
      const wasMaxed = s.maxed;
      switch (spec.effect) {
        case 'connect':
        case 'address':
          break;
        case 'success':
          // A pending PAM failure of another user was a real, failed attempt; the user's own pending
          // failures (a stacked PAM module, refused keys before the right one) are forgiven.
          if (countsAuth && s.pamPending && !sameUser(s.pamUser, user)) add += 1;
          s.pamPending = false;
          s.pamUser = undefined;
          s.softKeys = 0;
          s.credit = false;
          s.success = true;
          break;
        case 'failed': {
          s.attempted = true;
          if (m.captures.method === 'none' || !failure) break; // `none` asks which methods exist
          // rsyslog's `message repeated N times: [ Failed …]` stands for N attempts.
          let times = repeatCount(m.captures.repeat);
          if (s.credit) {
            s.credit = false; // the attempt a pre-attempt line already counted
            times -= 1;
          }
          if (times > 0) {
            add += times;
            s.pamPending = false; // the PAM line (if any) was this attempt
            s.pamUser = undefined;
          }
          break;
        }
        case 'soft-key':
          s.attempted = true;
          if (!s.maxed) s.softKeys += 1;
          break;
        case 'pre':
          s.attempted = true;
          if (!failure || s.credit) break;
          add += 1;
          s.credit = true;
          s.pamPending = false; // a pending PAM failure was the same attempt
          s.pamUser = undefined;
          break;
        case 'pam-soft':
          s.attempted = true;
          if (s.credit) break; // part of the attempt already counted
          if (s.pamPending) {
            if (sameUser(s.pamUser, user)) break; // the same attempt logged again, or a retry: wait
            if (countsAuth) add += 1; // another user: the previous attempt failed
          }
          s.pamPending = true;
          s.pamUser = user;
          break;
        case 'pam-more':
          add += confirm(s);
          break;
        case 'max':
          s.attempted = true;
          add += confirm(s);
          if (failure && !s.maxed) {
            if (maxTries !== null)
              add += Math.max(0, maxTries - s.counted - add); // padding, opted into
            else if (s.counted + add === 0) add = 1; // sshd logged no attempt of this connection
          }
          s.maxed = true;
          s.credit = false;
          s.ended = true;
          break;
        case 'close':
          add += confirm(s);
          if (failure && !s.attempted && !s.probed && !s.success) add += 1; // nothing tried: a probe
          if (failure) s.probed = true;
          s.ended = true;
          break;
      }

      s.counted += add;
      if (spec.final && key !== null) table.delete(key);
      const id = m.host ?? s.addr;
      if (id === undefined) {
        // No address yet (old `Disconnecting: Too many authentication failures`, kex errors): keep the
        // attempts until a later line of the connection names it.
        s.unattributed += add;
        return null;
      }
      const attempts = add + s.unattributed;
      s.unattributed = 0;
      if (!failure && attempts === 0) return null;
      // sshd reports reaching MaxAuthTries twice (`maximum authentication attempts exceeded`, then
      // `Disconnecting …: Too many authentication failures`): the second line is not a new failure.
      if (spec.effect === 'max' && wasMaxed && attempts === 0) return null;
      return draft(m, id, attempts);
    },

    sweep(now: number): void {
      table.sweep(now);
    },

    exportState() {
      return table.export();
    },

    stateSize: () => table.exportSize,

    importState(state: unknown): void {
      table.import(state);
    },
  };
}

/**
 * A line of this pid that cannot belong to the connection we know: a different address (pids are
 * reused), or an attempt after the connection ended or authenticated.
 */
function pidReused(s: Session, host: string | undefined, starts: boolean): boolean {
  if (host !== undefined && s.addr !== undefined && host !== s.addr && isIp(host) && isIp(s.addr)) return true;
  return starts && (s.ended || s.success);
}

/** N of `message repeated N times` (1 when the line is no such summary), bounded: it is rsyslog's count. */
function repeatCount(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, MAX_REPEAT) : 1;
}

const MAX_REPEAT = 10_000;

/** PAM lines may not name the user (`ruser= rhost=A` alone): then they may be anyone's, so the same. */
function sameUser(a: string | undefined, b: string | undefined): boolean {
  return !a || !b || a === b;
}

function isIp(text: string): boolean {
  return normalizeIp(text) !== null;
}

function draft(m: RuleMatch, id: string, attempts: number): FailureDraft {
  // The engine's captures are frozen (its memo shares them between lines) and a draft goes straight
  // into a failure, whose captures are read-only: shared, not copied for every failing line.
  return { id, attempts, rule: m.rule.id, captures: m.captures as Record<string, string> };
}
