/**
 * List mode: the banned keys are items of an account-level IP list, which a WAF custom rule the
 * user creates once refers to (`ip.src in $f2b_banned` → Block).
 *
 * - The list is found by name (`GET /accounts/{a}/rules/lists`) and created when missing
 *   (`POST … {name, kind: "ip", description}`), or given by id.
 * - Item changes are asynchronous bulk operations: `POST …/items [{ip, comment}]` and
 *   `DELETE …/items {items: [{id}]}` return an `operation_id`, polled at
 *   `GET /accounts/{a}/rules/lists/bulk_operations/{id}` until `completed` (or `failed`). Cloudflare
 *   accepts one pending operation per account, so every operation of an account goes through one
 *   lock and is waited for before the next starts; whatever arrives meanwhile is batched.
 * - Adding returns no item ids; before deleting, the ids are read back (`GET …/items`, cursor-paged).
 */
import type { CloudflareClient } from './client.js';
import { sleep } from './client.js';
import { cfErrors, type CloudflareError } from './errors.js';
import type { Backend, Present, SyncPlan } from './types.js';
import { keyOfItem } from './targets.js';

export interface IpList {
  id: string;
  name: string;
  kind: string;
  description?: string;
  num_items?: number;
}

export interface ListItem {
  id: string;
  ip?: string;
  comment?: string;
}

export interface BulkOperation {
  id: string;
  status: 'pending' | 'running' | 'completed' | 'failed';
  error?: string;
  completed?: string;
}

export interface ListSettings {
  accountId: string;
  listName?: string;
  listId?: string;
  notesMarker: string;
  /** Longest wait for one bulk operation, ms (default 120 s). */
  operationTimeoutMs?: number;
  /** Items the account may hold in all its lists (Cloudflare: 10,000 on most plans). */
  maxItems: number;
}

const CHUNK = 1000;
/** How a refusal for lack of room reads (Cloudflare documents no code for it). */
const CAPACITY_WORDS = /\b(exceed(s|ed)?|limit|maximum|capacity|quota|too many items)\b/i;
const ITEMS_PER_PAGE = 500;

/** Runs one function at a time (Cloudflare's one pending bulk operation per account). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class ListBackend implements Backend {
  private readonly client: CloudflareClient;
  private readonly s: ListSettings;
  private readonly lock: Mutex;
  private listId?: string;
  /** While the account's lists are full: the one error every refused add is set aside with. */
  private full: CloudflareError | null = null;

  constructor(client: CloudflareClient, s: ListSettings, lock: Mutex) {
    this.client = client;
    this.s = s;
    this.lock = lock;
  }

  private get base(): string {
    return `/accounts/${this.s.accountId}/rules/lists`;
  }

  async snapshot(signal: AbortSignal): Promise<Map<string, Present>> {
    if (this.s.listId === undefined) this.listId = undefined; // find it again: it may have been deleted and made anew
    const id = await this.ensureList(signal);
    const items = await this.client.allCursor<ListItem>(`${this.base}/${id}/items`, ITEMS_PER_PAGE, signal);
    const out = new Map<string, Present>();
    for (const it of items) {
      const key = it.ip === undefined ? null : keyOfItem(it.ip);
      if (key !== null) out.set(key, { ref: it.id, ours: (it.comment ?? '').startsWith(this.s.notesMarker), note: it.comment });
    }
    return out;
  }

  /**
   * Removes first: an unban must never wait behind a ban, and at the account's item cap only
   * removes make room. A chunk of adds refused for capacity is set aside (reported once, with the
   * cap; retried at the next reconcile) and does not stop the other chunks or the removes.
   */
  async sync(plan: SyncPlan, present: Map<string, Present>, rejected: Map<string, CloudflareError>, signal: AbortSignal): Promise<void> {
    const id = await this.ensureList(signal);
    await this.removeItems(id, plan, present, signal);
    const adds = [...plan.adds];
    let full: CloudflareError | null = null;
    for (let i = 0; i < adds.length; i += CHUNK) {
      const part = adds.slice(i, i + CHUNK);
      if (full) {
        for (const [key] of part) rejected.set(key, full);
        continue;
      }
      try {
        await this.lock.run(async () => {
          const { env } = await this.client.call<{ operation_id: string }>('POST', `${this.base}/${id}/items`, {
            body: part.map(([ip, comment]) => ({ ip, comment })),
            signal,
          });
          await this.waitFor(env.result.operation_id, signal);
        });
      } catch (err) {
        // Unreachable or too slow: the operation may still complete. Look the items up before deleting.
        if ((err as { code?: string }).code === 'F2B_ERR_CF_UNAVAILABLE') {
          for (const [key] of part) if (!present.has(key)) present.set(key, { ref: '', ours: true, maybe: true });
        }
        full = await this.capacityRefusal(id, err, part.length, adds.length - i, signal);
        if (!full) throw err;
        this.full = full;
        for (const [key] of part) rejected.set(key, full);
        continue;
      }
      this.full = null;
      for (const [key] of part) present.set(key, { ref: '', ours: true });
    }
  }

  private async removeItems(id: string, plan: SyncPlan, present: Map<string, Present>, signal: AbortSignal): Promise<void> {
    const removes = [...plan.removes.keys()].filter((k) => present.get(k)?.ours);
    if (removes.length === 0) return;
    const unknown = removes.filter((k) => present.get(k)!.ref === '');
    if (unknown.length > 0) await this.refreshIds(id, present, unknown, signal);
    const known = removes.filter((k) => present.get(k)?.ours && present.get(k)!.ref !== '');
    for (let i = 0; i < known.length; i += CHUNK) {
      const part = known.slice(i, i + CHUNK);
      await this.lock.run(async () => {
        const { env } = await this.client.call<{ operation_id: string }>('DELETE', `${this.base}/${id}/items`, {
          body: { items: part.map((k) => ({ id: present.get(k)!.ref })) },
          signal,
        });
        await this.waitFor(env.result.operation_id, signal);
      });
      for (const k of part) present.delete(k);
    }
  }

  /**
   * The error to set the adds aside with, when `err` means the account has no room for them (the
   * operation failed or was refused saying so, or the list is at the cap); null otherwise.
   */
  private async capacityRefusal(id: string, err: unknown, chunk: number, waiting: number, signal: AbortSignal): Promise<CloudflareError | null> {
    const e = err as CloudflareError;
    if (e.code !== 'F2B_ERR_CF_BULK_FAILED' && e.code !== 'F2B_ERR_CF_API') return null;
    const said = CAPACITY_WORDS.test(e.message);
    let items: number | undefined;
    if (!said) {
      const { env } = await this.client.call<IpList>('GET', `${this.base}/${id}`, { signal }).catch(() => ({ env: null }));
      items = env?.result?.num_items;
      if (items === undefined || items + chunk <= this.s.maxItems) return null;
    }
    return this.full ?? cfErrors.F2B_ERR_CF_LIST_FULL(this.s.listName ?? id, this.s.maxItems, waiting, items, e.message);
  }

  /** The list's id: given (and checked), found by name, or created. */
  private async ensureList(signal: AbortSignal): Promise<string> {
    if (this.listId !== undefined) return this.listId;
    if (this.s.listId !== undefined) {
      const { env } = await this.client.call<IpList>('GET', `${this.base}/${encodeURIComponent(this.s.listId)}`, { signal });
      checkKind(env.result);
      return (this.listId = this.s.listId);
    }
    const { env } = await this.client.call<IpList[]>('GET', this.base, { signal });
    const found = (env.result ?? []).find((l) => l.name === this.s.listName);
    if (found) {
      checkKind(found);
      return (this.listId = found.id);
    }
    const created = await this.client.call<IpList>('POST', this.base, {
      body: {
        name: this.s.listName,
        kind: 'ip',
        description: 'Addresses banned by f2b (managed by @f2b/action-cloudflare; items are added and removed automatically)',
      },
      signal,
    });
    return (this.listId = created.env.result.id);
  }

  /**
   * Item ids for keys added by f2b (adding does not return them): a search per key when that is
   * fewer requests than reading the whole list, else the whole list.
   */
  private async refreshIds(id: string, present: Map<string, Present>, keys: string[], signal: AbortSignal): Promise<void> {
    const path = `${this.base}/${id}/items`;
    const pages = Math.ceil(present.size / ITEMS_PER_PAGE);
    const items =
      keys.length <= pages
        ? (await Promise.all(keys.map((k) => this.client.allCursor<ListItem>(path, ITEMS_PER_PAGE, signal, { search: k })))).flat()
        : await this.client.allCursor<ListItem>(path, ITEMS_PER_PAGE, signal);
    const byKey = new Map<string, ListItem>();
    for (const it of items) {
      const key = it.ip === undefined ? null : keyOfItem(it.ip);
      if (key !== null) byKey.set(key, it);
    }
    for (const k of keys) {
      const p = present.get(k);
      if (!p || p.ref !== '') continue;
      const it = byKey.get(k);
      if (it) present.set(k, { ref: it.id, ours: p.ours });
      else present.delete(k); // never landed, or gone already
    }
  }

  /** Poll a bulk operation until it completed; throws if it failed or took too long. */
  private async waitFor(operationId: string, signal: AbortSignal): Promise<void> {
    // The time waited is the sum of the polls' waits (on the client's clock): a wall clock that jumps
    // neither ends the wait early nor makes it last the jump.
    const limit = this.s.operationTimeoutMs ?? 120_000;
    let waited = 0;
    let delay = 50;
    for (;;) {
      await sleep(delay, signal, this.client.clock);
      waited += delay;
      const { env } = await this.client.call<BulkOperation>('GET', `${this.base}/bulk_operations/${encodeURIComponent(operationId)}`, { signal });
      const op = env.result;
      if (op?.status === 'completed') return;
      if (op?.status === 'failed') throw cfErrors.F2B_ERR_CF_BULK_FAILED(operationId, op.error ?? 'no reason given');
      if (waited > limit) throw cfErrors.F2B_ERR_CF_UNAVAILABLE({ bulkOperation: operationId, seconds: Math.round(limit / 1000) });
      delay = Math.min(2000, delay * 2);
    }
  }
}

function checkKind(list: IpList): void {
  if (list.kind !== 'ip') {
    throw cfErrors.F2B_ERR_CF_OPTIONS(
      `the list "${list.name}" holds ${list.kind} items, not IP addresses`,
      'Choose another listName or listId; f2b creates a list named listName when none exists.',
    );
  }
}
