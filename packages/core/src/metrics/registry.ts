/**
 * The daemon's Prometheus metrics (prom-client). Counters follow the events on the hooks table (a
 * tap per event, as any plugin could write); gauges and line counts are read from the jails when
 * Prometheus scrapes, so the hot path pays nothing for them. Every name is documented in the
 * README's metrics table.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { banOrigin } from '../ban-trail.js';
import type { Core } from '../core.js';
import type { Jail } from '../jail.js';
import type { Store } from '../store.js';

export interface MetricsSources {
  core: Core;
  /** The running jails (read at every scrape: a reload may replace them). */
  jails(): readonly Jail[];
  store(): Store | null;
}

/** Distinct ignore reasons kept as label values per jail; beyond, they count as `other`. */
const MAX_REASONS = 32;

export function createMetrics(src: MetricsSources): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'f2b_' }); // f2b_process_*, f2b_nodejs_*
  const jails = () => src.jails();

  new Counter({
    name: 'f2b_lines_total',
    help: 'Log lines (or journal entries) read, by jail and source.',
    labelNames: ['jail', 'source'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) for (const [source, n] of j.linesBySource) this.inc({ jail: j.name, source }, n);
    },
  });
  new Counter({
    name: 'f2b_lines_overlong_total',
    help: "Lines longer than the source's maxLineLength, never matched.",
    labelNames: ['jail'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) this.inc({ jail: j.name }, j.stats.overlongLines);
    },
  });
  new Counter({
    name: 'f2b_failures_total',
    help: 'Failed authentication attempts counted (sshd counts attempts, not lines).',
    labelNames: ['jail'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) this.inc({ jail: j.name }, j.stats.failures);
    },
  });
  new Gauge({
    name: 'f2b_banned',
    help: 'Bans in force.',
    labelNames: ['jail'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) this.set({ jail: j.name }, j.status(0).currentlyBanned);
    },
  });
  new Gauge({
    name: 'f2b_tracker_entries',
    help: 'Sources with failures still inside findtime (what the tracker holds).',
    labelNames: ['jail'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) this.set({ jail: j.name }, j.status(0).currentlyFailed);
    },
  });
  new Counter({
    name: 'f2b_tracker_evicted_total',
    help: 'Sources forgotten because the jail tracked maxTracked of them.',
    labelNames: ['jail'],
    registers: [register],
    collect() {
      this.reset();
      for (const j of jails()) this.inc({ jail: j.name }, j.stats.evicted);
    },
  });
  new Gauge({
    name: 'f2b_source_lag_bytes',
    help: 'Bytes of a log file not read yet (its size minus the read position).',
    labelNames: ['jail', 'source'],
    registers: [register],
    async collect() {
      this.reset();
      for (const j of jails()) for (const l of await j.sourceLag()) if (l.bytes !== undefined) this.set({ jail: j.name, source: l.source }, l.bytes);
    },
  });
  new Gauge({
    name: 'f2b_source_lag_seconds',
    help: 'How far behind now a journal source is while it catches up after a start (0 once it follows).',
    labelNames: ['jail', 'source'],
    registers: [register],
    async collect() {
      this.reset();
      for (const j of jails()) for (const l of await j.sourceLag()) if (l.seconds !== undefined) this.set({ jail: j.name, source: l.source }, l.seconds);
    },
  });
  new Gauge({
    name: 'f2b_outbox_pending',
    help: 'Bans and unbans decided but not yet confirmed done by every action (retried).',
    registers: [register],
    async collect() {
      this.set((await src.store()?.outboxPending())?.length ?? 0);
    },
  });

  const matched = new Counter({
    name: 'f2b_lines_matched_total',
    help: 'Failures recognised, by jail, filter and rule.',
    labelNames: ['jail', 'filter', 'rule'],
    registers: [register],
  });
  const ignored = new Counter({
    name: 'f2b_ignored_total',
    help: 'Failures not counted, by reason (ignoreip, ignoreself, loopback, …).',
    labelNames: ['jail', 'reason'],
    registers: [register],
  });
  const bans = new Counter({
    name: 'f2b_bans_total',
    help: 'Bans decided, by origin (local, manual, recovered).',
    labelNames: ['jail', 'origin'],
    registers: [register],
  });
  const unbans = new Counter({
    name: 'f2b_unbans_total',
    help: 'Bans lifted, by reason (expired, manual).',
    labelNames: ['jail', 'reason'],
    registers: [register],
  });
  const duration = new Histogram({
    name: 'f2b_action_duration_seconds',
    help: 'How long action calls took (ban, unban, …).',
    labelNames: ['jail', 'action'],
    registers: [register],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  const actionErrors = new Counter({
    name: 'f2b_action_errors_total',
    help: 'Action calls that failed or missed their deadline (the outbox retries them).',
    labelNames: ['jail', 'action'],
    registers: [register],
  });

  const reasons = new Map<string, Set<string>>();
  const reasonLabel = (jail: string, reason: string) => {
    let seen = reasons.get(jail);
    if (!seen) reasons.set(jail, (seen = new Set()));
    if (seen.has(reason)) return reason;
    if (seen.size >= MAX_REASONS) return 'other';
    seen.add(reason);
    return reason;
  };
  const { hooks } = src.core;
  hooks.failure.tap('f2b:metrics', (f, jail) => {
    matched.inc({ jail: jail.name, filter: f.filter, rule: f.rule });
  });
  hooks.ignored.tap('f2b:metrics', (_f, jail, reason) => {
    ignored.inc({ jail: jail.name, reason: reasonLabel(jail.name, reason) });
  });
  hooks.ban.tap('f2b:metrics', (ban) => {
    bans.inc({ jail: ban.jail, origin: banOrigin(ban) });
  });
  hooks.unban.tap('f2b:metrics', (unban) => {
    unbans.inc({ jail: unban.jail, reason: unban.reason });
  });
  hooks.action.tap('f2b:metrics', (o, jail) => {
    duration.observe({ jail: jail.name, action: o.action }, o.seconds);
    if (!o.ok) actionErrors.inc({ jail: jail.name, action: o.action });
  });
  return register;
}
