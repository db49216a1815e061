/**
 * The dashboard's JSON API (GET only, under /api/): what the page shows, as plain data.
 *
 * - `/api/overview`: the jails with their counters;
 * - `/api/bans?q=&jail=&sort=&order=&limit=`: bans in force with their end times, searched and sorted;
 * - `/api/activity?scale=minute|hour`: failures and bans per minute (24 h) or per hour (30 days), per jail;
 * - `/api/offenders?limit=`: top offenders and top /24 and /64 ranges among bans in force;
 * - `/api/rules`: hits per rule per jail (since start, last hour, share);
 * - `/api/address?ip=`: one address across jails (the explain panel).
 *
 * Answers that walk every ban are reused for a while (see `cached`), so pages that poll cannot
 * keep the daemon busy scanning a million bans.
 */
import type { Core } from '../core.js';
import type { Jail } from '../jail.js';
import type { Store } from '../store.js';
import { parseIp } from '../ip.js';
import { CORE_VERSION } from '../version.js';
import type { Activity } from './activity.js';
import { BAN_SORTS, MAX_BAN_ROWS, listBans, type BanSort } from './bans-view.js';
import { topOffenders } from './offenders.js';
import { viewAddress } from './address-view.js';

export interface DashboardSources {
  core: Core;
  /** The running jails (read at every request: a reload may replace them). */
  jails(): readonly Jail[];
  store(): Store | null;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

const CACHE_MS = 1000;

export class DashboardApi {
  private readonly cache = new Map<string, { at: number; keep: number; stale: boolean; answer: ApiAnswer }>();

  constructor(
    private readonly src: DashboardSources,
    private readonly activity: Activity,
  ) {}

  async answer(path: string, params: URLSearchParams): Promise<ApiAnswer> {
    switch (path) {
      case '/api/overview':
        return ok(this.overview());
      case '/api/bans':
        return this.cached(`bans?${params}`, () => this.bans(params));
      case '/api/activity': {
        const scale = params.get('scale') ?? 'minute';
        if (scale !== 'minute' && scale !== 'hour') return bad('scale must be "minute" or "hour"');
        return ok(
          this.activity.series(
            scale,
            this.src.jails().map((j) => j.name),
          ),
        );
      }
      case '/api/offenders': {
        const limit = intParam(params, 'limit', 20, 100);
        if (limit === null) return bad('limit must be a whole number from 1 to 100');
        return this.cached(`offenders?${limit}`, () => ok(topOffenders(this.src.jails(), limit)));
      }
      case '/api/rules':
        return ok({ jails: this.src.jails().map((j) => ({ jail: j.name, filter: j.config.filter.id, rules: this.activity.rules(j.name) })) });
      case '/api/address': {
        const ip = parseIp(params.get('ip') ?? '');
        if (!ip) return bad('ip must be an IPv4 or IPv6 address');
        return ok(await viewAddress(ip, this.src.jails(), this.src.store(), this.src.core.clock.now()));
      }
      default:
        return { status: 404, body: { error: 'No such API path.' } };
    }
  }

  private overview() {
    const now = this.src.core.clock.now();
    return {
      version: CORE_VERSION,
      now,
      jails: this.src.jails().map((j) => {
        const s = j.status(0);
        return {
          name: j.name,
          filter: s.filter,
          mode: s.mode ?? null,
          currentlyBanned: s.currentlyBanned,
          totalBanned: s.totalBanned,
          currentlyFailed: s.currentlyFailed,
          totalFailed: s.totalFailed,
          lines: s.lines,
          ignored: j.stats.ignored,
          evicted: s.evicted,
          findtime: j.config.findtime,
          maxretry: j.config.maxretry,
          bantime: j.config.bantime,
          watching: s.watching,
          problems: s.problems ?? [],
        };
      }),
    };
  }

  private bans(params: URLSearchParams): ApiAnswer {
    const sort = params.get('sort') ?? 'start';
    if (!(BAN_SORTS as readonly string[]).includes(sort)) return bad(`sort must be one of ${BAN_SORTS.join(', ')}`);
    const order = params.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') return bad('order must be "asc" or "desc"');
    const limit = intParam(params, 'limit', 200, MAX_BAN_ROWS);
    if (limit === null) return bad(`limit must be a whole number from 1 to ${MAX_BAN_ROWS}`);
    const q = (params.get('q') ?? '').trim().slice(0, 100);
    return ok({ now: this.src.core.clock.now(), ...listBans(this.src.jails(), { q, jail: params.get('jail') ?? '', sort: sort as BanSort, order, limit }) });
  }

  /**
   * An answer that walks every ban is reused for a second, or for ten times what it cost to make
   * (half a second for a million bans: reused for five), so the dashboard takes at most about a
   * tenth of the daemon's time however often it is asked. A change does not drop a costly answer
   * sooner: under a flood of bans the page would otherwise ask for one every second.
   */
  private cached(key: string, make: () => ApiAnswer): ApiAnswer {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < hit.keep && !(hit.stale && hit.keep === CACHE_MS)) return hit.answer;
    const answer = make();
    const cost = Date.now() - now;
    if (this.cache.size > 64) this.cache.clear(); // many distinct searches: start over, stay small
    this.cache.set(key, { at: now, keep: Math.max(CACHE_MS, cost * 10), stale: false, answer });
    return answer;
  }

  /** Something changed (a ban, an unban): cheap answers are made afresh at the next request. */
  changed(): void {
    for (const c of this.cache.values()) c.stale = true;
  }
}

const ok = (body: unknown): ApiAnswer => ({ status: 200, body });
const bad = (error: string): ApiAnswer => ({ status: 400, body: { error: `Bad request: ${error}.` } });

function intParam(params: URLSearchParams, name: string, fallback: number, max: number): number | null {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d{1,7}$/.test(v)) return null;
  const n = Number(v);
  return n >= 1 && n <= max ? n : null;
}
