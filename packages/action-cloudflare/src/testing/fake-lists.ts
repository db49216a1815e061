/**
 * Account IP lists in the fake Cloudflare API (`/accounts/{account_id}/rules/lists…`), as Cloudflare
 * documents them:
 *
 * - `GET …/lists`, `POST …/lists {name, kind, description}` (name: lowercase letters, digits and
 *   `_`, at most 50; kind `ip`, `redirect`, `hostname` or `asn`), `GET …/lists/{list_id}`.
 * - `GET …/lists/{list_id}/items`: cursor pages (`cursor`, `per_page` 1-500, default 25; the next
 *   cursor in `result_info.cursors.after`), optional `search` — for IP lists, items whose address
 *   starts with the text (as Cloudflare documents it).
 * - `POST …/items [{ip, comment}]` and `DELETE …/items {items: [{id}]}` are ASYNCHRONOUS: they return
 *   `{operation_id}`; the change happens when the operation completes. The operation is `pending`,
 *   then `running`, then `completed` or `failed` (`GET …/lists/bulk_operations/{operation_id}`).
 *   Only one operation may be pending per account: a second mutating request meanwhile gets 429.
 * - IP items: IPv4 addresses, IPv4 networks /8-/32, IPv6 networks /4-/64 (no single IPv6 address);
 *   an item for an address already listed is merged into it (same id, new comment).
 */
import { tryParseCidr } from '@f2b/kit';
import { cfId, fail, intParam, now, ok, type FakeRequest, type FakeResponse } from './fake-http.js';

export interface FakeItem {
  id: string;
  ip: string;
  comment: string;
  created_on: string;
  modified_on: string;
}

export interface FakeList {
  id: string;
  name: string;
  kind: string;
  description: string;
  created_on: string;
  modified_on: string;
  /** Normalised ip → item, in creation order. */
  items: Map<string, FakeItem>;
}

export interface FakeOperation {
  id: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  error?: string;
  completed?: string;
}

interface Account {
  lists: Map<string, FakeList>;
  ops: Map<string, FakeOperation>;
  pending: string | null;
}

export interface FakeListsOptions {
  /** How long a bulk operation takes, ms (half pending, half running). Default 30. */
  bulkDelayMs?: number;
  /** Items allowed per account over all lists (Cloudflare's Free plan: 10,000). */
  maxItems?: number;
}

const KINDS = ['ip', 'redirect', 'hostname', 'asn'];

/** The normalised text of a list IP item, or null if Cloudflare would refuse it. */
export function listIpText(ip: unknown): string | null {
  if (typeof ip !== 'string') return null;
  const c = tryParseCidr(ip);
  if (!c) return null;
  if (c.version === 4) return c.prefix < 8 ? null : c.prefix === 32 ? c.text.slice(0, -3) : c.text;
  return ip.includes('/') && c.prefix >= 4 && c.prefix <= 64 ? c.text : null;
}

export class FakeLists {
  readonly accounts = new Map<string, Account>();
  /** Bulk operations started, and how many were refused because one was pending. */
  readonly stats = { operations: 0, conflicts: 0 };
  /** The next N bulk operations fail (nothing changes). */
  failOperations = 0;
  private readonly opts: Required<FakeListsOptions>;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(opts: FakeListsOptions = {}) {
    this.opts = { bulkDelayMs: opts.bulkDelayMs ?? 30, maxItems: opts.maxItems ?? 10_000 };
  }

  account(id: string): Account {
    let a = this.accounts.get(id);
    if (!a) this.accounts.set(id, (a = { lists: new Map(), ops: new Map(), pending: null }));
    return a;
  }

  /** A list by name (tests). */
  list(accountId: string, name: string): FakeList | undefined {
    return [...this.account(accountId).lists.values()].find((l) => l.name === name);
  }

  /** Create a list directly (tests). */
  addList(accountId: string, name: string, kind = 'ip'): FakeList {
    const t = now();
    const l: FakeList = { id: cfId(), name, kind, description: '', created_on: t, modified_on: t, items: new Map() };
    this.account(accountId).lists.set(l.id, l);
    return l;
  }

  /** Add an item directly, at once (an item added by hand, for tests). */
  addItem(list: FakeList, ip: string, comment = ''): FakeItem {
    const text = listIpText(ip);
    if (text === null) throw new Error(`fake: invalid list item ${ip}`);
    const t = now();
    const item = { id: cfId(), ip: text, comment, created_on: t, modified_on: t };
    list.items.set(text, item);
    return item;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  handle(req: FakeRequest): FakeResponse | null {
    const s = req.segments;
    if (s.length < 4 || s[0] !== 'accounts' || s[2] !== 'rules' || s[3] !== 'lists') return null;
    const acc = this.account(s[1]!);
    if (s.length === 4) {
      if (req.method === 'GET') return ok([...acc.lists.values()].map(view));
      if (req.method === 'POST') return this.createList(acc, req.body);
    } else if (s[4] === 'bulk_operations' && s.length === 6 && req.method === 'GET') {
      const op = acc.ops.get(s[5]!);
      return op ? ok({ ...op }) : fail(404, 10001, 'bulk operation not found');
    } else {
      const list = acc.lists.get(s[4]!);
      if (!list) return fail(404, 10001, 'list not found');
      if (s.length === 5 && req.method === 'GET') return ok(view(list));
      if (s.length === 6 && s[5] === 'items') {
        if (req.method === 'GET') return this.items(list, req.query);
        if (req.method === 'POST') return this.addItems(acc, list, req.body);
        if (req.method === 'DELETE') return this.deleteItems(acc, list, req.body);
      }
    }
    return fail(405, 10000, `method ${req.method} not allowed here`);
  }

  private createList(acc: Account, body: unknown): FakeResponse {
    const b = body as { name?: unknown; kind?: unknown; description?: unknown } | null;
    if (!b || typeof b.name !== 'string' || !/^[a-z0-9_]{1,50}$/.test(b.name))
      return fail(400, 10001, 'invalid list name: use lowercase letters, digits and _ (at most 50)');
    if (typeof b.kind !== 'string' || !KINDS.includes(b.kind)) return fail(400, 10001, 'invalid list kind');
    if ([...acc.lists.values()].some((l) => l.name === b.name)) return fail(400, 10002, 'a list with this name already exists');
    const t = now();
    const l: FakeList = {
      id: cfId(),
      name: b.name,
      kind: b.kind,
      description: typeof b.description === 'string' ? b.description : '',
      created_on: t,
      modified_on: t,
      items: new Map(),
    };
    acc.lists.set(l.id, l);
    return ok(view(l));
  }

  private items(list: FakeList, q: URLSearchParams): FakeResponse {
    const perPage = intParam(q, 'per_page', 25, 1, 500);
    if (perPage === null) return fail(400, 10001, 'per_page must be between 1 and 500');
    let offset = 0;
    const cursor = q.get('cursor');
    if (cursor) {
      const m = /^o(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
      if (!m) return fail(400, 10001, 'invalid cursor');
      offset = Number(m[1]);
    }
    const search = q.get('search')?.toLowerCase();
    const all = [...list.items.values()].filter((i) => !search || i.ip.startsWith(search));
    const page = all.slice(offset, offset + perPage);
    const after = offset + perPage < all.length ? Buffer.from(`o${offset + perPage}`).toString('base64url') : undefined;
    return ok(
      page.map((i) => ({ ...i })),
      { cursors: after ? { after } : {} },
    );
  }

  private addItems(acc: Account, list: FakeList, body: unknown): FakeResponse {
    if (list.kind !== 'ip') return fail(400, 10001, 'this list does not hold IP items');
    if (!Array.isArray(body) || body.length === 0) return fail(400, 10001, 'the body must be a non-empty array of items');
    const items: { ip: string; comment: string }[] = [];
    for (const it of body as { ip?: unknown; comment?: unknown }[]) {
      const ip = listIpText(it?.ip);
      if (ip === null)
        return fail(400, 10021, `invalid IP item ${JSON.stringify(it?.ip)}: use an IPv4 address or network (/8-/32) or an IPv6 network (/4-/64)`);
      items.push({ ip, comment: typeof it.comment === 'string' ? it.comment : '' });
    }
    return this.operation(acc, () => {
      const total = [...acc.lists.values()].reduce((n, l) => n + l.items.size, 0);
      const fresh = items.filter((i) => !list.items.has(i.ip)).length;
      if (total + fresh > this.opts.maxItems) return `the account would exceed ${this.opts.maxItems} list items`;
      const t = now();
      for (const i of items) {
        const old = list.items.get(i.ip);
        if (old) {
          old.comment = i.comment;
          old.modified_on = t;
        } else list.items.set(i.ip, { id: cfId(), ip: i.ip, comment: i.comment, created_on: t, modified_on: t });
      }
      return null;
    });
  }

  private deleteItems(acc: Account, list: FakeList, body: unknown): FakeResponse {
    const ids = (body as { items?: { id?: unknown }[] } | null)?.items;
    if (!Array.isArray(ids) || ids.some((i) => typeof i?.id !== 'string')) return fail(400, 10001, 'the body must be {"items": [{"id": "…"}]}');
    const wanted = new Set(ids.map((i) => i.id as string));
    return this.operation(acc, () => {
      for (const [k, i] of list.items) if (wanted.has(i.id)) list.items.delete(k);
      return null;
    });
  }

  /** Start a bulk operation that runs `apply` when it completes (a returned text fails it). */
  private operation(acc: Account, apply: () => string | null): FakeResponse {
    if (acc.pending !== null) {
      this.stats.conflicts++;
      return fail(429, 10046, 'Too many bulk operations already in progress. Please wait until one completes before retrying.');
    }
    const op: FakeOperation = { id: cfId(), status: 'pending' };
    acc.ops.set(op.id, op);
    acc.pending = op.id;
    this.stats.operations++;
    const half = Math.max(1, Math.round(this.opts.bulkDelayMs / 2));
    this.later(half, () => {
      op.status = 'running';
    });
    this.later(2 * half, () => {
      const problem = this.failOperations > 0 ? (this.failOperations--, 'injected failure') : apply();
      op.status = problem === null ? 'completed' : 'failed';
      if (problem !== null) op.error = problem;
      op.completed = now();
      acc.pending = null;
    });
    return ok({ operation_id: op.id });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}

function view(l: FakeList) {
  return {
    id: l.id,
    name: l.name,
    kind: l.kind,
    description: l.description,
    num_items: l.items.size,
    num_referencing_filters: 0,
    created_on: l.created_on,
    modified_on: l.modified_on,
  };
}
