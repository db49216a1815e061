/**
 * IP Access Rules in the fake Cloudflare API, per zone or account
 * (`/{zones|accounts}/{id}/firewall/access_rules/rules[/{rule_id}]`), as Cloudflare documents them:
 *
 * - `GET`: filters `configuration.target` (`ip`, `ip_range`, `asn`, `country`), `configuration.value`
 *   (documented for single IPv4 addresses, IPv4 /16 and /24 ranges and country codes: any other
 *   value search is refused with 400), `mode`, `notes` (case-insensitive substring), `match`
 *   (`all` | `any`); pages `page` (from 1) and `per_page` (default 20, at most 1000: more is capped);
 *   `result_info` with `page`, `per_page`, `count`, `total_count` — the schema's fields, and
 *   `total_pages` only when asked for (`totalPages`).
 * - `POST {mode, configuration: {target, value}, notes}`: targets `ip` (IPv4), `ip6`, `ip_range`
 *   (IPv4 /16 or /24, IPv6 /32, /48 or /64), `asn`, `country`; one rule per target value
 *   (error 10009 `firewallaccessrules.api.duplicate_of_existing`).
 * - `DELETE …/{rule_id}`: `{result: {id}}`, or 404 (or 400, `missingRuleStatus`) when there is no
 *   such rule.
 */
import { parseIp, tryParseCidr } from '@f2b/kit';
import { cfId, fail, intParam, now, ok, type FakeRequest, type FakeResponse } from './fake-http.js';

export interface FakeRule {
  id: string;
  mode: string;
  notes: string;
  configuration: { target: string; value: string };
  allowed_modes: string[];
  scope: { id: string; type: 'zone' | 'account' };
  created_on: string;
  modified_on: string;
}

const MODES = ['block', 'challenge', 'whitelist', 'js_challenge', 'managed_challenge'];
const TARGETS = ['ip', 'ip6', 'ip_range', 'asn', 'country'];

/** Canonical value for duplicate detection, or null when the value does not fit the target. */
export function canonicalValue(target: string, value: string): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (target === 'ip') return parseIp(value)?.version === 4 && !value.includes(':') ? parseIp(value)!.text : null;
  if (target === 'ip6') return value.includes(':') && parseIp(value)?.version === 6 ? parseIp(value)!.text : null;
  if (target === 'ip_range') {
    const c = value.includes('/') ? tryParseCidr(value) : null;
    if (!c || !(c.version === 4 ? [16, 24] : [32, 48, 64]).includes(c.prefix)) return null;
    return c.text;
  }
  if (target === 'asn') return /^AS\d{1,10}$/i.test(value) ? value.toUpperCase() : null;
  if (target === 'country') return /^[A-Z]{2}$/.test(value) ? value : null;
  return null;
}

export interface FakeAccessRulesOptions {
  totalPages?: boolean;
  missingRuleStatus?: 404 | 400;
}

/** Cloudflare's documented page size limits. */
const PER_PAGE_MIN = 5;
const PER_PAGE_MAX = 1000;

/** What Cloudflare documents the value search for: one IPv4 address, an IPv4 /16 or /24, a country. */
function searchable(value: string): boolean {
  if (/^[A-Z]{2}$/.test(value)) return true;
  const c = tryParseCidr(value);
  if (!c || c.version !== 4) return false;
  return value.includes('/') ? c.prefix === 16 || c.prefix === 24 : true;
}

export class FakeAccessRules {
  /** `zones/<id>` or `accounts/<id>` → rules in creation order. */
  readonly scopes = new Map<string, FakeRule[]>();
  /** `scope\0target\0canonical value` → rule: Cloudflare's one-rule-per-value constraint. */
  private readonly index = new Map<string, FakeRule>();
  private readonly canon = new Map<FakeRule, string>();
  private readonly opts: Required<FakeAccessRulesOptions>;

  constructor(opts: FakeAccessRulesOptions = {}) {
    this.opts = { totalPages: opts.totalPages ?? false, missingRuleStatus: opts.missingRuleStatus ?? 404 };
  }

  rules(scopePath: string): FakeRule[] {
    let list = this.scopes.get(scopePath);
    if (!list) this.scopes.set(scopePath, (list = []));
    return list;
  }

  /** Create a rule directly (a rule made by hand in the dashboard, for tests). */
  add(scopePath: string, r: { mode?: string; target: string; value: string; notes?: string }): FakeRule {
    const res = this.create(scopePath, { mode: r.mode ?? 'block', configuration: { target: r.target, value: r.value }, notes: r.notes ?? '' });
    if (res.status !== 200) throw new Error(`fake: cannot add rule: ${JSON.stringify(res.body)}`);
    return (res.body as { result: FakeRule }).result;
  }

  /** Delete a rule directly (deleted by hand in the dashboard, for tests); false if there is none. */
  delete(scopePath: string, id: string): boolean {
    return this.remove(scopePath, id).status === 200;
  }

  /** Handles `…/firewall/access_rules/rules[/id]`; null if the path is not one of these. */
  handle(req: FakeRequest): FakeResponse | null {
    const s = req.segments;
    if (s.length < 5 || (s[0] !== 'zones' && s[0] !== 'accounts') || s[2] !== 'firewall' || s[3] !== 'access_rules' || s[4] !== 'rules') return null;
    const scopePath = `${s[0]}/${s[1]}`;
    if (s.length === 5 && req.method === 'GET') return this.list(scopePath, req.query);
    if (s.length === 5 && req.method === 'POST') return this.create(scopePath, req.body);
    if (s.length === 6 && req.method === 'DELETE') return this.remove(scopePath, s[5]!);
    if (s.length === 6 && req.method === 'GET') {
      const r = this.rules(scopePath).find((x) => x.id === s[5]);
      return r ? ok(r) : fail(404, 10001, 'firewallaccessrules.api.not_found');
    }
    return fail(405, 10000, `method ${req.method} not allowed here`);
  }

  private list(scopePath: string, q: URLSearchParams): FakeResponse {
    const page = intParam(q, 'page', 1, 1, 1_000_000);
    const asked = intParam(q, 'per_page', 20, PER_PAGE_MIN, Number.MAX_SAFE_INTEGER);
    if (page === null || asked === null) return fail(400, 10001, 'firewallaccessrules.api.validation_error: page or per_page out of range');
    const perPage = Math.min(asked, PER_PAGE_MAX);
    const match = q.get('match') ?? 'all';
    if (match !== 'all' && match !== 'any') return fail(400, 10001, 'firewallaccessrules.api.validation_error: match');
    const tests: ((r: FakeRule) => boolean)[] = [];
    const target = q.get('configuration.target');
    const value = q.get('configuration.value');
    const mode = q.get('mode');
    const notes = q.get('notes');
    if (target && !['ip', 'ip_range', 'asn', 'country'].includes(target))
      return fail(400, 10001, `firewallaccessrules.api.validation_error: configuration.target ${JSON.stringify(target)} cannot be searched`);
    if (value && !searchable(value))
      return fail(
        400,
        10001,
        'firewallaccessrules.api.validation_error: configuration.value must be an IPv4 address, an IPv4 /16 or /24 range or a country code',
      );
    if (target) tests.push((r) => r.configuration.target === target);
    if (value) {
      const v = parseIp(value)?.text ?? tryParseCidr(value)?.text ?? value;
      tests.push((r) => this.canon.get(r) === v);
    }
    if (mode) tests.push((r) => r.mode === mode);
    if (notes) tests.push((r) => r.notes.toLowerCase().includes(notes.toLowerCase()));
    const all = this.rules(scopePath).filter((r) => tests.length === 0 || (match === 'all' ? tests.every((t) => t(r)) : tests.some((t) => t(r))));
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    const slice = all.slice((page - 1) * perPage, page * perPage);
    return ok(slice, { page, per_page: perPage, count: slice.length, total_count: all.length, ...(this.opts.totalPages ? { total_pages: totalPages } : {}) });
  }

  private create(scopePath: string, body: unknown): FakeResponse {
    const b = body as { mode?: unknown; configuration?: { target?: unknown; value?: unknown }; notes?: unknown } | null;
    if (!b || typeof b !== 'object') return fail(400, 10001, 'firewallaccessrules.api.validation_error: body must be an object');
    if (typeof b.mode !== 'string' || !MODES.includes(b.mode)) return fail(400, 10001, 'firewallaccessrules.api.validation_error: invalid mode');
    const target = b.configuration?.target;
    const value = b.configuration?.value;
    if (typeof target !== 'string' || !TARGETS.includes(target))
      return fail(400, 10001, 'firewallaccessrules.api.validation_error: invalid configuration target');
    const canon = canonicalValue(target, value as string);
    if (canon === null) return fail(400, 10001, `firewallaccessrules.api.validation_error: invalid ${target} value ${JSON.stringify(value)}`);
    if (b.notes !== undefined && typeof b.notes !== 'string') return fail(400, 10001, 'firewallaccessrules.api.validation_error: notes must be a string');
    const rules = this.rules(scopePath);
    const key = `${scopePath}\0${target}\0${canon}`;
    if (this.index.has(key)) return fail(400, 10009, 'firewallaccessrules.api.duplicate_of_existing');
    const t = now();
    const [kind, id] = scopePath.split('/') as [string, string];
    const rule: FakeRule = {
      id: cfId(),
      mode: b.mode,
      notes: (b.notes as string | undefined) ?? '',
      configuration: { target, value: value as string },
      allowed_modes: MODES,
      scope: { id, type: kind === 'zones' ? 'zone' : 'account' },
      created_on: t,
      modified_on: t,
    };
    rules.push(rule);
    this.index.set(key, rule);
    this.canon.set(rule, canon);
    return ok(rule);
  }

  private remove(scopePath: string, id: string): FakeResponse {
    const rules = this.rules(scopePath);
    const i = rules.findIndex((r) => r.id === id);
    if (i < 0) return fail(this.opts.missingRuleStatus, 10001, 'firewallaccessrules.api.not_found');
    const [rule] = rules.splice(i, 1);
    this.index.delete(`${scopePath}\0${rule!.configuration.target}\0${this.canon.get(rule!)}`);
    this.canon.delete(rule!);
    return ok({ id });
  }
}
