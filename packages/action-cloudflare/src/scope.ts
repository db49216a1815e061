/**
 * One place at Cloudflare that f2b manages (a zone's or account's access rules, or one IP list),
 * shared by every jail of a daemon that bans there.
 *
 * The scope keeps the DESIRED state (key → the jails' bans that want it) and what Cloudflare is known
 * to HOLD (key → rule or item id, ours or foreign). `ban`/`unban` change the desired state and queue
 * the keys they touched; one drain at a time turns the difference for those keys into API calls
 * (the backend batches or runs them in parallel, through the rate limiter). Working from state
 * rather than replaying calls makes every call idempotent: a ban Cloudflare already has costs
 * nothing, an unban of a rule that is gone is done, and two jails banning one address share its rule.
 *
 * A call resolves when its keys are settled, and rejects with the error otherwise — so the jail keeps
 * the bans in its durable outbox and retries them. Rules f2b did not make are never changed.
 *
 * Reconciliation (`reconcile`): list what Cloudflare holds again and settle EVERY key: our rules no
 * jail wants are deleted, wanted keys Cloudflare lacks are created. It runs `reconcileDelay` after the
 * last jail joined or left (by then the daemon has restored the bans in force into every jail: it
 * does so before any source starts), then every `reconcileInterval`, and on demand.
 */
import type { Logger } from '@f2b/core';
import { FailureStreak, type TimerHandle } from '@f2b/kit';
import { CloudflareError, cfErrors } from './errors.js';
import type { Backend, Member, Present, ReconcileResult, ScopeLifecycle, ScopeSettings, SyncPlan } from './types.js';

export type { Backend, Member, Present, ReconcileResult, ScopeLifecycle, ScopeSettings, SyncPlan };

/** After a refused token, no request for this long: just under the outbox's 30 s retry period. */
const AUTH_PAUSE_MS = 25_000;

/** Errors made by failFast (they must not re-arm the breaker). */
const fastFailures = new WeakSet<object>();

interface Owner {
  start: number;
  end: number | null;
}

/** `<marker> <jail> until <ISO time | never>`: what the note of a rule or item f2b creates says. */
export function formatNote(marker: string, jail: string, end: number | null): string {
  return `${marker} ${jail} until ${end === null ? 'never' : new Date(end).toISOString()}`;
}

/** The jail and end of a note f2b wrote (end undefined: written before notes gave it); null: not ours. */
export function parseNote(marker: string, note: string): { jail: string; end: number | null | undefined } | null {
  if (!note.startsWith(`${marker} `)) return null;
  const words = note.slice(marker.length + 1).split(' ');
  const jail = words[0];
  if (!jail) return null;
  if (words[1] !== 'until' || words[2] === undefined) return { jail, end: undefined };
  if (words[2] === 'never') return { jail, end: null };
  const end = Date.parse(words[2]);
  return { jail, end: Number.isFinite(end) ? end : undefined };
}

type Job = { keys: readonly string[] | 'ready' | 'all'; resolve(): void; reject(err: unknown): void };

export class Scope {
  readonly stats = { drains: 0, reconciles: 0, created: 0, deleted: 0 };
  /** key → (`jail\0id` → start and end of that ban). */
  private readonly owners = new Map<string, Map<string, Owner>>();
  private present = new Map<string, Present>();
  private readonly rejected = new Map<string, CloudflareError>();
  private snapshotted = false;
  private readonly members = new Set<Member>();
  private queue: Job[] = [];
  private draining: Promise<void> | null = null;
  private abort = new AbortController();
  private timer?: TimerHandle;
  private retryMs = 0;
  private breaker: { until: number; at: number; err: unknown } | null = null;
  /** Refusals of the token since it was last accepted: reported once. */
  private readonly authStreak = new FailureStreak();
  private readonly warned = new Set<string>();
  private readonly reported = new WeakSet<CloudflareError>();
  private readonly backend: Backend;
  private readonly s: ScopeSettings;
  private readonly life: ScopeLifecycle;

  constructor(backend: Backend, settings: ScopeSettings, life: ScopeLifecycle) {
    this.backend = backend;
    this.s = settings;
    this.life = life;
  }

  /** A jail's action starts: learn what Cloudflare holds (best effort) and plan a reconcile. */
  async join(m: Member): Promise<void> {
    this.members.add(m);
    this.schedule(this.s.reconcileDelayMs);
    await this.enqueue('ready').catch((err) => {
      if ((err as { code?: string }).code !== 'F2B_ERR_CF_AUTH') this.log().warn(`Could not read the current state from Cloudflare yet: ${messageOf(err)}`);
    });
  }

  /** A jail's action stops: its bans stay at Cloudflare; the last member closes the scope. */
  async leave(m: Member): Promise<void> {
    if (!this.members.delete(m)) return;
    for (const [key, o] of this.owners) {
      for (const token of o.keys()) if (token.startsWith(`${m.jail}\0`)) o.delete(token);
      if (o.size === 0) this.owners.delete(key);
    }
    if (this.members.size > 0) {
      this.schedule(this.s.reconcileDelayMs);
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    this.life.detach();
    this.abort.abort();
    await this.draining?.catch(() => undefined);
    await this.life.closed();
  }

  /** Wanted from now on by `jail`'s ban `id` (from `start` until `end`; null: for good). */
  want(key: string, jail: string, id: string, start: number, end: number | null = null): void {
    let o = this.owners.get(key);
    if (!o) this.owners.set(key, (o = new Map()));
    const token = `${jail}\0${id}`;
    const prev = o.get(token);
    o.set(token, prev && prev.start > start ? prev : { start, end });
  }

  /** No longer wanted by `jail`'s ban `id` — unless the unban is older than the ban in force (a replay). */
  unwant(key: string, jail: string, id: string, time: number): boolean {
    const o = this.owners.get(key);
    const token = `${jail}\0${id}`;
    const start = o?.get(token)?.start;
    if (start !== undefined && time < start) return false;
    o?.delete(token);
    if (o?.size === 0) this.owners.delete(key);
    return true;
  }

  /** Settle these keys at Cloudflare. */
  settle(keys: readonly string[]): Promise<void> {
    return keys.length === 0 ? Promise.resolve() : this.enqueue(keys);
  }

  /** Compare with Cloudflare now: delete our entries nobody wants, create wanted ones it lacks. */
  async reconcile(): Promise<ReconcileResult> {
    const before = { ...this.stats };
    await this.enqueue('all');
    this.stats.reconciles++;
    return { created: this.stats.created - before.created, deleted: this.stats.deleted - before.deleted };
  }

  /** A warning, once per text. */
  warnOnce(text: string): void {
    if (this.warned.has(text)) return;
    this.warned.add(text);
    this.log().warn(text);
  }

  /** Keys wanted now (tests, status). */
  wanted(): string[] {
    return [...this.owners.keys()];
  }

  private enqueue(keys: Job['keys']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.abort.signal.aborted) {
        reject(cfErrors.F2B_ERR_CF_STOPPED());
        return;
      }
      this.queue.push({ keys, resolve, reject });
      this.kick();
    });
  }

  /**
   * Start a drain unless one runs. A drain that needs no request finishes synchronously, before
   * its `finally` clears `draining`: a call queued in between would wait for the next call (or the
   * hourly reconcile), so the drain is started again for whatever arrived meanwhile.
   */
  private kick(): void {
    if (this.draining) return;
    if (this.abort.signal.aborted) {
      for (const j of this.queue.splice(0)) j.reject(cfErrors.F2B_ERR_CF_STOPPED());
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const jobs = this.queue.splice(0);
      this.stats.drains++;
      let err: unknown;
      let plan: SyncPlan | null = null;
      let contacted = false;
      try {
        const all = jobs.some((j) => j.keys === 'all');
        // Right after Cloudflare failed (down, or the token refused), fail at once instead of asking
        // again for every batch; an explicit reconcile always asks.
        if (!all && this.breaker && this.breakerHolds(this.breaker)) throw this.failFast(this.breaker);
        if (all || !this.snapshotted) {
          contacted = true;
          this.present = await this.backend.snapshot(this.abort.signal);
          this.snapshotted = true;
          if (all) this.rejected.clear();
        }
        const keys = new Set<string>(all ? [...this.present.keys(), ...this.owners.keys()] : []);
        for (const j of jobs) if (Array.isArray(j.keys)) for (const k of j.keys) keys.add(k);
        plan = this.plan(keys);
        if (plan.adds.size > 0 || plan.removes.size > 0) {
          contacted = true;
          const rejectedBefore = new Set(this.rejected.keys());
          await this.backend.sync(plan, this.present, this.rejected, this.abort.signal).finally(() => this.count(plan!, rejectedBefore));
        }
        if (contacted) this.healthy();
      } catch (e) {
        err = e;
        this.failed(e);
      }
      for (const j of jobs) {
        if (!Array.isArray(j.keys)) {
          if (err === undefined) j.resolve();
          else j.reject(err);
          continue;
        }
        if (plan && j.keys.every((k) => this.settled(plan!, k))) j.resolve();
        else j.reject(err ?? cfErrors.F2B_ERR_CF_STOPPED());
      }
    }
  }

  private plan(keys: Iterable<string>): SyncPlan {
    const plan: SyncPlan = { adds: new Map(), removes: new Map() };
    for (const k of keys) {
      const o = this.owners.get(k);
      const p = this.present.get(k);
      if (o) {
        if ((!p || p.maybe) && !this.rejected.has(k)) plan.adds.set(k, this.noteFor(o));
      } else {
        this.rejected.delete(k);
        if (p?.ours) plan.removes.set(k, p);
      }
    }
    return plan;
  }

  /**
   * The note of a rule or item we create: the marker, the jail and when the ban ends, so that the
   * bans in force can be read back from Cloudflare if f2b's state database is ever lost.
   */
  private noteFor(o: Map<string, Owner>): string {
    const [token, owner] = o.entries().next().value!;
    return formatNote(this.s.notesMarker, token.split('\0')[0]!, owner.end);
  }

  /**
   * The bans of `jail` that Cloudflare holds now, read from the notes of our rules or items: the key
   * and the end the note gives (undefined: a note from an older f2b that does not say).
   */
  async heldFor(jail: string): Promise<{ key: string; end: number | null | undefined }[]> {
    const held = await this.backend.snapshot(this.abort.signal);
    const out: { key: string; end: number | null | undefined }[] = [];
    for (const [key, p] of held) {
      if (!p.ours || p.note === undefined) continue;
      const note = parseNote(this.s.notesMarker, p.note);
      if (note?.jail === jail) out.push({ key, end: note.end });
    }
    return out;
  }

  private settled(plan: SyncPlan, k: string): boolean {
    if (plan.adds.has(k)) return (this.present.has(k) && !this.present.get(k)!.maybe) || this.rejected.has(k);
    if (plan.removes.has(k)) return !this.present.get(k)?.ours;
    return true;
  }

  private count(plan: SyncPlan, rejectedBefore: Set<string>): void {
    let created = 0,
      deleted = 0;
    for (const k of plan.adds.keys()) if (this.present.get(k)?.ours && !this.present.get(k)!.maybe) created++;
    for (const k of plan.removes.keys()) if (!this.present.has(k)) deleted++;
    this.stats.created += created;
    this.stats.deleted += deleted;
    this.log().debug(`Cloudflare: created ${created} of ${plan.adds.size}, deleted ${deleted} of ${plan.removes.size}.`);
    // One report per error: a chunk refused for capacity shares one error among all its keys.
    // A backend may keep one error for a lasting condition (a full list): it is reported once.
    for (const [k, e] of this.rejected) {
      if (rejectedBefore.has(k) || this.reported.has(e)) continue;
      this.reported.add(e);
      this.report(e);
    }
  }

  private healthy(): void {
    this.breaker = null;
    if (this.authStreak.succeeded().reported) this.log().info('Cloudflare accepts the API token again.');
  }

  /** The breaker is on until its end; a clock set back before it was armed turns it off (no pause for the jump). */
  private breakerHolds(b: { until: number; at: number }): boolean {
    const now = this.s.clock.now();
    return now < b.until && now >= b.at;
  }

  /** The error of a call not even tried: the last failure, and when the next try can be. */
  private failFast(b: { until: number; at: number; err: unknown }): Error {
    const e = b.err as CloudflareError;
    const err = new CloudflareError(
      e.code,
      `${e.message.replace(/\.$/, '')} (${Math.round((this.s.clock.now() - b.at) / 1000)} s ago; not asked again for ${Math.ceil((b.until - this.s.clock.now()) / 1000)} s)`,
      { fix: e.fix, exit: e.exit, status: e.status, cfErrors: e.cfErrors, fatal: true },
    );
    fastFailures.add(err);
    return err;
  }

  private failed(e: unknown): void {
    if (fastFailures.has(e as object)) return; // nothing was asked: nothing new
    const code = (e as { code?: string }).code;
    if (code === 'F2B_ERR_CF_AUTH') {
      this.breaker = { until: this.s.clock.now() + AUTH_PAUSE_MS, at: this.s.clock.now(), err: e };
      this.authStreak.failed();
      if (this.authStreak.report(code)) {
        const ce = e as CloudflareError;
        this.log().error(`${ce.code}: ${ce.message}. No request is made for ${AUTH_PAUSE_MS / 1000} s; f2b's outbox retries every 30 s.`, { fix: ce.fix });
      }
    }
    if (code === 'F2B_ERR_CF_UNAVAILABLE' || code === 'F2B_ERR_CF_RATE_LIMITED') {
      this.breaker = { until: this.s.clock.now() + this.s.breakerMs, at: this.s.clock.now(), err: e };
    }
  }

  /** (Re)arm the reconcile timer; `ms` < 0 disables it. */
  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (ms < 0 || this.members.size === 0) return;
    this.timer = this.s.clock.setTimer(ms, () => {
      this.reconcile().then(
        ({ created, deleted }) => {
          this.retryMs = 0;
          if (created + deleted > 0) this.log().info(`Reconciled with Cloudflare: deleted ${deleted} stale and created ${created} missing entries.`);
          if (this.s.reconcileIntervalMs > 0) this.schedule(this.s.reconcileIntervalMs);
        },
        (err) => {
          if ((err as { code?: string }).code === 'F2B_ERR_CF_STOPPED') return;
          this.retryMs = Math.min(300_000, Math.max(30_000, this.retryMs * 2));
          this.log().warn(`Reconciling with Cloudflare failed (next try in ${this.retryMs / 1000} s): ${messageOf(err)}`);
          this.schedule(this.retryMs);
        },
      );
    });
  }

  private log(): Logger {
    return this.members.values().next().value?.logger ?? silent;
  }

  private report(err: unknown): void {
    const m = this.members.values().next().value;
    if (m) m.error(err);
    else this.log().error(messageOf(err));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const noop = () => undefined;
const silent: Logger = { debug: noop, info: noop, notice: noop, warn: noop, error: noop, child: () => silent };
