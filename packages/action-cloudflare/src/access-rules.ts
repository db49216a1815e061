/**
 * Access-rules mode: one IP Access Rule per banned key, at zone level
 * (`/zones/{zone_id}/firewall/access_rules/rules`) or account level (`/accounts/{account_id}/…`).
 *
 * - Snapshot: the rules whose notes contain the marker (Cloudflare's `notes` filter is a case-
 *   insensitive substring match, so the prefix is checked here again), every page.
 * - Ban: `POST {mode, configuration: {target, value}, notes: "<marker> <jail>"}`. Cloudflare allows
 *   one rule per value; any refusal (the duplicate code 10009 is not documented) is checked against
 *   what Cloudflare holds: a rule that is ours (an earlier run whose answer was lost) is adopted, one
 *   that is not is left alone and counts as the ban (reported once).
 * - Unban: `DELETE …/rules/{id}` of our rule; 404 means it is gone already, and so does a 400 once a
 *   look-up confirms the rule is gone.
 * Calls run with a small concurrency (the rate limiter paces them); the first call of a sync runs
 * alone, so a refused token or a dead API costs one request, not a burst.
 */
import type { CloudflareClient } from './client.js';
import { CloudflareError, cfErrors } from './errors.js';
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

type Lookup = (key: string) => Promise<Present | null>;

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
      if (!out.get(key)?.ours) out.set(key, { ref: r.id, ours, note: r.notes });
    }
    return out;
  }

  async sync(plan: SyncPlan, present: Map<string, Present>, rejected: Map<string, CloudflareError>, signal: AbortSignal): Promise<void> {
    const tasks: (() => Promise<void>)[] = [];
    // f2b's own rules as Cloudflare holds them now, read at most once per sync, and only if a
    // look-up needs them.
    let ours: Promise<Map<string, Present>> | null = null;
    const look = (key: string) => this.lookup(key, () => (ours ??= this.snapshot(signal)), signal);
    for (const [key, p] of plan.removes) tasks.push(() => this.remove(key, p, present, look, signal));
    for (const [key, note] of plan.adds) tasks.push(() => this.add(key, note, present, rejected, look, signal));
    await runLimited(tasks, CONCURRENCY);
  }

  private isOurs(r: AccessRule): boolean {
    return typeof r.notes === 'string' && r.notes.startsWith(this.s.notesMarker);
  }

  private async add(
    key: string,
    notes: string,
    present: Map<string, Present>,
    rejected: Map<string, CloudflareError>,
    look: Lookup,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const { env } = await this.client.call<AccessRule>('POST', this.path, {
        body: { mode: this.s.ruleMode, configuration: accessRuleTarget(key), notes },
        signal,
      });
      present.set(key, { ref: env.result.id, ours: true });
    } catch (err) {
      // Cloudflare unreachable: the rule may exist now. Remember that, so an unban looks it up.
      if (err instanceof CloudflareError && err.code === 'F2B_ERR_CF_UNAVAILABLE' && !present.has(key)) present.set(key, { ref: '', ours: true, maybe: true });
      if (!(err instanceof CloudflareError) || err.fatal || err.status === undefined || err.status >= 500) throw err;
      // Refused. The duplicate code (10009) is not documented, so every refusal is checked against
      // what Cloudflare holds: a rule for this value may exist already (ours from a lost answer, or
      // one made by hand).
      const found = await look(key);
      if (found) {
        present.set(key, found);
        if (!found.ours) this.warnForeign(key);
        return;
      }
      if (err.has(DUPLICATE_RULE)) {
        // A duplicate that is none of ours, and that a value search cannot show (IPv6): foreign.
        present.set(key, { ref: '', ours: false });
        this.warnForeign(key);
        return;
      }
      // Refused for this key only (invalid value, quota): report once, retry at the next reconcile.
      rejected.set(key, err);
    }
  }

  /**
   * The rule Cloudflare holds for a key, or null. Cloudflare documents the value search for single
   * IPv4 addresses and IPv4 /16 and /24 ranges only; for those it is asked by target and value (the
   * rule may be foreign). Otherwise — and when the search is refused or finds nothing — f2b's own
   * rules are read (by their notes) and searched here: a rule that is not ours cannot be found
   * without reading every rule of the zone, and is not needed (it is never deleted).
   */
  private async lookup(key: string, ours: () => Promise<Map<string, Present>>, signal: AbortSignal): Promise<Present | null> {
    const { target, value } = accessRuleTarget(key);
    if (target === 'ip' || (target === 'ip_range' && !value.includes(':'))) {
      const query = { 'configuration.target': target, 'configuration.value': value, match: 'all' };
      const rules = await this.client.allPages<AccessRule>(this.path, query, PER_PAGE, signal).catch((err: unknown) => {
        if (err instanceof CloudflareError && err.status === 400) return [];
        throw err;
      });
      const r = rules.find((x) => keyOfRule(x.configuration?.target, x.configuration?.value) === key);
      if (r) return { ref: r.id, ours: this.isOurs(r) };
    }
    return (await ours()).get(key) ?? null;
  }

  private async remove(key: string, p: Present, present: Map<string, Present>, look: Lookup, signal: AbortSignal): Promise<void> {
    if (!p.ours) return; // never touch what f2b did not make
    let ref = p.ref;
    if (ref === '') {
      const found = await look(key);
      if (!found || !found.ours) {
        if (found) present.set(key, found);
        else present.delete(key);
        return;
      }
      ref = found.ref;
    }
    const { status } = await this.client.call('DELETE', `${this.path}/${encodeURIComponent(ref)}`, { accept: [400, 404], signal });
    if (status === 400) {
      // A rule that is gone may come back as 400 rather than 404: believe it only if it is gone.
      const still = await this.lookup(key, () => this.snapshot(signal), signal);
      if (still?.ours && still.ref === ref) {
        throw cfErrors.F2B_ERR_CF_API(400, 'DELETE', `${this.path}/${ref}`, [{ code: 0, message: 'Cloudflare refused to delete a rule it still holds' }]);
      }
    }
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
      try {
        await t();
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length - 1) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}
