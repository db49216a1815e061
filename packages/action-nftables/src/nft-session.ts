/**
 * One long-lived `nft -i` per namespace (and nft program), shared by the action instances of this
 * process, for element transactions: spawning `ip netns exec NS nft -f -` costs two exec()s and
 * nft's start-up (tens of ms on a loaded machine), most of the time from attack line to kernel set.
 *
 * Protocol. nft -i reads one command buffer per line and runs it as one transaction, so a script's
 * lines are joined with `; ` into one line (still one transaction). After it comes a marker: `list
 * table inet f2b_mark_<token>_<n>`, a table that cannot exist (the token is random per process), so
 * nft answers it on stderr with an error that names it. Everything nft wrote to stderr before the
 * marker's error belongs to the command; nft runs lines in order and stderr is unbuffered, so the
 * attribution holds. nft -i prints errors without a file position (`Error: …`, the line, `^^^`):
 * they are rewritten to the `-f -` form (`/dev/stdin:LINE:COL-COL: Error: …`), with the line and
 * column of the script statement the carets point at, so the callers locate refused elements exactly
 * as with a spawned nft.
 *
 * Large scripts as a file. nft -i reads its input through libedit a byte at a time (~2 µs a byte
 * with nft 1.0.6 here: a burst's 1,000 elements, 27 KB, took 52 ms), while a file it includes is
 * read by its parser at once (the same 1,000 elements: 5 ms). A script of INCLUDE_MIN_BYTES or more
 * is written to a file of the session's own directory (created with mkdtemp, 0700, under a temp
 * directory only root or this user can write, or sticky: script-files.ts) and sent as `include
 * "FILE"`: one line, still one transaction (nft commits a command buffer and what it includes as one
 * batch). Errors in it come back as `FILE:L:C-C: Error: …` after an `In file included from` line:
 * the file's name is replaced by `/dev/stdin`, the form of a spawned nft. Without such a directory,
 * the action spawns nft for large scripts as before.
 *
 * Fallback. A session that dies (killed, nft without interactive support, out of memory) or does not
 * start: the command in flight runs again through a spawned nft — element scripts are idempotent
 * (adds of present elements and guarded deletes are no errors) — and so do the commands after it
 * until a restart, which waits with backoff (doubling up to a minute; a session that lived 10 s
 * starts with the shortest delay again). libedit keeps every line in its history, so a session is
 * retired after RECYCLE_BYTES of commands (the next command starts a fresh one); HOME=/dev/null
 * keeps it from reading or writing a history file (or an .editrc) in root's home.
 */
/* eslint-disable no-restricted-properties, no-restricted-globals -- Node's clock on purpose: this
 * supervises a real process (`nft -i`) shared by every Core of the process (one per namespace, so
 * no one core's clock is its clock); its timers bound a command's wait for nft's answer and pace
 * restarts of the process. None is a time f2b reasons about (bans, expiry, findtime).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ScriptFiles } from './script-files.js';
import { nftErrors } from './errors.js';
import { classifyFailure, forgetLivePid, nftCommand, NftRunError, rememberLivePid, runNft, type NftResult, type NftRunOptions } from './nft.js';

/** Retire a session after this much command text (libedit's history grows by every line). */
const RECYCLE_BYTES = 32 * 1024 * 1024;
const RESTART_FIRST_MS = 250;
const RESTART_MAX_MS = 60_000;
const STABLE_MS = 10_000;
/**
 * Scripts from this size on are sent as an include of a file (see above): measured against nft -i
 * reading the line, an include costs about 1 ms whatever the size, the line ~2 µs a byte (1 element,
 * 49 bytes: 0.6 against 1.1 ms; 50 elements, 1.3 KB: 3.2 against 1.1 ms).
 */
export const INCLUDE_MIN_BYTES = 1024;

export interface NftSessionStats {
  /** `nft -i` processes started. */
  started: number;
  /** Sessions that died (or failed to start) while wanted. */
  deaths: number;
  /** Commands answered by a session. */
  commands: number;
  /** Commands run by a spawned nft instead (session down, dead or restarting). */
  fallbacks: number;
  /** Warm-up commands answered (one per start of the action: see warm()). */
  warmUps: number;
  /** Commands sent as an include of a script file (large scripts). */
  included: number;
}

interface Pending {
  marker: string;
  line: string;
  /** Start offset of each statement of `line`. */
  starts: number[];
  script: string;
  what: string;
  resolve(r: NftResult): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
  /** The start's warm-up command, not a caller's. */
  warmUp: boolean;
  /** The script file the line includes (its errors name it), or undefined for a script sent as the line. */
  file: string | undefined;
}

const token = randomBytes(4).toString('hex');
const sessions = new Map<string, { session: NftSession; users: number }>();

function keyOf(opts: NftRunOptions): string {
  return JSON.stringify([opts.ipPath, opts.nftPath, opts.netns ?? null]);
}

/** The shared session for these options; `release` it when done (the last release ends it). */
export function acquireSession(opts: NftRunOptions): NftSession {
  const key = keyOf(opts);
  let entry = sessions.get(key);
  if (entry === undefined) sessions.set(key, (entry = { session: new NftSession(opts), users: 0 }));
  entry.users++;
  return entry.session;
}

export function releaseSession(session: NftSession): void {
  const key = keyOf(session.opts);
  const entry = sessions.get(key);
  if (entry?.session !== session) return;
  if (--entry.users > 0) return;
  sessions.delete(key);
  session.close();
}

export class NftSession {
  readonly stats: NftSessionStats = { started: 0, deaths: 0, commands: 0, fallbacks: 0, warmUps: 0, included: 0 };
  readonly opts: NftRunOptions;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private written = 0;
  private seq = 0;
  private stderr = '';
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private restartAt = 0;
  private restartDelay = RESTART_FIRST_MS;
  private closed = false;
  /** Told when the session is lost: `first` for the first loss since it last answered. */
  readonly onLost = new Set<(detail: string, first: boolean) => void>();
  private answeredSinceLoss = true;

  /**
   * `recycleBytes`: retire the process after this much command text (tests make it small);
   * `files`: where large scripts are written for nft to include (tests give another directory).
   */
  constructor(
    opts: NftRunOptions,
    private readonly recycleBytes = RECYCLE_BYTES,
    private readonly files = new ScriptFiles(),
  ) {
    this.opts = opts;
  }

  /** The pid of the running `nft -i` (undefined when none runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Runs an `nft -f -` script as one transaction; resolves or rejects as runNft would. */
  run(script: string, what: string): Promise<NftResult> {
    const result = this.queue.then(() => this.runOne(script, what));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Starts nft -i now (at the action's start), so the first ban does not wait for it, and has it
   * answer one harmless command (`list tables`): nft's first command costs 3–6 ms more than the
   * next ones (measured with nft 1.0.6), which the first ban after a start paid on top — 1% of the
   * bans of a daemon that bans 100 times. Not counted in the stats' commands.
   */
  warm(): void {
    const warmed = this.queue.then(() => (this.ensureChild() ? this.send(['list tables'], 'list tables\n', 'warm up nft -i', true) : undefined));
    this.queue = warmed.catch(() => undefined);
  }

  /**
   * Whether a script of any size can go through the session (as an include of a file); false when
   * no private directory for the files could be made (the caller spawns nft for large scripts).
   */
  takesLargeScripts(): boolean {
    return this.files.ready();
  }

  /** Ends the session (stdin closed: nft exits); later commands spawn. */
  close(): void {
    this.closed = true;
    this.retire();
    this.files.remove();
  }

  private async runOne(script: string, what: string): Promise<NftResult> {
    const statements = script.split('\n').filter((l) => l.trim() !== '');
    if (statements.length === 0) return { stdout: '', stderr: '' };
    // The script generator never writes these; a line of them would change what nft -i reads.
    const plain = statements.every((s) => !/[;#\\]/.test(s));
    if (!plain || !this.ensureChild()) return this.fallback(script, what);
    const file = script.length >= INCLUDE_MIN_BYTES ? this.files.write(script) : undefined;
    try {
      if (file === undefined) return await this.send(statements, script, what);
      return await this.send([`include "${file}"`], script, what, false, file);
    } catch (err) {
      if (err instanceof SessionDied || err instanceof IncludeFailed) return this.fallback(script, what);
      throw err;
    }
  }

  private fallback(script: string, what: string): Promise<NftResult> {
    this.stats.fallbacks++;
    return runNft(this.opts, ['-f', '-'], script, what);
  }

  private ensureChild(): boolean {
    if (this.child !== undefined) return true;
    if (this.closed || Date.now() < this.restartAt) return false;
    const [cmd, argv] = nftCommand(this.opts, ['-i']);
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', HOME: '/dev/null' } });
    } catch {
      this.died();
      return false;
    }
    this.child = child;
    this.startedAt = Date.now();
    this.written = 0;
    this.stderr = '';
    this.stats.started++;
    if (child.pid !== undefined) rememberLivePid(child.pid);
    // Idle, the session must not keep the process alive; a command in flight holds a timer that does.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdout!.resume(); // element commands print nothing; drained so a stray line never blocks nft
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => this.data(child, d));
    child.stdin!.on('error', () => {
      /* a dead session is handled on 'close' */
    });
    child.on('error', (e) => this.lost(child, e.message));
    child.on('close', (code, signal) => {
      // What nft wrote after its last answer says why it ended (e.g. no interactive support).
      const tail = this.stderr.trim().split('\n')[0] ?? '';
      this.lost(child, `${signal !== null ? `killed by ${signal}` : `exit ${code}`}${tail !== '' ? `: ${tail.slice(0, 200)}` : ''}`);
    });
    return true;
  }

  private send(statements: string[], script: string, what: string, warmUp = false, file?: string): Promise<NftResult> {
    const child = this.child!;
    const starts: number[] = [];
    let line = '';
    for (const s of statements) {
      if (line !== '') line += '; ';
      starts.push(line.length);
      line += s;
    }
    const marker = `f2b_mark_${token}_${++this.seq}`;
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    return new Promise<NftResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.marker !== marker) return;
        this.pending = undefined;
        this.retire(true);
        reject(new NftRunError(nftErrors.F2B_ERR_NFT_FAILED({ ms: timeoutMs }), '', null, false));
      }, timeoutMs);
      this.pending = { marker, line, starts, script, what, resolve, reject, timer, warmUp, file };
      const text = `${line}\nlist table inet ${marker}\n`;
      this.written += text.length;
      child.stdin!.write(text);
      // A stderr chunk that arrived with the previous answer may already hold this one.
      this.data(child, '');
    });
  }

  private data(child: ChildProcess, chunk: string): void {
    if (child !== this.child) return;
    this.stderr += chunk;
    const p = this.pending;
    if (p === undefined) return;
    const at = this.stderr.indexOf(`list table inet ${p.marker}\n`);
    if (at < 0) return;
    const caretEnd = this.stderr.indexOf('\n', at + p.marker.length + 17);
    if (caretEnd < 0) return;
    // The marker's own error block starts at the `Error:` line just before the echoed marker line.
    const errorLine = this.stderr.lastIndexOf('Error:', at);
    const own = this.stderr.slice(0, errorLine < 0 ? at : errorLine);
    this.stderr = this.stderr.slice(caretEnd + 1);
    this.pending = undefined;
    clearTimeout(p.timer);
    if (p.warmUp) this.stats.warmUps++;
    else this.stats.commands++;
    if (p.file !== undefined) this.stats.included++;
    this.answeredSinceLoss = true;
    if (Date.now() - this.startedAt >= STABLE_MS) this.restartDelay = RESTART_FIRST_MS;
    if (this.written >= this.recycleBytes) this.retire();
    if (p.file !== undefined) {
      // nft names the file where an error in the script is (`FILE:L:C-C: Error: …`, not at the
      // line's start); an error of the include itself (the file could not be read) is spawned.
      const located = fromIncludeForm(own, p.file);
      if (located !== null && /^\/dev\/stdin:\S+ Error:/m.test(located)) p.reject(classifyFailure(this.opts, p.what, located, 1));
      else if (/^Error:/m.test(own)) p.reject(new IncludeFailed());
      else p.resolve({ stdout: '', stderr: own });
      return;
    }
    if (!/^Error:/m.test(own)) {
      p.resolve({ stdout: '', stderr: own });
      return;
    }
    const located = toScriptForm(own, p.line, p.starts);
    p.reject(classifyFailure(this.opts, p.what, located, 1));
  }

  /** The process ended or could not start: a command in flight falls back; the next start waits. */
  private lost(child: ChildProcess, detail: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (child.pid !== undefined) forgetLivePid(child.pid);
    this.died();
    if (!this.closed) {
      const first = this.answeredSinceLoss;
      this.answeredSinceLoss = false;
      for (const fn of this.onLost) fn(detail, first);
    }
    const p = this.pending;
    this.pending = undefined;
    if (p !== undefined) {
      clearTimeout(p.timer);
      p.reject(new SessionDied());
    }
  }

  private died(): void {
    if (this.closed) return;
    this.stats.deaths++;
    this.restartAt = Date.now() + this.restartDelay;
    this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MAX_MS);
  }

  /** Stop using the current process (it exits at the end of its stdin; `kill` for a hung one). */
  private retire(kill = false): void {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.pid !== undefined) forgetLivePid(child.pid);
    child.stdin?.end();
    if (kill) child.kill('SIGKILL');
  }
}

class SessionDied extends Error {}
class IncludeFailed extends Error {}

/**
 * nft's errors in an included script file (`In file included from <cmdline>:1:1-N:`, then
 * `FILE:L:C-C: Error: MSG`, the line, the carets) in the `-f -` form (`/dev/stdin:L:C-C: Error:
 * MSG`), or null when no error is in the file (the include itself failed).
 */
export function fromIncludeForm(stderr: string, file: string): string | null {
  const out: string[] = [];
  let inFile = false;
  for (const l of stderr.split('\n')) {
    if (l.startsWith('In file included from ')) continue;
    if (l.startsWith(`${file}:`)) {
      inFile = true;
      out.push(`/dev/stdin:${l.slice(file.length + 1)}`);
    } else out.push(l);
  }
  return inFile ? out.join('\n') : null;
}

/**
 * nft -i's errors (`Error: MSG`, the line, a caret line) in the `-f -` form `/dev/stdin:L:C-C: Error:
 * MSG` for the script the line was joined from: L is the statement the carets point at, C the column
 * in it. Anything else passes through unchanged.
 */
export function toScriptForm(stderr: string, line: string, starts: readonly number[]): string {
  const lines = stderr.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const carets = lines[i + 2];
    if (l.startsWith('Error:') && lines[i + 1] === line && carets !== undefined && /^ *[~^]+$/.test(carets)) {
      const from = carets.search(/[~^]/),
        to = carets.length - 1;
      let stmt = 0;
      while (stmt + 1 < starts.length && starts[stmt + 1]! <= from) stmt++;
      const base = starts[stmt]!;
      out.push(`/dev/stdin:${stmt + 1}:${from - base + 1}-${to - base + 1}: ${l}`);
      i += 2;
      continue;
    }
    out.push(l);
  }
  return out.join('\n');
}
