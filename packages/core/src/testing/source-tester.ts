/**
 * Runs a source plugin outside a daemon, the way a jail drives it: options checked against its
 * schema, a context that keeps every line, entry, overlong report and error delivered, and
 * `restart()`, which hands the new instance the state the old one saved (through JSON, as the state
 * store does), so "resumes exactly where it stopped" is one test:
 *
 *   const t = new SourceTester({ plugin: fileSource(), type: 'file', options: { paths: [log] } });
 *   await t.start();
 *   t.append(log, 'one', 'two');
 *   await t.expectLines(['one', 'two']);
 *   await t.stop(); t.append(log, 'three'); await t.restart();
 *   await t.expectLines(['three']);        // nothing again, nothing lost
 */
import { AssertionError, deepStrictEqual } from 'node:assert';
import { appendFileSync, writeFileSync } from 'node:fs';
import { Core } from '../core.js';
import { memoryLogger } from '../logger.js';
import type { F2bPlugin, SourceDefinition, SourceInstance } from '../plugin.js';
import type { LogEntry } from '../types.js';
import { checkOptions } from '../validate.js';
import type { Clock } from '../clock.js';

export interface SourceTesterOptions {
  plugin: F2bPlugin;
  /** The source type the plugin registers (`file`, `journald`). */
  type: string;
  options?: Record<string, unknown>;
  jail?: string;
  /** A saved state to start from, as `state()` returned it. */
  saved?: unknown;
  /** How long `expectLines`/`expectEntries`/`waitFor` wait for deliveries (default 5000 ms). */
  timeoutMs?: number;
}

export interface Delivered {
  line: string;
  /** The origin the source gave (a file path, `journal`). */
  origin: string;
  /**
   * What the delivery of this line said with it (`SourceContext.lines`' `more`): that the source
   * reads on at once. The last delivery of what was there must say false (or nothing).
   */
  more: boolean;
}

export class SourceTester {
  readonly def: SourceDefinition;
  readonly logger = memoryLogger('source-tester');
  /** Every line delivered (UTF-8, replacement characters for invalid bytes), across restarts. */
  readonly delivered: Delivered[] = [];
  readonly entries: LogEntry[] = [];
  readonly overlong: string[] = [];
  readonly errors: unknown[] = [];
  private instance: SourceInstance;
  private readonly clock: Clock;
  private running = false;
  /** How many lines / entries the `expect*` calls have already taken. */
  private takenLines = 0;
  private takenEntries = 0;

  constructor(private readonly opts: SourceTesterOptions) {
    const core = new Core({ logLevel: 'silent' });
    core.use(opts.plugin);
    const provided = core.getSource(opts.type);
    if (!provided) throw new Error(`The plugin ${opts.plugin.meta?.name ?? 'under test'} did not register the source "${opts.type}".`);
    this.def = provided.def;
    this.clock = core.clock;
    if (this.def.schema) checkOptions(this.def.schema, opts.options ?? {}, 'options', provided.plugin);
    this.instance = this.create(opts.saved);
  }

  private create(saved: unknown): SourceInstance {
    return this.def.create(this.opts.options ?? {}, {
      jail: this.opts.jail ?? 'test',
      path: 'options',
      lines: (lines, origin, more) => {
        for (const l of lines) this.delivered.push({ line: l.toString('utf8'), origin, more: more === true });
      },
      entries: (entries) => {
        this.entries.push(...entries);
      },
      overlong: (origin) => {
        this.overlong.push(origin);
      },
      logger: this.logger,
      clock: this.clock,
      error: (err) => {
        this.errors.push(err);
      },
      saved,
    });
  }

  /** The lines delivered, in order (across restarts). */
  get lines(): string[] {
    return this.delivered.map((d) => d.line);
  }

  async start(): Promise<void> {
    await this.instance.start();
    this.running = true;
  }
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      await this.instance.stop();
    }
  }
  /** Read what is there now, when the source can be asked to. */
  async poll(): Promise<void> {
    await this.instance.poll?.();
  }

  /** The state a checkpoint would save now, through JSON as the store keeps it. */
  state(): unknown {
    const s = this.instance.state?.();
    return s === undefined ? undefined : JSON.parse(JSON.stringify(s));
  }

  /** Stop (if running), then start a new instance from the state the old one saved last. */
  async restart(): Promise<void> {
    const saved = this.state();
    await this.stop();
    this.instance = this.create(saved);
    await this.start();
  }

  /** Feed a file source: append lines (each with its newline) to `path`. */
  append(path: string, ...lines: string[]): void {
    appendFileSync(path, lines.map((l) => `${l}\n`).join(''));
  }
  /** Replace the content of `path` with these lines. */
  write(path: string, ...lines: string[]): void {
    writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  }

  /** Wait (polling the source) until `cond` holds; fails with `what` and what arrived so far. */
  async waitFor(cond: () => boolean, what: string): Promise<void> {
    const timeout = this.opts.timeoutMs ?? 5000;
    const start = Date.now();
    while (!cond()) {
      if (Date.now() - start > timeout) {
        throw new AssertionError({ message: `${this.def.type} source: waited ${timeout} ms for ${what}; ${this.summary()}`, operator: 'SourceTester' });
      }
      await this.poll();
      if (!cond()) await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * The next lines delivered (since the last `expectLines`) are exactly these: waits until as many
   * have arrived, then compares, so a line delivered twice or lost shows as a difference.
   */
  async expectLines(expected: readonly string[]): Promise<void> {
    const from = this.takenLines;
    await this.waitFor(() => this.delivered.length - from >= expected.length, `${expected.length} more line(s)`);
    await this.poll();
    const got = this.delivered.slice(from).map((d) => d.line);
    this.takenLines = this.delivered.length;
    deepStrictEqual(got, [...expected], `${this.def.type} source delivered other lines than expected; ${this.summary()}`);
  }

  /** Like `expectLines`, for sources that deliver parsed entries: their messages. */
  async expectEntries(expected: readonly string[]): Promise<void> {
    const from = this.takenEntries;
    await this.waitFor(() => this.entries.length - from >= expected.length, `${expected.length} more entr(ies)`);
    await this.poll();
    const got = this.entries.slice(from).map((e) => e.message.toString('utf8'));
    this.takenEntries = this.entries.length;
    deepStrictEqual(got, [...expected], `${this.def.type} source delivered other entries than expected; ${this.summary()}`);
  }

  private summary(): string {
    const errs = this.errors.map((e) => (e instanceof Error ? e.message : String(e)));
    return `${this.delivered.length} line(s) and ${this.entries.length} entr(ies) delivered so far, errors: ${errs.length === 0 ? 'none' : errs.join('; ')}`;
  }
}
