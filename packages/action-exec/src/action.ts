/**
 * One `exec` action instance (one per jail that lists it). Per ban or per batch it expands the
 * command's placeholders, checks that the program may be run, runs it with the timeout and the
 * environment whitelist, and turns a failing exit into an error — which leaves the work in the
 * jail's durable outbox, retried every 30 s and at start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sanitizeLine } from '@f2b/kit';
import type { ActionContext, ActionInstance, Ban, Unban } from '@f2b/core';
import { execErrors } from './errors.js';
import { normalizeOptions, programEnv, type ExecConfig, type ExecOptions } from './options.js';
import { expand, type CommandTemplate, type Placeholder } from './placeholders.js';
import { checkProgram } from './program.js';
import { RecentlyDone } from './recently-done.js';
import { runProgram, type RunResult } from './run.js';
import { addressOf, banValues, jailValue, unbanValues } from './values.js';

type Op = 'ban' | 'unban' | 'start' | 'stop' | 'check';

/** Where a call's output may be shown: its first part, escaped, on one line. */
function shown(text: string, max = 400): string {
  const one = sanitizeLine(text.trim());
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

export class ExecAction implements ActionInstance {
  readonly config: ExecConfig;
  private readonly ctx: ActionContext;
  private readonly euid: number;
  private readonly done = new RecentlyDone();
  private started = false;
  /** Calls run so far (for tests and status). */
  readonly stats = { runs: 0, failures: 0, timeouts: 0 };

  constructor(options: ExecOptions, ctx: ActionContext, euid = typeof process.geteuid === 'function' ? process.geteuid() : 0) {
    this.config = normalizeOptions(options);
    this.ctx = ctx;
    this.euid = euid;
    // Refused at load, with exit class usage, rather than at the first ban.
    for (const cmd of this.commands()) this.program(cmd);
  }

  async start(): Promise<void> {
    if (this.config.start) await this.run('start', this.config.start, {});
    this.started = true;
  }

  async stop(): Promise<void> {
    if (this.config.stop && this.started) await this.run('stop', this.config.stop, {});
    this.started = false;
  }

  async ban(bans: readonly Ban[]): Promise<void> {
    const cmd = this.config.ban;
    if (!cmd || bans.length === 0) return;
    await this.ready();
    const key = (b: Ban) => `ban\0${b.jail}\0${b.id}\0${b.start}\0${b.end}`;
    await this.each('ban', cmd, bans, key, banValues);
  }

  async unban(unbans: readonly Unban[]): Promise<void> {
    const cmd = this.config.unban;
    if (!cmd || unbans.length === 0) return;
    await this.ready();
    const key = (u: Unban) => `unban\0${u.jail}\0${u.id}\0${u.time}`;
    await this.each('unban', cmd, unbans, key, unbanValues);
  }

  /** Start (again) when it has not succeeded yet; run `check`, and `start` again when it fails. */
  private async ready(): Promise<void> {
    if (!this.started) await this.start();
    const check = this.config.check;
    if (!check) return;
    try {
      await this.run('check', check, {});
    } catch (first) {
      this.ctx.logger.warn(`The check command failed; running the start command again. ${shown((first as Error).message)}`);
      if (this.config.start) await this.run('start', this.config.start, {});
      try {
        await this.run('check', check, {});
      } catch (again) {
        throw execErrors.F2B_ERR_EXEC_CHECK(check.program, shown((again as Error).message));
      }
    }
  }

  private async each<T extends Ban | Unban>(
    op: 'ban' | 'unban',
    cmd: CommandTemplate,
    items: readonly T[],
    keyOf: (x: T) => string,
    valuesOf: (x: T) => Partial<Record<Placeholder, string>>,
  ): Promise<void> {
    const todo = items.filter((x) => !this.done.has(keyOf(x)));
    if (this.config.batch === 'none') {
      const errors: unknown[] = [];
      let next = 0;
      const worker = async () => {
        while (next < todo.length) {
          const item = todo[next++]!;
          let values;
          try {
            values = valuesOf(item);
          } catch (err) {
            // Never run: a value that cannot be passed safely is reported once and left out.
            this.ctx.error(err);
            this.done.add(keyOf(item));
            continue;
          }
          try {
            await this.run(op, cmd, values);
            this.done.add(keyOf(item));
          } catch (err) {
            errors.push(err);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.config.concurrency, todo.length) }, worker));
      if (errors.length > 1) this.ctx.logger.warn(`${errors.length} of ${todo.length} ${op} calls failed; the first is reported, and all of them are retried.`);
      if (errors.length > 0) throw errors[0];
      return;
    }
    for (let i = 0; i < todo.length; i += this.config.batchSize) {
      const part = todo.slice(i, i + this.config.batchSize);
      const ips: string[] = [];
      const sent: T[] = [];
      for (const item of part) {
        try {
          ips.push(addressOf(item.id).text);
          jailValue(item.jail);
          sent.push(item);
        } catch (err) {
          this.ctx.error(err);
          this.done.add(keyOf(item));
        }
      }
      if (sent.length === 0) continue;
      await this.runBatch(op, cmd, ips);
      for (const item of sent) this.done.add(keyOf(item));
    }
  }

  private async runBatch(op: 'ban' | 'unban', cmd: CommandTemplate, ips: readonly string[]): Promise<void> {
    const list = ips.map((ip) => `${ip}\n`).join('');
    const values = { jail: jailValue(this.ctx.jail), count: String(ips.length) };
    if (this.config.batch === 'stdin') {
      await this.run(op, cmd, values, list);
      return;
    }
    // A private directory (0700) of its own: nobody else can read, replace or pre-create the file.
    const dir = mkdtempSync(join(tmpdir(), 'f2b-exec-'));
    try {
      const file = join(dir, `${op}.txt`);
      writeFileSync(file, list, { mode: 0o600, flag: 'wx' });
      await this.run(op, cmd, { ...values, ips: file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Runs one command; resolves on an accepted exit, throws an F2bError otherwise. */
  private async run(op: Op, cmd: CommandTemplate, values: Partial<Record<Placeholder, string>>, stdin?: string): Promise<RunResult> {
    const file = this.program(cmd);
    const jail = this.ctx.jail;
    this.stats.runs++;
    const r = await runProgram({
      file,
      argv0: cmd.program,
      args: expand(cmd, { jail, ...values }),
      stdin,
      env: programEnv(this.config, process.env, op, jail),
      cwd: this.config.cwd,
      timeoutMs: this.config.timeoutMs,
      maxOutput: this.config.maxOutput,
      clock: this.ctx.clock,
    });
    const output = [r.stdout && `stdout: ${shown(r.stdout)}`, r.stderr && `stderr: ${shown(r.stderr)}`].filter(Boolean).join('; ');
    if (r.spawnError) {
      this.stats.failures++;
      throw execErrors.F2B_ERR_EXEC_PROGRAM(cmd.program, `it could not be started (${r.spawnError.code ?? r.spawnError.message})`);
    }
    if (r.timedOut) {
      this.stats.timeouts++;
      throw execErrors.F2B_ERR_EXEC_TIMEOUT(op, cmd.program, this.config.timeoutMs);
    }
    if (r.code === null || !this.config.okExitCodes.has(r.code)) {
      this.stats.failures++;
      const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with ${r.code}`;
      throw execErrors.F2B_ERR_EXEC_FAILED(op, cmd.program, how, shown(r.stderr || r.stdout));
    }
    this.ctx.logger.debug(
      `Ran the ${op} command ${shown(JSON.stringify(cmd.program))}: exit ${r.code}${output ? ` (${output}${r.dropped > 0 ? `; ${r.dropped} more byte(s) not kept` : ''})` : ''}.`,
    );
    return r;
  }

  /** The real path to run, checked now (it may have changed since the last call). */
  private program(cmd: CommandTemplate): string {
    const check = checkProgram(cmd.program, this.euid);
    if (!check.ok) throw execErrors.F2B_ERR_EXEC_PROGRAM(cmd.program, check.problem);
    return check.realPath;
  }

  private commands(): CommandTemplate[] {
    const c = this.config;
    return [c.ban, c.unban, c.start, c.stop, c.check].filter((x): x is CommandTemplate => x !== undefined);
  }
}
