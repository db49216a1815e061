/**
 * Attacks over time, per jail, for the dashboard: failures (attempts) and bans per minute over the
 * last day and per hour over the last 30 days, and hits per rule. Counted when each event happens —
 * from the hooks table, the events the metrics count — into fixed-size rings, never recomputed
 * from what the tracker or the store still hold: a purge of old failures, a ban that expired or was
 * lifted, a restart change nothing of what was plotted. A failure counts in the slot of its own
 * time (a log read late is plotted when the attack happened), a ban when it started. Memory is the
 * same however long the daemon runs (about 17 KiB per jail). The rings are saved in the store
 * (key `dashboard/activity`) every few minutes and at stop, and taken back at start; the hits per
 * rule are counted since the start only.
 */
import type { Core } from '../core.js';
import type { Store } from '../store.js';
import type { TimerHandle } from '../clock.js';
import { CounterRing } from './counter-ring.js';

/** Per-minute slots: the last 24 hours. */
export const MINUTE_SLOTS = 1440;
/** Per-hour slots: the last 30 days. */
export const HOUR_SLOTS = 720;
/** The store key the rings are saved under. */
export const ACTIVITY_KEY = 'dashboard/activity';
/** How often the rings are saved (a crash loses at most this much of the plot). */
export const ACTIVITY_SAVE_MS = 300_000;
/** Jails whose saved rings are taken back (a saved state is read from disk). */
const MAX_SAVED_JAILS = 256;
/** Per-minute slots kept per rule: an hour, for its hit rate. */
const RULE_SLOTS = 60;
/** Distinct rules followed per jail; beyond, they count as `other` (a filter has a fixed set). */
const MAX_RULES = 64;
const FAILURES = 0;
const BANS = 1;

export type Scale = 'minute' | 'hour';

interface RuleActivity {
  total: number;
  recent: CounterRing;
}

class JailActivity {
  readonly minutes = new CounterRing(MINUTE_SLOTS, 60_000, 2);
  readonly hours = new CounterRing(HOUR_SLOTS, 3_600_000, 2);
  readonly rules = new Map<string, RuleActivity>();

  count(at: number, now: number, series: number, n: number): void {
    this.minutes.add(at, series, n, now);
    this.hours.add(at, series, n, now);
  }

  hit(now: number, rule: string): void {
    const key = this.rules.has(rule) || this.rules.size < MAX_RULES ? rule : 'other';
    let r = this.rules.get(key);
    if (!r) this.rules.set(key, (r = { total: 0, recent: new CounterRing(RULE_SLOTS, 60_000, 1) }));
    r.total++;
    r.recent.add(now, 0);
  }
}

export interface ActivitySeries {
  scale: Scale;
  /** Seconds per point. */
  step: number;
  /** Epoch ms of the first point (the oldest slot's start). */
  start: number;
  jails: { name: string; failures: number[]; bans: number[] }[];
}

export interface RuleRate {
  rule: string;
  /** Hits since the daemon started (or since the jail first saw it). */
  total: number;
  /** Hits in the last hour. */
  lastHour: number;
  /** Share of the jail's hits since start, 0..1. */
  share: number;
}

export class Activity {
  private readonly jails = new Map<string, JailActivity>();
  private timer: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly core: Core,
    private readonly running: () => readonly { name: string }[],
    private readonly store: () => Store | null = () => null,
  ) {
    const { hooks } = core;
    hooks.failure.tap('f2b:dashboard', (f, jail) => {
      const a = this.of(jail.name);
      const now = core.clock.now();
      if (f.attempts > 0) a.count(f.time, now, FAILURES, f.attempts);
      a.hit(now, f.rule);
    });
    hooks.ban.tap('f2b:dashboard', (ban) => {
      const now = core.clock.now();
      this.of(ban.jail).count(ban.start, now, BANS, 1);
    });
    // A jail removed by a reload takes its rings with it: a config that renames jails over and
    // over must not leave one set per name.
    hooks.reload.tap('f2b:dashboard', () => {
      const names = new Set(this.running().map((j) => j.name));
      for (const name of this.jails.keys()) if (!names.has(name)) this.jails.delete(name);
    });
  }

  /** Take back the rings saved by an earlier run, then save them every few minutes. */
  async load(): Promise<void> {
    const saved = await this.store()?.position(ACTIVITY_KEY);
    this.importState(saved);
    const tick = () => {
      if (this.closed) return;
      this.timer = this.core.clock.setTimer(ACTIVITY_SAVE_MS, () => {
        void this.save().finally(tick);
      });
    };
    tick();
  }

  /** Save the rings one last time, and stop the timer. */
  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    await this.save();
  }

  /** Save the rings into the store; a failure is reported, never thrown (the plot is no state to defend). */
  async save(): Promise<void> {
    const store = this.store();
    if (!store) return;
    try {
      await store.checkpoint({ positions: { [ACTIVITY_KEY]: this.exportState() } });
    } catch (err) {
      this.core.reportError(err, { hook: 'dashboard' });
    }
  }

  /** The rings as JSON: per jail, the non-empty slots of each. */
  exportState(): { version: 1; jails: Record<string, { minutes: number[][]; hours: number[][] }> } {
    const now = this.core.clock.now();
    const jails: Record<string, { minutes: number[][]; hours: number[][] }> = {};
    // Rings taken back for a jail the config no longer has are not saved again.
    const names = new Set(this.running().map((j) => j.name));
    for (const [name, a] of this.jails) if (names.has(name)) jails[name] = { minutes: a.minutes.exportRows(now), hours: a.hours.exportRows(now) };
    return { version: 1, jails };
  }

  /** Take back what `exportState` gave; another version or shape is ignored (it comes from disk). */
  importState(saved: unknown): void {
    if (typeof saved !== 'object' || saved === null || (saved as { version?: unknown }).version !== 1) return;
    const jails = (saved as { jails?: unknown }).jails;
    if (typeof jails !== 'object' || jails === null) return;
    const now = this.core.clock.now();
    for (const [name, rings] of Object.entries(jails).slice(0, MAX_SAVED_JAILS)) {
      if (typeof rings !== 'object' || rings === null) continue;
      const a = this.of(name);
      a.minutes.importRows((rings as { minutes?: unknown }).minutes, now);
      a.hours.importRows((rings as { hours?: unknown }).hours, now);
    }
  }

  private of(jail: string): JailActivity {
    let a = this.jails.get(jail);
    if (!a) this.jails.set(jail, (a = new JailActivity()));
    return a;
  }

  /** Failures and bans per slot for the named jails (zeros for a jail that saw nothing yet). */
  series(scale: Scale, names: readonly string[]): ActivitySeries {
    const now = this.core.clock.now();
    const ringOf = (a: JailActivity) => (scale === 'minute' ? a.minutes : a.hours);
    const [slots, slotMs] = scale === 'minute' ? [MINUTE_SLOTS, 60_000] : [HOUR_SLOTS, 3_600_000];
    const start = (Math.floor(now / slotMs) - slots + 1) * slotMs;
    return {
      scale,
      step: slotMs / 1000,
      start,
      jails: names.map((name) => {
        const a = this.jails.get(name);
        if (!a) return { name, failures: new Array<number>(slots).fill(0), bans: new Array<number>(slots).fill(0) };
        const ring = ringOf(a);
        return { name, failures: ring.series(now, FAILURES), bans: ring.series(now, BANS) };
      }),
    };
  }

  /** Hits per rule of a jail, most hits first. */
  rules(jail: string): RuleRate[] {
    const a = this.jails.get(jail);
    if (!a) return [];
    const now = this.core.clock.now();
    let all = 0;
    for (const r of a.rules.values()) all += r.total;
    return [...a.rules]
      .map(([rule, r]) => ({ rule, total: r.total, lastHour: r.recent.sum(now, 0), share: all > 0 ? r.total / all : 0 }))
      .sort((x, y) => y.total - x.total || x.rule.localeCompare(y.rule));
  }
}
