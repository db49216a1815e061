/**
 * What the daemon knows of one address, across jails: the ban in force and its history (from the
 * store), the attempts still inside findtime with their lines, and why a jail would never ban it
 * (ignoreip, ignoreself, loopback). The dashboard's address panel shows it; `f2b explain` can
 * answer from the same object (it is plain data, no daemon internals).
 */
import type { IpAddress } from '../ip.js';
import type { Jail } from '../jail.js';
import type { Store } from '../store.js';
import type { Ban } from '../types.js';

/** Failure lines shown per jail (the newest). */
const MAX_LINES = 20;
/** Past bans shown (the newest). */
const MAX_HISTORY = 50;

export interface AddressBanView {
  jail: string;
  start: number;
  end: number | null;
  count: number;
  failures: number;
  rule: string | null;
  lines: string[];
  active: boolean;
}

export interface AddressJail {
  jail: string;
  /** Why this jail never bans the address, or null. */
  neverBanned: 'loopback' | 'ignoreip' | 'ignoreself' | null;
  /** The ban in force here, or null. */
  ban: AddressBanView | null;
  /** Attempts counted inside findtime (0 when none), of maxretry. */
  attempts: number;
  maxretry: number;
  /** Seconds. */
  findtime: number;
  /** The lines of those attempts, oldest first (when the store keeps them). */
  lines: string[];
  /** The jail's filter mode, and the last lines only a rule of other modes matched (not counted). */
  mode: string;
  otherModes: { time: number; rule: string; modes: string[]; lines: string[] }[];
}

export interface AddressView {
  ip: string;
  now: number;
  banned: boolean;
  jails: AddressJail[];
  /** Bans of the address, in force or past, newest first. */
  history: AddressBanView[];
}

export async function viewAddress(ip: IpAddress, jails: readonly Jail[], store: Store | null, now: number): Promise<AddressView> {
  const out: AddressJail[] = [];
  for (const jail of jails) {
    const ban = jail.banOf(ip);
    const attempts = attemptsOf(jail, ip);
    const since = now - jail.config.findtime * 1000;
    const lines = attempts > 0 && store?.failureLines ? await store.failureLines(jail.name, ip.text, since, MAX_LINES) : [];
    out.push({
      jail: jail.name,
      neverBanned: jail.neverBanned(ip),
      ban: ban ? view(ban, true) : null,
      attempts,
      maxretry: jail.config.maxretry,
      findtime: jail.config.findtime,
      lines,
      mode: jail.filterMode,
      otherModes: jail
        .explainState(ip)
        .dropped.filter((d) => d.reason === 'mode')
        .slice(-MAX_LINES)
        .map((d) => ({ time: d.failure.time, rule: d.failure.rule, modes: [...(d.modes ?? [])], lines: [...d.failure.lines] })),
    });
  }
  const stored = store ? (await store.bansOf(ip.text)).slice(0, MAX_HISTORY) : [];
  const active = out.filter((j) => j.ban);
  const history = stored.map((b) =>
    view(
      b,
      active.some((j) => j.jail === b.jail && j.ban!.start === b.start),
    ),
  );
  // A ban in force the store does not know (a memory store, or one written after the read).
  for (const j of active) {
    const known = history.find((h) => h.active && h.jail === j.jail);
    if (!known) history.unshift(j.ban!);
    else if (j.ban!.lines.length === 0) j.ban!.lines = known.lines; // the store keeps the lines, not the tracker
  }
  history.sort((a, b) => Number(b.active) - Number(a.active) || b.start - a.start);
  return { ip: ip.text, now, banned: active.length > 0, jails: out, history };
}

/**
 * Attempts inside findtime: from the tracker's window of the address (indexed, what `f2b explain`
 * reads), or — for a tracker without `windowOf` — a walk over the failing sources.
 */
function attemptsOf(jail: Jail, ip: IpAddress): number {
  const window = jail.explainState(ip).window;
  if (window) return window.reduce((n, f) => n + f.attempts, 0);
  const it = jail.listing('failing');
  for (let r = it.next(); !r.done; r = it.next()) if (r.value.id === ip.text) return r.value.attempts ?? 0;
  return 0;
}

function view(b: Ban, active: boolean): AddressBanView {
  return {
    jail: b.jail,
    start: b.start,
    end: b.end,
    count: b.count,
    failures: b.failures,
    rule: b.rule ?? null,
    lines: [...(b.lines ?? [])].slice(-MAX_LINES),
    active,
  };
}
