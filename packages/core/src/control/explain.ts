/**
 * `f2b explain <ip>`: everything the daemon knows about one address, jail by jail, and the verdict —
 * why it is banned (rule, failures, which ban of a row, where the ban came from, until when) or why
 * not (an ignore rule and the entry that matched, fewer failures than maxretry in the window and when
 * they are forgotten, lines only a rule of another filter mode counts, failures older than findtime,
 * a ban that ended, nothing seen).
 *
 * It reads three places, none of which holds the whole story: the tracker (the failures in the
 * window and the ban in force, in memory), the store (each failure's rule, captures and lines, past
 * bans), and the jail's rings of failures it did not count (ignored, too old, already banned) and of
 * lines only a rule of another filter mode matched.
 */
import type { Daemon } from '../daemon.js';
import type { Jail } from '../jail.js';
import type { IpAddress } from '../ip.js';
import type { Ban, Failure } from '../types.js';
import type { FailureRecord } from '../store.js';
import { banOrigin } from '../ban-trail.js';

/** The verdict of one jail about one address. */
export type ExplainVerdict =
  /** A ban is in force. */
  | 'banned'
  /** The jail never bans it (ignoreip, ignoreself, loopback) or a plugin ignored its failures. */
  | 'ignored'
  /** Failures in the window, fewer than maxretry. */
  | 'below-threshold'
  /** Only rules of other filter modes matched its lines (sshd's ddos rules in mode normal). */
  | 'mode-not-counted'
  /** Failures seen, all older than findtime. */
  | 'outside-findtime'
  /** It was banned here; that ban ended. */
  | 'ban-ended'
  /** Nothing about it in this jail. */
  | 'not-seen';

export interface ExplainedFailure {
  time: number;
  attempts: number;
  rule: string | null;
  captures: Record<string, string> | null;
  lines: string[];
}

export interface NotCountedFailure extends ExplainedFailure {
  /** ignoreip, ignoreself, loopback, banned (already), or a plugin's ignore reason. */
  reason: string;
  /** When the jail dropped it. */
  seen: number;
}

/** A line that no rule of the jail's mode counted, but a failure rule of other modes matched. */
export interface OtherModeLine extends ExplainedFailure {
  /** The modes in which `rule` would have counted it. */
  modes: string[];
  /** When the jail read it. */
  seen: number;
}

export interface ExplainedBan {
  start: number;
  end: number | null;
  /** Which ban of this address this is (the escalation step of bantime.increment). */
  count: number;
  failures: number;
  rule: string | null;
  /** local (its failures), manual (`f2b ban`), recovered (from a firewall after the store was lost). */
  origin: string;
  lines: string[];
  active: boolean;
}

export interface JailExplanation {
  jail: string;
  filter: string;
  mode: string;
  /** Seconds. */
  findtime: number;
  maxretry: number;
  verdict: ExplainVerdict;
  /** The ignore rule that holds the address (whatever the verdict), with the ignoreip entry. */
  ignored: { reason: string; entry: string | null } | null;
  ban: ExplainedBan | null;
  window: {
    attempts: number;
    maxretry: number;
    failures: ExplainedFailure[];
    /** When the oldest failure leaves the window, and when the last one does (null: none). */
    firstForgottenAt: number | null;
    allForgottenAt: number | null;
  };
  /** Failures seen but older than findtime: kept rows not yet purged, and lines too old to count. */
  outside: ExplainedFailure[];
  /** Failures not counted for another reason (ignored, already banned), the last ones. */
  notCounted: NotCountedFailure[];
  /** The last lines only a rule of other filter modes matched (the filter's mode does not count them). */
  otherModes: OtherModeLine[];
  /** Bans that ended, newest first. */
  pastBans: ExplainedBan[];
}

export interface Explanation {
  ip: string;
  now: number;
  banned: boolean;
  jails: JailExplanation[];
}

/** Failure rows read per jail. */
const ROWS = 100;

export async function explainAddress(daemon: Daemon, ip: IpAddress): Promise<Explanation> {
  const now = daemon.core.clock.now();
  const store = daemon.store;
  const history = store ? await store.bansOf(ip.text) : [];
  const jails: JailExplanation[] = [];
  for (const jail of daemon.jails) {
    const rows = store?.failuresOf ? await store.failuresOf(jail.name, ip.text, ROWS) : [];
    jails.push(
      explainJail(
        jail,
        ip,
        now,
        rows,
        history.filter((b) => b.jail === jail.name),
      ),
    );
  }
  return { ip: ip.text, now, banned: jails.some((j) => j.verdict === 'banned'), jails };
}

function explainJail(jail: Jail, ip: IpAddress, now: number, rows: readonly FailureRecord[], history: readonly Ban[]): JailExplanation {
  const { findtime, maxretry } = jail.config;
  const horizon = now - findtime * 1000;
  const state = jail.explainState(ip);
  const never = jail.neverBanned(ip);
  const ignored = never ? { reason: never, entry: never === 'ignoreip' ? jail.ignoreEntry(ip) : null } : null;

  // The tracker's window is the truth about what counts; the store's rows say what each one was.
  const unmatched = [...rows];
  const enrich = (time: number, attempts: number, lines: readonly string[]): ExplainedFailure => {
    const i = unmatched.findIndex((r) => r.time === time && r.attempts === attempts);
    const row = i === -1 ? undefined : unmatched.splice(i, 1)[0];
    return {
      time,
      attempts,
      rule: row?.rule ?? null,
      captures: row?.captures ? { ...row.captures } : null,
      lines: [...(lines.length > 0 ? lines : (row?.lines ?? []))],
    };
  };
  const windowFailures = state.window
    ? state.window.map((w) => enrich(w.time, w.attempts, w.lines))
    : rows.filter((r) => r.time >= horizon).map((r) => enrich(r.time, r.attempts, r.lines));
  const attempts = windowFailures.reduce((n, f) => n + f.attempts, 0);

  const outside: ExplainedFailure[] = rows.filter((r) => r.time < horizon).map(fromRecord);
  const notCounted: NotCountedFailure[] = [];
  const otherModes: OtherModeLine[] = [];
  for (const d of state.dropped) {
    if (d.reason === 'stale') outside.push(fromFailure(d.failure));
    else if (d.reason === 'mode') otherModes.push({ ...fromFailure(d.failure), modes: [...(d.modes ?? [])], seen: d.seen });
    else notCounted.push({ ...fromFailure(d.failure), reason: d.reason, seen: d.seen });
  }
  outside.sort((a, b) => a.time - b.time);

  const active = state.ban;
  const record = active ? history.find((b) => b.start === active.start) : undefined;
  const ban = active ? explainBan(active, true, record?.lines) : null;
  const pastBans = history.filter((b) => !active || b.start !== active.start).map((b) => explainBan(b, false));

  let verdict: ExplainVerdict;
  if (ban) verdict = 'banned';
  else if (ignored || notCounted.some((d) => d.reason !== 'banned')) verdict = 'ignored';
  else if (attempts > 0) verdict = 'below-threshold';
  else if (otherModes.length > 0) verdict = 'mode-not-counted';
  else if (outside.length > 0) verdict = 'outside-findtime';
  else if (pastBans.length > 0) verdict = 'ban-ended';
  else verdict = 'not-seen';

  const times = windowFailures.map((f) => f.time);
  return {
    jail: jail.name,
    filter: jail.config.filter.id,
    mode: jail.filterMode,
    findtime,
    maxretry,
    verdict,
    ignored,
    ban,
    window: {
      attempts,
      maxretry,
      failures: windowFailures,
      firstForgottenAt: times.length > 0 ? Math.min(...times) + findtime * 1000 : null,
      allForgottenAt: times.length > 0 ? Math.max(...times) + findtime * 1000 : null,
    },
    outside,
    notCounted,
    otherModes,
    pastBans,
  };
}

function explainBan(b: Ban, active: boolean, storedLines?: readonly string[]): ExplainedBan {
  return {
    start: b.start,
    end: b.end,
    count: b.count,
    failures: b.failures,
    rule: b.rule ?? null,
    origin: banOrigin(b),
    lines: [...(b.lines && b.lines.length > 0 ? b.lines : (storedLines ?? []))],
    active,
  };
}

function fromRecord(r: FailureRecord): ExplainedFailure {
  return { time: r.time, attempts: r.attempts, rule: r.rule ?? null, captures: r.captures ? { ...r.captures } : null, lines: [...r.lines] };
}

function fromFailure(f: Failure): ExplainedFailure {
  return { time: f.time, attempts: f.attempts, rule: f.rule, captures: { ...f.captures }, lines: [...f.lines] };
}
