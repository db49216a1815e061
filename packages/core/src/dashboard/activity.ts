/**
 * Attacks over time, per jail, for the dashboard: failures (attempts) and bans per minute over the
 * last hours and per hour over the last days, and hits per rule. Fed from the hooks table — the
 * events the metrics count — into fixed-size rings, so memory stays the same however long the
 * daemon runs; nothing survives a restart (the bans themselves do, in the store).
 */
import type { Core } from '../core.js';
import { CounterRing } from './counter-ring.js';

/** Per-minute slots: the last 6 hours. */
export const MINUTE_SLOTS = 360;
/** Per-hour slots: the last 7 days. */
export const HOUR_SLOTS = 168;
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

  count(now: number, series: number, n: number): void {
    this.minutes.add(now, series, n);
    this.hours.add(now, series, n);
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

  constructor(
    private readonly core: Core,
    running: () => readonly { name: string }[],
  ) {
    const { hooks } = core;
    hooks.failure.tap('f2b:dashboard', (f, jail) => {
      const a = this.of(jail.name);
      const now = core.clock.now();
      if (f.attempts > 0) a.count(now, FAILURES, f.attempts);
      a.hit(now, f.rule);
    });
    hooks.ban.tap('f2b:dashboard', (ban) => {
      this.of(ban.jail).count(core.clock.now(), BANS, 1);
    });
    // A jail removed by a reload takes its rings with it: a config that renames jails over and
    // over must not leave one set per name.
    hooks.reload.tap('f2b:dashboard', () => {
      const names = new Set(running().map((j) => j.name));
      for (const name of this.jails.keys()) if (!names.has(name)) this.jails.delete(name);
    });
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
