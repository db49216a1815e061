/**
 * The journald source: runs journalctl, turns its JSON records into entries, hands them to the jail
 * in batches and remembers the cursor of the last record it handed on.
 *
 * Every (re)start has two steps. First a catch-up run without `--follow` reads from the position to
 * the current end of the journal and exits; then a `--follow` run goes on from the last cursor. The
 * catch-up matters because `journalctl --follow` only shows the current boot (unless `--merge`):
 * entries logged after the cursor but before a reboot would be skipped by a follow run alone. On a
 * first start the catch-up is a `--lines=1` query for the newest matching entry, which becomes the
 * position without being handed on: reading starts exactly at "now", and `start()` returns once
 * that position is known, so nothing logged after `start()` can be missed.
 *
 * While the jail processes a batch, journalctl's output isn't read (async iteration pulls only when
 * the batch is done), so the pipe fills and journalctl waits: a slow filter slows the reader, not
 * memory. A record counts as processed once `entries()` returned; only then does its cursor become
 * the position (`state()`, `cursor()`, `stateFile`). If journalctl exits or can't be started, the
 * error is reported once per failure streak and journalctl is restarted with exponential backoff,
 * from the position.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { F2bError, JournalRecord, LogEntry, Logger, MaybePromise, SourceInstance } from '@f2b/core';
import { FailureStreak, systemClock, type Clock, type TimerHandle } from '@f2b/kit';
import { journaldErrors } from './errors.js';
import { LineSplitter } from './splitter.js';
import { parseRecord, recordCursor, recordToEntry } from './record.js';
import { CursorFile } from './state-file.js';
import { commandLine, CURSOR, journalctlArgs, type Position, type ResolvedOptions } from './options.js';

export interface JournaldContext {
  jail: string;
  /** Deliver parsed entries; a returned promise makes the source wait (back-pressure). */
  entries(entries: LogEntry[]): MaybePromise<void>;
  logger: Logger;
  error(err: unknown): void;
  /** What `state()` returned before a restart (from the state store). */
  saved?: unknown;
  /** The core's clock: restart backoff, the healthy timer and the lag read it (a `FakeClock` in tests). */
  clock?: Clock;
}

/** Timing knobs that are not user options (tests shorten them). */
export interface JournaldTuning {
  /** A follow run alive this long resets the backoff and ends the failure streak, ms. */
  healthyAfter?: number;
  /** After SIGTERM at stop, SIGKILL journalctl after this long, ms. */
  killTimeout?: number;
}

/** The position as saved by the state store. */
export type JournaldState = { cursor: string } | { since: string };

export interface JournaldStatus {
  phase: 'stopped' | 'starting' | 'catch-up' | 'follow' | 'waiting';
  /** Process id of the running journalctl. */
  pid?: number;
  /** journalctl processes started so far. */
  runs: number;
  /** Runs that ended in a failure. */
  failures: number;
  /** Entries handed to the jail. */
  delivered: number;
  cursor?: string;
}

interface RunState {
  /** Drop the first record if it has this cursor (the entry `--cursor` starts at). */
  skip?: string;
  /** Only take the cursor of the newest record (the `--lines=1` positioning query). */
  positionOnly: boolean;
  records: number;
  badLines: number;
}

interface RunResult {
  spawnError?: NodeJS.ErrnoException;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string[];
  /** Records journalctl printed. */
  records: number;
}

const SIGNALS_FROM_OUTSIDE = new Set(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE']);
const STDERR_LOGGED = 5;

export class JournaldSource implements SourceInstance {
  private readonly opts: ResolvedOptions;
  private readonly ctx: JournaldContext;
  private readonly log: Logger;
  private readonly healthyAfter: number;
  private readonly killTimeout: number;
  private readonly file?: CursorFile;
  private readonly clock: Clock;
  private position: Position = { kind: 'tail' };
  /** The options/saved state were read (a second start() goes on from the position). */
  private positioned = false;
  private phase: JournaldStatus['phase'] = 'stopped';
  /** Journal time of the last entry handed to the jail (lag while catching up). */
  private lastEntryTime: number | undefined;
  private stopping = false;
  private child: ChildProcess | null = null;
  private loopDone: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private readyResolve: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private busy: Promise<void> | null = null;
  private healthyTimer: TimerHandle | undefined;
  /** The failures since journalctl last ran long enough: what was reported, and the restart delay. */
  private readonly streak: FailureStreak;
  private fileErrorReported = false;
  private announced = false;
  private runs = 0;
  private failures = 0;
  private delivered = 0;

  constructor(opts: ResolvedOptions, ctx: JournaldContext, tuning: JournaldTuning = {}) {
    this.opts = opts;
    this.ctx = ctx;
    this.log = ctx.logger;
    this.clock = ctx.clock ?? systemClock;
    this.healthyAfter = tuning.healthyAfter ?? 30_000;
    this.killTimeout = tuning.killTimeout ?? 5000;
    this.streak = new FailureStreak({ firstMs: opts.restartDelay, maxMs: opts.maxRestartDelay });
    if (opts.stateFile) {
      const path = opts.stateFile;
      this.file = new CursorFile(path, (err) => {
        if (this.fileErrorReported) return;
        this.fileErrorReported = true;
        ctx.error(journaldErrors.F2B_ERR_JOURNALD_STATE_FILE(path, 'write', err));
      });
    }
  }

  start(): Promise<void> {
    this.starting ??= this.begin().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async begin(): Promise<void> {
    if (this.loopDone) return;
    this.stopping = false;
    this.phase = 'starting';
    if (!this.positioned) {
      const position = await this.initialPosition();
      if (this.stopping) {
        // stop() came while the saved cursor was being read
        this.phase = 'stopped';
        return;
      }
      this.position = position;
      this.positioned = true;
    }
    const ready = new Promise<void>((resolve) => {
      this.readyResolve = resolve;
    });
    this.loopDone = this.loop()
      .catch((err) => this.ctx.error(err))
      .finally(() => {
        this.phase = 'stopped';
        this.markReady();
      });
    await ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.disarmHealthy();
    const child = this.child;
    let killer: NodeJS.Timeout | undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // Node's timer, not the clock: a guard on a real process that must fire even under a FakeClock.
      // eslint-disable-next-line no-restricted-globals -- a kill guard on a real child process
      killer = setTimeout(() => child.kill('SIGKILL'), this.killTimeout);
    }
    await this.loopDone;
    clearTimeout(killer);
    this.loopDone = null;
    await this.file?.flush();
  }

  /** Wait for the batch being processed (journald can't be asked for "everything now"). */
  async poll(): Promise<void> {
    while (this.busy) await this.busy;
  }

  /** The position, for the state store: the cursor of the last processed record. */
  state(): JournaldState | undefined {
    if (this.position.kind === 'cursor') return { cursor: this.position.cursor };
    // Nothing read yet: a restart reads from the time we started (in this run, `--no-tail` is exact).
    if (this.position.kind === 'since' || this.position.kind === 'head') return { since: this.position.since };
    return undefined;
  }

  /** Cursor of the last processed record (or the one resumed from). */
  cursor(): string | undefined {
    return this.position.kind === 'cursor' ? this.position.cursor : undefined;
  }

  /**
   * While catching up (reading what was logged while f2b was down), how far behind now the last
   * entry handed on is; 0 otherwise: a follow run gets entries as journald writes them.
   */
  lag(): { source: string; seconds: number }[] {
    const behind = this.phase === 'catch-up' && this.lastEntryTime !== undefined ? Math.max(0, (this.clock.now() - this.lastEntryTime) / 1000) : 0;
    return [{ source: 'journal', seconds: behind }];
  }

  status(): JournaldStatus {
    return {
      phase: this.phase,
      pid: this.child?.pid,
      runs: this.runs,
      failures: this.failures,
      delivered: this.delivered,
      cursor: this.cursor(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Position
  // -------------------------------------------------------------------------------------------

  /** Option `cursor`, then the state store's, then the state file's; else `since`; else "now". */
  private async initialPosition(): Promise<Position> {
    if (this.opts.cursor) return { kind: 'cursor', cursor: this.opts.cursor };
    const saved = this.ctx.saved;
    if (typeof saved === 'string' && CURSOR.test(saved)) return { kind: 'cursor', cursor: saved };
    if (saved && typeof saved === 'object') {
      const s = saved as Record<string, unknown>;
      if (typeof s.cursor === 'string' && CURSOR.test(s.cursor)) return { kind: 'cursor', cursor: s.cursor };
      if (typeof s.since === 'string' && s.since.length > 0) return { kind: 'since', since: s.since };
    }
    if (this.file) {
      try {
        const cursor = await this.file.load();
        if (cursor) return { kind: 'cursor', cursor };
      } catch (err) {
        this.ctx.error(journaldErrors.F2B_ERR_JOURNALD_STATE_FILE(this.file.path, 'read', err));
      }
    }
    if (this.opts.since) return { kind: 'since', since: this.opts.since };
    return { kind: 'tail' };
  }

  /** A record was processed: its cursor is the new position. */
  private commit(cursor: string): void {
    this.position = { kind: 'cursor', cursor };
    this.file?.save(cursor);
  }

  // -------------------------------------------------------------------------------------------
  // Process management
  // -------------------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    let caughtUp = false;
    while (!this.stopping) {
      const follow = caughtUp;
      const position = this.position;
      const args = journalctlArgs(this.opts, position, follow);
      const runStarted = this.clock.now();
      const result = await this.run(args, position, follow);
      if (this.stopping) break;
      if (!follow && !result.spawnError && result.code === 0) {
        caughtUp = true;
        // Nothing matched when we looked for the newest entry: every entry from now on is new.
        if (this.position.kind === 'tail') this.position = { kind: 'head', since: `@${Math.floor(runStarted / 1000)}` };
        this.markReady();
        continue;
      }
      caughtUp = false;
      this.failures++;
      this.markReady();
      if (this.startingPointRejected(result, position)) continue;
      const err = this.describe(result, args);
      // journalctl shares our process group: a Ctrl-C or a service stop kills it at the same moment
      // as it tells us to stop. Wait (the backoff) before calling that a failure.
      const deferred = result.signal !== null && SIGNALS_FROM_OUTSIDE.has(result.signal);
      if (!deferred) this.report(err);
      const delay = this.streak.failed();
      this.log.debug(`Restarting journalctl in ${delay} ms.`);
      this.phase = 'waiting';
      await this.sleep(delay);
      if (deferred && !this.stopping) this.report(err);
    }
  }

  /** One journalctl process, from spawn to exit, its output handed on as it comes. */
  private async run(args: string[], position: Position, follow: boolean): Promise<RunResult> {
    const path = this.opts.journalctlPath;
    const stderr: string[] = [];
    let child: ChildProcess;
    this.runs++;
    this.log.debug(`Running ${commandLine(path, args)}`);
    try {
      child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return { spawnError: err as NodeJS.ErrnoException, code: null, signal: null, stderr, records: 0 };
    }
    this.child = child;
    this.phase = follow ? 'follow' : 'catch-up';
    const exited = new Promise<RunResult>((resolve) => {
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) resolve({ spawnError: err, code: null, signal: null, stderr, records: 0 });
        else this.log.debug(`journalctl: ${err.message}`);
      });
      // 'close', not 'exit': by then stderr has been read to its end (its last line says why).
      child.once('close', (code, signal) => resolve({ code, signal, stderr, records: 0 }));
    });
    let stderrSeen = 0;
    let stderrRest = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const lines = (stderrRest + chunk.toString('utf8')).split('\n');
      stderrRest = lines.pop()!.slice(-2000);
      for (const raw of lines) {
        const line = raw.trim().slice(0, 500);
        if (!line) continue;
        stderr.push(line);
        if (stderr.length > 10) stderr.shift();
        if (stderrSeen++ < STDERR_LOGGED && !this.streak.reported) this.log.warn(`journalctl: ${line}`);
        else this.log.debug(`journalctl: ${line}`);
      }
    });
    if (follow) {
      this.armHealthy();
      if (!this.announced) {
        this.announced = true;
        this.log.info(`Following the journal: ${commandLine(path, args)}`);
      }
    }

    const run: RunState = { skip: position.kind === 'cursor' ? position.cursor : undefined, positionOnly: position.kind === 'tail', records: 0, badLines: 0 };
    const splitter = new LineSplitter(this.opts.maxRecordSize);
    let newest: string | undefined;
    let dropped = 0;
    try {
      for await (const chunk of child.stdout!) {
        const lines = splitter.push(chunk as Buffer);
        if (splitter.dropped > dropped) {
          dropped = splitter.dropped;
          const msg = `Skipped a journal record longer than maxRecordSize (${this.opts.maxRecordSize} bytes); ${dropped} in this run.`;
          if (dropped === 1) this.log.warn(msg);
          else this.log.debug(msg);
        }
        if (lines.length > 0) {
          this.busy = this.process(lines, run, (c) => {
            newest = c;
          });
          try {
            await this.busy;
          } finally {
            this.busy = null;
          }
        }
        if (this.stopping) break;
      }
    } catch (err) {
      this.log.debug(`Reading journalctl's output failed: ${(err as Error).message}`);
    }
    if (this.stopping && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const result = await exited;
    result.records = run.records;
    if (stderrRest.trim()) stderr.push(stderrRest.trim().slice(0, 500));
    this.disarmHealthy();
    this.child = null;
    if (run.badLines > 0) this.log.debug(`Ignored ${run.badLines} line(s) of journalctl output that were not JSON objects.`);
    // The positioning query: the newest matching entry is where reading starts (not handed on).
    if (run.positionOnly && newest !== undefined && !result.spawnError && result.code === 0 && !this.stopping) this.commit(newest);
    return result;
  }

  /** Parse, deliver in batches, then move the position. */
  private async process(lines: Buffer[], run: RunState, onCursor: (c: string) => void): Promise<void> {
    const size = this.opts.batchSize;
    for (let i = 0; i < lines.length; i += size) {
      const entries: LogEntry[] = [];
      let last: string | undefined;
      for (let j = i; j < Math.min(i + size, lines.length); j++) {
        const record: JournalRecord | null = parseRecord(lines[j]!);
        if (!record) {
          run.badLines++;
          continue;
        }
        const cursor = recordCursor(record);
        if (run.records++ === 0 && run.skip !== undefined && cursor === run.skip) continue;
        if (cursor !== undefined) last = cursor;
        if (run.positionOnly) continue;
        const entry = recordToEntry(record);
        if (entry) entries.push(entry);
      }
      if (run.positionOnly) {
        if (last !== undefined) onCursor(last);
        continue;
      }
      if (entries.length > 0) {
        try {
          await this.ctx.entries(entries);
        } catch (err) {
          // A jail that throws would throw again on the same entries: report and go on.
          this.ctx.error(err);
        }
        this.delivered += entries.length;
        this.lastEntryTime = entries[entries.length - 1]!.time ?? this.lastEntryTime;
      }
      if (last !== undefined) this.commit(last);
      // What is left of this chunk isn't processed; a restart reads it again from the position.
      if (this.stopping) return;
    }
  }

  /** journalctl refused the cursor or `since`: change the starting point and retry at once. */
  private startingPointRejected(result: RunResult, position: Position): boolean {
    if (result.spawnError || result.code === null || result.code === 0 || result.records > 0) return false;
    const text = result.stderr.join('\n');
    if (position.kind === 'cursor' && /\bcursor\b/i.test(text)) {
      const t = /(?:^|;)t=([0-9a-f]+)/.exec(position.cursor);
      const us = t ? parseInt(t[1]!, 16) : NaN;
      const next: Position = Number.isFinite(us) && us > 0 ? { kind: 'since', since: `@${Math.floor(us / 1e6)}` } : { kind: 'tail' };
      this.ctx.error(
        journaldErrors.F2B_ERR_JOURNALD_CURSOR(
          position.cursor,
          this.ctx.jail,
          next.kind === 'since' ? `from its time (${new Date(us / 1000).toISOString()})` : 'from the end of the journal',
        ),
      );
      this.position = next;
      return true;
    }
    if (position.kind === 'since' && /timestamp|\bsince\b/i.test(text)) {
      this.ctx.error(journaldErrors.F2B_ERR_JOURNALD_SINCE(position.since, this.ctx.jail));
      this.position = { kind: 'tail' };
      return true;
    }
    return false;
  }

  private describe(result: RunResult, args: string[]): F2bError {
    const path = this.opts.journalctlPath;
    if (result.spawnError) {
      return result.spawnError.code === 'ENOENT'
        ? journaldErrors.F2B_ERR_JOURNALCTL_MISSING(path, this.ctx.jail, result.spawnError)
        : journaldErrors.F2B_ERR_JOURNALCTL_START(path, this.ctx.jail, result.spawnError);
    }
    const how = result.signal
      ? `was killed by ${result.signal}`
      : result.code === 0
        ? 'stopped following the journal (exit code 0)'
        : `exited with code ${result.code}`;
    return journaldErrors.F2B_ERR_JOURNALCTL_EXITED(commandLine(path, args), this.ctx.jail, how, result.stderr[result.stderr.length - 1]);
  }

  /** Report once per failure streak (and again if the kind of failure changes). */
  private report(err: F2bError): void {
    if (!this.streak.report(err.code)) {
      this.log.debug(`${err.message} (reported before; retrying)`);
      return;
    }
    this.ctx.error(err);
  }

  private armHealthy(): void {
    this.disarmHealthy();
    this.healthyTimer = this.clock.setTimer(this.healthyAfter, () => {
      if (this.streak.succeeded().reported) {
        this.log.info('journalctl runs again.');
      }
    });
  }

  private disarmHealthy(): void {
    this.healthyTimer?.cancel();
    this.healthyTimer = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.clock.setTimer(ms, done);
      const self = this;
      function done() {
        t.cancel();
        if (self.wake === done) self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private markReady(): void {
    const r = this.readyResolve;
    this.readyResolve = null;
    r?.();
  }
}
