/**
 * One `ipset` action instance (one per jail that lists it): two sets (`f2b-<jail>-v4`, `-v6`, with
 * kernel timeouts) and one iptables / ip6tables rule per family (per protocol with ports) that drops
 * or rejects what they hold.
 *
 * Batching: `ban`/`unban` only change what f2b wants and mark elements; a flush turns everything
 * marked into ONE `ipset restore -exist` script on stdin, however many bans arrived meanwhile.
 * `-exist` makes every line idempotent (re-adding refreshes the timeout, deleting an absent element
 * is no error), which is what the outbox's at-least-once delivery needs.
 *
 * Fail-safe: each element carries the ban's remaining time as kernel timeout, unless the ban is
 * permanent or longer than ipset accepts (MAX_TIMEOUT_S): those go in without one and f2b's own unban
 * ends them. Its end is kept in the element's comment, so a restart recovers it exactly.
 *
 * Repair: every checkInterval (and after any failure) the sets, the rules and the elements are
 * compared with what f2b holds; a missing set or rule is recreated and the active bans re-added.
 * Failures are reported once per streak and retried with backoff; nothing throws into the jail.
 */
import type { ActionContext, ActionInstance, Ban, ListedBan, Unban } from '@f2b/core';
import { ActionHealth, SerialBatcher, type F2bError } from '@f2b/kit';
import { choosePrograms, FAMILIES, type Programs } from './backend.js';
import { ipsetErrors, toolMessage } from './errors.js';
import { normalizeOptions, type IpsetConfig, type IpsetOptions, type V } from './options.js';
import { run, runOk, ToolError } from './run.js';
import { addLine, createLine, delLine, elementOf, headerProblem, listedBans, parseSave, ruleSpecs, timeoutFor } from './script.js';

interface Wanted {
  v: V;
  text: string;
  end: number | null;
  inKernel: boolean;
  gen: number;
}
interface Line {
  key: string;
  v: V;
  text: string;
  line: string;
  del: boolean;
  gen: number;
}

export interface IpsetStats {
  /** `ipset restore` runs that succeeded. */
  batches: number;
  /** Lines they applied (adds and deletes). */
  lines: number;
  /** Checks that found a set, rule or element missing and recreated it. */
  repairs: number;
  /** Elements ipset refused (left out, each reported once). */
  refused: number;
}

export interface CheckResult {
  ok: boolean;
  repaired: string[];
}

const keyOf = (v: V, text: string) => `${v} ${text}`;

export class IpsetAction implements ActionInstance {
  readonly config: IpsetConfig;
  readonly stats: IpsetStats = { batches: 0, lines: 0, repairs: 0, refused: 0 };
  private readonly ctx: ActionContext;
  private readonly wanted = new Map<string, Wanted>();
  private readonly toAdd = new Set<string>();
  private readonly toDel = new Map<string, { v: V; text: string }>();
  private readonly refused = new Set<string>();
  /** The failure streak (reported once, retried with backoff) and the periodic check: kit's, shared with nftables. */
  private readonly health: ActionHealth;
  private programs?: Programs;
  /** One ipset run at a time; one flush per burst of bans (see SerialBatcher). */
  private readonly batcher = new SerialBatcher(
    () => this.flushMarked(),
    (err) => this.ctx.error(err),
  );
  private structureOk = false;
  private checked = false;
  private stopped = false;
  private gen = 0;

  constructor(options: IpsetOptions, ctx: ActionContext) {
    this.config = normalizeOptions(options, ctx.jail);
    this.ctx = ctx;
    this.health = new ActionHealth(ctx, {
      name: `ipset action for ${this.config.name}`,
      retryDelayMs: this.config.retryDelayMs,
      retryMaxDelayMs: this.config.retryMaxDelayMs,
      checkIntervalMs: this.config.checkIntervalMs,
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.serial(() => this.doCheck(false));
    if (this.pending() > 0) await this.requestFlush();
    this.armCheck();
  }

  /** Removes the jail's rules and destroys its sets (the bans are restored from f2b's state at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.health.stop();
    await this.serial(async () => {
      try {
        const programs = await this.iptables();
        for (const v of FAMILIES) {
          // check() inserts a rule only where `-C` finds none, so there is one to delete (or none: a status 1).
          for (const spec of ruleSpecs(this.config, v)) await run(this.config, programs[v], ['-w', '-D', this.config.chain, ...spec]);
        }
        // One restore for both sets; -exist: a set already gone is no error.
        const r = await run(this.config, this.config.ipsetPath, ['restore', '-exist'], FAMILIES.map((v) => `destroy ${this.config.sets[v]}`).join('\n') + '\n');
        if (r.code !== 0) this.ctx.logger.warn(`Could not destroy the ipsets of ${this.config.name}: ${toolMessage(r.stderr)}.`);
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        if (this.health.isNews(err.error)) this.ctx.error(err.error);
      }
    });
    this.wanted.clear();
    this.toAdd.clear();
    this.toDel.clear();
    this.structureOk = this.checked = false;
  }

  ban(bans: readonly Ban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const b of bans) {
      const el = elementOf(b.id, this.config.setType);
      if ('error' in el) {
        this.ctx.error(ipsetErrors.F2B_ERR_IPSET_ADDRESS(b.id, el.error));
        continue;
      }
      const key = keyOf(el.v, el.text);
      const prev = this.wanted.get(key);
      // Two ids can name one element (hash:net); the later end wins, as it would in the kernel.
      const end = prev === undefined ? b.end : prev.end === null || b.end === null ? null : Math.max(prev.end, b.end);
      this.wanted.set(key, { v: el.v, text: el.text, end, inKernel: prev?.inKernel ?? false, gen: ++this.gen });
      this.toAdd.add(key);
      this.toDel.delete(key);
      this.refused.delete(key);
    }
    return this.requestFlush();
  }

  unban(unbans: readonly Unban[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    for (const u of unbans) {
      const el = elementOf(u.id, this.config.setType);
      if ('error' in el) continue;
      const key = keyOf(el.v, el.text);
      this.wanted.delete(key);
      this.toAdd.delete(key);
      this.refused.delete(key);
      this.toDel.set(key, el);
    }
    return this.requestFlush();
  }

  /** What the sets hold now, as bans (for recovery when f2b's state database was lost). */
  async listBanned(): Promise<ListedBan[]> {
    const out: ListedBan[] = [];
    const now = this.ctx.clock.now();
    for (const v of FAMILIES) {
      const r = await run(this.config, this.config.ipsetPath, ['save', this.config.sets[v]]);
      if (r.code !== 0) continue; // no such set: nothing enforced
      const saved = parseSave(r.stdout, this.config.sets[v]);
      if (saved) out.push(...listedBans(saved, now));
    }
    return out;
  }

  /** Verifies sets, rules and elements and recreates what is missing, re-adding the active bans. */
  async check(): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    const result = await this.serial(() => this.doCheck(true));
    if (this.pending() > 0) await this.requestFlush();
    return result;
  }

  /** Elements still waiting to reach the kernel (or to leave it). */
  pending(): number {
    return this.toAdd.size + this.toDel.size;
  }

  /** Resolves when everything queued so far has been tried once. */
  flush(): Promise<void> {
    return this.requestFlush();
  }

  /** The iptables variant in use (after start). */
  variant(): string | undefined {
    return this.programs?.variant;
  }

  // -------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.batcher.serial(fn);
  }

  private requestFlush(): Promise<void> {
    return this.batcher.requestFlush();
  }

  private async flushMarked(): Promise<void> {
    if (this.stopped || this.pending() === 0) return;
    if (!this.structureOk && !(await this.doCheck(false)).ok) return;
    let lines = this.lines();
    let repairedOnce = false;
    while (lines.length > 0) {
      try {
        await runOk(this.config, this.config.ipsetPath, ['restore', '-exist'], 'apply bans', lines.map((l) => l.line).join('\n') + '\n');
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        if (!err.rejected) return this.fail(err.error);
        const at = /Error in line ([0-9]+):/.exec(err.stderr);
        const bad = at ? lines[Number(at[1]) - 1] : undefined;
        if (bad && !/set with the given name does not exist/i.test(err.stderr)) {
          this.refuse(bad, toolMessage(err.stderr.slice(err.stderr.indexOf(at![0]) + at![0].length)));
          lines = lines.filter((l) => l !== bad);
          continue;
        }
        // A set destroyed meanwhile fails every line alike: repair once, then try again.
        if (!repairedOnce && (await this.doCheck(true)).ok) {
          repairedOnce = true;
          lines = this.lines();
          continue;
        }
        return this.fail(err.error);
      }
      this.commit(lines);
      break;
    }
    this.healthy();
  }

  /** The script lines of everything marked (bans already ended are dropped: the unban follows). */
  private lines(): Line[] {
    const now = this.ctx.clock.now();
    const out: Line[] = [];
    for (const key of this.toAdd) {
      const w = this.wanted.get(key);
      const timeout = w === undefined ? null : timeoutFor(w.end, now);
      if (w === undefined || timeout === null) {
        this.toAdd.delete(key);
        continue;
      }
      out.push({ key, v: w.v, text: w.text, line: addLine(this.config.sets[w.v], w.text, timeout, w.end), del: false, gen: w.gen });
    }
    for (const [key, d] of this.toDel) out.push({ key, v: d.v, text: d.text, line: delLine(this.config.sets[d.v], d.text), del: true, gen: 0 });
    return out;
  }

  private commit(lines: readonly Line[]): void {
    for (const l of lines) {
      if (l.del) {
        if (!this.wanted.has(l.key)) this.toDel.delete(l.key);
        continue;
      }
      const w = this.wanted.get(l.key);
      if (w !== undefined) w.inKernel = true;
      // Banned again while ipset ran: the newer end is still to be written.
      if (w?.gen === l.gen) this.toAdd.delete(l.key);
    }
    this.stats.batches++;
    this.stats.lines += lines.length;
    this.ctx.logger.debug(`ipset: ${lines.length} element(s) added, refreshed or removed in one restore.`);
  }

  private refuse(line: Line, detail: string): void {
    this.toAdd.delete(line.key);
    this.toDel.delete(line.key);
    if (this.refused.has(line.key)) return;
    this.refused.add(line.key);
    this.stats.refused++;
    this.ctx.error(ipsetErrors.F2B_ERR_IPSET_ELEMENT(line.text, this.config.sets[line.v], detail));
  }

  // -------------------------------------------------------------------------------------------
  // Structure and element check, repair
  // -------------------------------------------------------------------------------------------

  private async iptables(): Promise<Programs> {
    if (this.programs === undefined) {
      this.programs = await choosePrograms(this.config);
      this.ctx.logger.debug(`ipset action for ${this.config.name}: using ${this.programs[4]} / ${this.programs[6]} (${this.programs.variant}).`);
    }
    return this.programs;
  }

  /** Checks the sets and rules (with `elements`, their members too) and recreates what is missing. */
  private async doCheck(elements: boolean): Promise<CheckResult> {
    if (this.stopped) return { ok: false, repaired: [] };
    const cfg = this.config;
    const repaired: string[] = [];
    try {
      const names = new Set((await runOk(cfg, cfg.ipsetPath, ['list', '-n'], 'list the sets')).stdout.split('\n'));
      const fresh = FAMILIES.filter((v) => !names.has(cfg.sets[v]));
      const saved = new Map<V, Set<string>>();
      for (const v of FAMILIES.filter((x) => !fresh.includes(x))) {
        if (!elements && this.checked) continue;
        const s = parseSave((await runOk(cfg, cfg.ipsetPath, ['save', cfg.sets[v]], `list the set ${cfg.sets[v]}`)).stdout, cfg.sets[v]);
        const problem = s === null ? 'unreadable' : headerProblem(cfg, v, s.header);
        if (problem !== null) {
          this.structureOk = false;
          this.fail(
            ipsetErrors.F2B_ERR_IPSET_SET_MISMATCH(cfg.sets[v], problem, `${cfg.setType} family ${v === 4 ? 'inet' : 'inet6'} with timeout and comment`),
          );
          return { ok: false, repaired: [] };
        }
        saved.set(v, new Set(s!.members.map((m) => m.text)));
      }
      if (fresh.length > 0) {
        await runOk(cfg, cfg.ipsetPath, ['restore', '-exist'], 'create the sets', fresh.map((v) => createLine(cfg, v)).join('\n') + '\n');
        repaired.push(...fresh.map((v) => `set ${cfg.sets[v]}`));
      }
      const programs = await this.iptables();
      for (const v of FAMILIES) {
        for (const spec of ruleSpecs(cfg, v)) {
          if ((await run(cfg, programs[v], ['-w', '-C', cfg.chain, ...spec])).code === 0) continue;
          await runOk(cfg, programs[v], ['-w', '-I', cfg.chain, '1', ...spec], `insert the rule of ${cfg.sets[v]} into ${cfg.chain}`);
          repaired.push(`${programs[v]} rule in ${cfg.chain}`);
        }
      }
      let readd = 0;
      for (const [key, w] of this.wanted) {
        const members = saved.get(w.v);
        if (fresh.includes(w.v) || (elements && w.inKernel && members !== undefined && !members.has(w.text))) {
          if (w.inKernel) readd++;
          w.inKernel = false;
          this.toAdd.add(key);
        }
      }
      if (elements) this.dropStrays(saved, repaired);
      if (this.checked && (repaired.length > 0 || readd > 0)) {
        this.stats.repairs++;
        this.ctx.logger.warn(`ipset action for ${cfg.name}: repaired ${[...repaired, ...(readd > 0 ? [`${readd} missing ban(s) re-added`] : [])].join(', ')}.`);
      }
      this.checked = true;
      this.structureOk = true;
      return { ok: true, repaired };
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      this.structureOk = false;
      this.fail(err.error);
      return { ok: false, repaired: [] };
    }
  }

  /** Elements in f2b's sets that no ban of f2b's accounts for (an unban lost with a crash): removed. */
  private dropStrays(saved: Map<V, Set<string>>, repaired: string[]): void {
    let strays = 0;
    for (const [v, members] of saved) {
      for (const text of members) {
        const key = keyOf(v, text);
        if (this.wanted.has(key) || this.toDel.has(key)) continue;
        this.toDel.set(key, { v, text });
        strays++;
      }
    }
    if (strays > 0) repaired.push(`${strays} element(s) without a ban removed`);
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
        if ((await this.doCheck(true)).ok && this.pending() > 0) await this.flushMarked();
        else if (this.structureOk && this.pending() === 0) this.healthy();
      }).catch((err: unknown) => this.ctx.error(err));
    });
  }

  private healthy(): void {
    if (this.pending() > 0) return;
    this.health.healthy();
  }
}
