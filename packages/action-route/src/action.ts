/**
 * One `route` action instance (one per jail that lists it): a `blackhole`, `unreachable` or
 * `prohibit` route per banned address or network, in the main table or another, marked as f2b's by
 * its route protocol number (`proto 242` by default) and the jail by its metric, so f2b can list
 * and repair a jail's routes without ever touching anyone else's.
 *
 * Batching: `ban`/`unban` only change what f2b wants and mark destinations; a flush turns everything
 * marked into ONE `ip -force -batch -` run on stdin. `route replace` and deleting an absent route
 * (ignored) make every line idempotent, which is what the outbox's at-least-once delivery needs.
 * With `-force`, ip goes on after a failed line; such a line is left out and reported once.
 *
 * Routes have no timeout in the kernel: they end with f2b's unban (a restart unbans what expired
 * while f2b was stopped). Every checkInterval (and after any failure) the routes are listed and
 * compared with what f2b holds: a missing one is added again, one no ban accounts for is removed.
 */
import type { ActionContext, ActionInstance, Ban, ListedBan, Unban } from '@f2b/core';
import { ActionHealth, SerialBatcher, type F2bError } from '@f2b/kit';
import { ipMessage, routeErrors } from './errors.js';
import { normalizeOptions, type RouteConfig, type RouteOptions } from './options.js';
import { IpError, runIp } from './run.js';
import { delLine, dstOf, failedLines, isAbsent, parseRoutes, replaceLine, type Dst } from './script.js';

interface Line {
  dst: string;
  line: string;
  del: boolean;
  gen: number;
}

export interface RouteStats {
  /** `ip -batch` runs. */
  batches: number;
  /** Lines they applied. */
  lines: number;
  /** Checks that found routes missing (or stray) and fixed them. */
  repairs: number;
  /** Routes ip refused (left out, each reported once). */
  refused: number;
}

export interface CheckResult {
  ok: boolean;
  readded: number;
  removed: number;
}

export class RouteAction implements ActionInstance {
  readonly config: RouteConfig;
  readonly stats: RouteStats = { batches: 0, lines: 0, repairs: 0, refused: 0 };
  private readonly ctx: ActionContext;
  /** Destination text → the generation of its latest ban. */
  private readonly wanted = new Map<string, number>();
  private readonly toAdd = new Set<string>();
  private readonly toDel = new Set<string>();
  private readonly refused = new Set<string>();
  /** The failure streak (reported once, retried with backoff) and the periodic check: kit's, shared with nftables. */
  private readonly health: ActionHealth;
  /** One ip run at a time; one flush per burst of bans (see SerialBatcher). */
  private readonly batcher = new SerialBatcher(
    () => this.flushMarked(),
    (err) => this.ctx.error(err),
  );
  private stopped = false;
  private gen = 0;

  constructor(options: RouteOptions, ctx: ActionContext) {
    this.config = normalizeOptions(options, ctx.jail);
    this.ctx = ctx;
    this.health = new ActionHealth(ctx, {
      name: `route action for jail ${ctx.jail}`,
      retryDelayMs: this.config.retryDelayMs,
      retryMaxDelayMs: this.config.retryMaxDelayMs,
      checkIntervalMs: this.config.checkIntervalMs,
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    // A first listing says early (in the foreground) whether ip, the namespace and the table work.
    await this.serial(async () => {
      try {
        await this.listRoutes();
      } catch (err) {
        if (!(err instanceof IpError)) throw err;
        this.fail(err.error);
      }
    });
    if (this.pending() > 0) await this.requestFlush();
    this.armCheck();
  }

  /** Removes the jail's routes (they are restored from f2b's state at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.health.stop();
    await this.serial(async () => {
      const mine = [...this.wanted.keys(), ...this.toDel];
      try {
        if (mine.length > 0) await this.batch(mine.map((d) => ({ dst: d, line: delLine(this.config, d), del: true, gen: 0 })));
      } catch (err) {
        if (!(err instanceof IpError)) throw err;
        if (this.health.isNews(err.error)) this.ctx.error(err.error);
      }
    });
    this.wanted.clear();
    this.toAdd.clear();
    this.toDel.clear();
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const b of bans) {
      const d = dstOf(b.id);
      if (d === null) {
        this.ctx.error(routeErrors.F2B_ERR_ROUTE_ADDRESS(b.id));
        continue;
      }
      this.wanted.set(d.text, ++this.gen);
      this.toAdd.add(d.text);
      this.toDel.delete(d.text);
      this.refused.delete(d.text);
    }
    return this.requestFlush();
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const u of unbans) {
      const d = dstOf(u.id);
      if (d === null) continue;
      this.wanted.delete(d.text);
      this.toAdd.delete(d.text);
      this.refused.delete(d.text);
      this.toDel.add(d.text);
    }
    return this.requestFlush();
  }

  /**
   * f2b's routes now, as bans (for recovery when the state database was lost). A route carries no
   * end, so each gets the jail's bantime from now.
   */
  async listBanned(): Promise<ListedBan[]> {
    return (await this.listRoutes()).map((d) => ({ id: d.text }));
  }

  /** Lists f2b's routes, adds back the missing ones and removes those no ban accounts for. */
  async check(): Promise<CheckResult> {
    if (this.stopped) return { ok: false, readded: 0, removed: 0 };
    const result = await this.serial(() => this.doCheck());
    if (this.pending() > 0) await this.requestFlush();
    return result;
  }

  pending(): number {
    return this.toAdd.size + this.toDel.size;
  }

  flush(): Promise<void> {
    return this.requestFlush();
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.batcher.serial(fn);
  }

  private requestFlush(): Promise<void> {
    return this.batcher.requestFlush();
  }

  private async listRoutes(): Promise<Dst[]> {
    const out: Dst[] = [];
    for (const v of [4, 6] as const) {
      const r = await runIp(this.config, ['-j', `-${v}`, 'route', 'show', 'table', this.config.table, 'proto', String(this.config.proto)]);
      // A numbered table comes to exist with its first route: until then it holds none of f2b's.
      if (r.code !== 0 && /FIB table does not exist/.test(r.stderr)) continue;
      if (r.code !== 0) throw new IpError(routeErrors.F2B_ERR_ROUTE_FAILED(`list the routes of table ${this.config.table}`, ipMessage(r.stderr)), r.stderr);
      try {
        out.push(...parseRoutes(r.stdout, this.config.metric).filter((d) => d.v === v));
      } catch (cause) {
        throw new IpError(Object.assign(routeErrors.F2B_ERR_ROUTE_FAILED('list the routes', `its JSON output did not parse (${String(cause)})`), { cause }));
      }
    }
    return out;
  }

  /** Runs one batch; the failed lines come back (ip went on past them: `-force`). */
  private async batch(lines: readonly Line[]): Promise<{ line: Line; message: string }[]> {
    const r = await runIp(this.config, ['-force', '-batch', '-'], lines.map((l) => l.line).join('\n') + '\n');
    if (r.code === 0) return [];
    const failed = failedLines(r.stderr);
    if (failed.length === 0) throw new IpError(routeErrors.F2B_ERR_ROUTE_FAILED('apply routes', ipMessage(r.stderr)), r.stderr);
    return failed.map((f) => ({ line: lines[f.line - 1]!, message: f.message })).filter((f) => f.line !== undefined);
  }

  private async flushMarked(): Promise<void> {
    if (this.stopped || this.pending() === 0) return;
    const lines: Line[] = [
      ...[...this.toAdd].map((d) => ({ dst: d, line: replaceLine(this.config, d), del: false, gen: this.wanted.get(d) ?? 0 })),
      ...[...this.toDel].map((d) => ({ dst: d, line: delLine(this.config, d), del: true, gen: 0 })),
    ];
    let failed: { line: Line; message: string }[];
    try {
      failed = await this.batch(lines);
    } catch (err) {
      if (!(err instanceof IpError)) throw err;
      return this.fail(err.error);
    }
    const bad = new Set<Line>();
    for (const f of failed) {
      if (f.line.del && isAbsent(f.message)) continue; // already gone: what the unban wanted
      bad.add(f.line);
      this.refuse(f.line, ipMessage(f.message));
    }
    for (const l of lines) {
      if (bad.has(l)) continue;
      if (l.del) {
        if (!this.wanted.has(l.dst)) this.toDel.delete(l.dst);
      } else if (this.wanted.get(l.dst) === l.gen) this.toAdd.delete(l.dst); // banned again meanwhile: stays marked
    }
    this.stats.batches++;
    this.stats.lines += lines.length;
    this.ctx.logger.debug(`route: ${lines.length - bad.size} route(s) added or removed in one ip -batch.`);
    if (this.pending() === 0) this.healthy();
  }

  private refuse(line: Line, detail: string): void {
    this.toAdd.delete(line.dst);
    this.toDel.delete(line.dst);
    if (this.refused.has(line.dst)) return;
    this.refused.add(line.dst);
    this.stats.refused++;
    this.ctx.error(routeErrors.F2B_ERR_ROUTE_ELEMENT(line.dst, detail));
  }

  private async doCheck(): Promise<CheckResult> {
    let present: Dst[];
    try {
      present = await this.listRoutes();
    } catch (err) {
      if (!(err instanceof IpError)) throw err;
      this.fail(err.error);
      return { ok: false, readded: 0, removed: 0 };
    }
    const have = new Set(present.map((d) => d.text));
    let readded = 0,
      removed = 0;
    for (const d of this.wanted.keys()) {
      if (have.has(d) || this.toAdd.has(d) || this.refused.has(d)) continue;
      this.toAdd.add(d);
      readded++;
    }
    for (const d of have) {
      if (this.wanted.has(d) || this.toDel.has(d)) continue;
      this.toDel.add(d);
      removed++;
    }
    if (readded + removed > 0) {
      this.stats.repairs++;
      this.ctx.logger.warn(`route action for jail ${this.ctx.jail}: ${readded} missing route(s) added back, ${removed} route(s) without a ban removed.`);
    }
    return { ok: true, readded, removed };
  }

  private armCheck(): void {
    if (this.stopped) return;
    this.health.armCheck(async () => {
      if (!this.stopped) await this.check();
    });
  }

  private fail(error: F2bError): void {
    this.health.failed(error);
    if (this.stopped) return;
    this.health.scheduleRetry(() => {
      if (this.stopped) return;
      void this.serial(async () => {
        if ((await this.doCheck()).ok) {
          if (this.pending() > 0) await this.flushMarked();
          else this.healthy();
        }
      }).catch((err: unknown) => this.ctx.error(err));
    });
  }

  private healthy(): void {
    this.health.healthy();
  }
}
