/**
 * Access-rules mode: one IP Access Rule per banned key, at zone level
 * (`/zones/{zone_id}/firewall/access_rules/rules`) or account level (`/accounts/{account_id}/…`).
 *
 * - Snapshot: the rules whose notes contain the marker (Cloudflare's `notes` filter is a case-
 *   insensitive substring match, so the prefix is checked here again), every page.
 * - Ban: `POST {mode, configuration: {target, value}, notes: "<marker> <jail>"}`. Cloudflare allows
 *   one rule per value; a duplicate (error 10009) is looked up by target and value: if it is ours
 *   (an earlier run whose answer was lost) it is adopted, if not it is left alone and counts as
 *   the ban (reported once).
 * - Unban: `DELETE …/rules/{id}` of our rule; 404 means it is gone already.
 * Calls run with a small concurrency (the rate limiter paces them); the first call of a sync runs
 * alone, so a refused token or a dead API costs one request, not a burst.
 */
import type { CloudflareClient } from './client.js';
import { CF_CODES, CloudflareError } from './errors.js';
import type { Backend, Present, SyncPlan } from './types.js';
import { accessRuleTarget, keyOfRule } from './targets.js';

export interface AccessRule {
  id: string;
  mode: string;
  notes?: string;
  configuration: { target: string; value: string };
}

/** Cloudflare's "firewallaccessrules.api.duplicate_of_existing". */
export const DUPLICATE_RULE = 10009;
const PER_PAGE = 100;
const CONCURRENCY = 4;

export interface AccessRulesSettings {
  scopePath: string;
  ruleMode: string;
  notesMarker: string;
}

export class AccessRulesBackend implements Backend {
  private readonly client: CloudflareClient;
  private readonly s: AccessRulesSettings;
  private readonly path: string;
  private readonly warnForeign: (key: string) => void;

  constructor(client: CloudflareClient, s: AccessRulesSettings, warnForeign: (key: string) => void) {
    this.client = client;
    this.s = s;
    this.path = `/${s.scopePath}/firewall/access_rules/rules`;
    this.warnForeign = warnForeign;
  }

  async snapshot(signal: AbortSignal): Promise<Map<string, Present>> {
    const rules = await this.client.allPages<AccessRule>(this.path, { notes: this.s.notesMarker, match: 'all' }, PER_PAGE, signal);
    const out = new Map<string, Present>();
    for (const r of rules) {
      const key = keyOfRule(r.configuration?.target, r.configuration?.value);
      if (key === null) continue;
      const ours = this.isOurs(r);
      if (!out.get(key)?.ours) out.set(key, { ref: r.id, ours });
    }
    return out;
  }

  async sync(plan: SyncPlan, present: Map<string, Present>, rejected: Map<string, CloudflareError>, signal: AbortSignal): Promise<void> {
    const tasks: (() => Promise<void>)[] = [];
    for (const [key, p] of plan.removes) tasks.push(() => this.remove(key, p, present, signal));
    for (const [key, note] of plan.adds) tasks.push(() => this.add(key, note, present, rejected, signal));
    await runLimited(tasks, CONCURRENCY);
  }

  private isOurs(r: AccessRule): boolean {
    return typeof r.notes === 'string' && r.notes.startsWith(this.s.notesMarker);
  }

  private async add(key: string, notes: string, present: Map<string, Present>, rejected: Map<string, CloudflareError>, signal: AbortSignal): Promise<void> {
    try {
      const { env } = await this.client.call<AccessRule>('POST', this.path, {
        body: { mode: this.s.ruleMode, configuration: accessRuleTarget(key), notes }, signal,
      });
      present.set(key, { ref: env.result.id, ours: true });
    } catch (err) {
      // Cloudflare unreachable: the rule may exist now. Remember that, so an unban looks it up.
      if (err instanceof CloudflareError && err.code === CF_CODES.unavailable && !present.has(key)) present.set(key, { ref: '', ours: true, maybe: true });
      if (!(err instanceof CloudflareError) || err.fatal || err.status === undefined || err.status >= 500) throw err;
      if (err.has(DUPLICATE_RULE)) {
        const found = await this.lookup(key, signal);
        if (found) {
          present.set(key, found);
          if (!found.ours) this.warnForeign(key);
          return;
        }
      }
      // Refused for this key only (invalid value, quota): report once, retry at the next reconcile.
      rejected.set(key, err);
    }
  }

  /** The rule Cloudflare holds for a key, found by target and value (not by notes: it may be foreign). */
  private async lookup(key: string, signal: AbortSignal): Promise<Present | null> {
    const { target, value } = accessRuleTarget(key);
    // Cloudflare's list filter knows targets ip, ip_range, asn and country: an ip6 rule is found by value.
    const query = { 'configuration.target': target === 'ip6' ? undefined : target, 'configuration.value': value, match: 'all' };
    const rules = await this.client.allPages<AccessRule>(this.path, query, PER_PAGE, signal);
    const r = rules.find((x) => keyOfRule(x.configuration?.target, x.configuration?.value) === key);
    return r ? { ref: r.id, ours: this.isOurs(r) } : null;
  }

  private async remove(key: string, p: Present, present: Map<string, Present>, signal: AbortSignal): Promise<void> {
    if (!p.ours) return; // never touch what f2b did not make
    let ref = p.ref;
    if (ref === '') {
      const found = await this.lookup(key, signal);
      if (!found || !found.ours) {
        if (found) present.set(key, found); else present.delete(key);
        return;
      }
      ref = found.ref;
    }
    await this.client.call('DELETE', `${this.path}/${encodeURIComponent(ref)}`, { accept: [404], signal });
    present.delete(key);
  }
}

/**
 * Runs tasks with at most `limit` at a time; the first alone. Stops starting new tasks at the first
 * error and throws it once the running ones have finished.
 */
export async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  if (tasks.length === 0) return;
  await tasks[0]!();
  let next = 1;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < tasks.length) {
      const t = tasks[next++]!;
      try { await t(); } catch (err) { failure ??= { err }; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length - 1) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}
