/**
 * A small structured logger. Plugins get one per name through `core.getLogger(name)`, so every line
 * says who wrote it. Output is one line per message on stderr:
 *
 * - text (default): `2026-12-07T10:00:00.123Z NOTICE [sshd] Ban 203.0.113.5 …`, then ` key=value`
 *   fields; under systemd, whose journal stamps lines itself, the time is left out and each line
 *   starts with its syslog priority instead (`<5>NOTICE [sshd] Ban …`), so that
 *   `journalctl -u f2b -p notice` shows the ban trail;
 * - json (`logFormat: json` or `F2B_LOG_FORMAT=json`): one JSON object per line, `{time, level, name, msg, …fields}`.
 *
 * Log text from attackers goes through escape.ts, so a crafted log line can neither forge extra
 * lines in our own log (which `recidive` jails read) nor send control sequences to the terminal
 * that shows it. No logging library: escaped lines, written together once per turn of the event
 * loop (writeStderr below), are all the daemon needs, and the CLI's start-up stays free of it.
 */
import { fstatSync } from 'node:fs';
import { escapeControls, jsonText } from './escape.js';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'silent';
export type LogFormat = 'text' | 'json';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, notice: 25, warn: 30, error: 40, silent: 100 };
/** syslog priorities (sd-daemon(3) prefixes) of our levels. */
const PRIORITY: Record<Exclude<LogLevel, 'silent'>, number> = { debug: 7, info: 6, notice: 5, warn: 4, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  /** Events people watch for and alert on: bans and unbans (fail2ban's NOTICE). */
  notice(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

/**
 * Mark a fields object whose facts the message already says in words (the ban trail): text lines
 * leave such fields out, JSON lines carry them. A symbol key, so it is never written itself.
 */
export const FIELDS_IN_MESSAGE: unique symbol = Symbol.for('f2b.log.fieldsInMessage') as never;

/** `fields`, marked as repeating the message (see FIELDS_IN_MESSAGE). */
export function messageFields<T extends Record<string, unknown>>(fields: T): T {
  return Object.assign(fields, { [FIELDS_IN_MESSAGE]: true });
}

export type LogSink = (level: LogLevel, name: string, msg: string, fields?: Record<string, unknown>) => void;

export interface StderrSinkOptions {
  format?: LogFormat;
  /** Prefix lines with `<priority>` and no time (default: when stderr is the journal, see below). */
  journal?: boolean;
  /** Where lines go (default: process.stderr). */
  write?: (line: string) => void;
  /** The time of a line (default: now). */
  now?: () => number;
}

/**
 * Is stderr connected to the journal? systemd sets JOURNAL_STREAM to `<device>:<inode>` of the
 * stream it gave the service; it is ours only if fd 2 is still that stream (systemd.exec(5)).
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(2, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

/** The format asked for by `F2B_LOG_FORMAT` (text unless it says json). */
export function envLogFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.F2B_LOG_FORMAT === 'json' ? 'json' : 'text';
}

export function stderrSink(opts: StderrSinkOptions | LogFormat = {}): LogSink {
  const o = typeof opts === 'string' ? { format: opts } : opts;
  const format = o.format ?? envLogFormat();
  const journal = o.journal ?? stderrIsJournal();
  const write = o.write ?? writeStderr;
  const now = o.now ?? Date.now;
  return (level, name, msg, fields) => {
    if (level === 'silent') return;
    if (format === 'json') {
      write(jsonText({ time: new Date(now()).toISOString(), level, name, msg, ...fields }) + '\n');
      return;
    }
    const extra =
      fields && Object.keys(fields).length > 0 && !(fields as { [FIELDS_IN_MESSAGE]?: boolean })[FIELDS_IN_MESSAGE]
        ? ' ' +
          Object.entries(fields)
            .map(([k, v]) => `${escapeControls(k)}=${jsonText(v ?? null)}`)
            .join(' ')
        : '';
    const head = journal ? `<${PRIORITY[level]}>` : `${new Date(now()).toISOString()} `;
    write(`${head}${level.toUpperCase().padEnd(6)} [${escapeControls(name)}] ${escapeControls(msg)}${extra}\n`);
  };
}

export { sanitizeLine } from './escape.js';

/** Lines logged in this turn of the event loop, not yet written. */
let pending = '';
/** Written at once past this (a turn that logs a lot still writes in pieces of this size). */
const PENDING_MAX = 64 * 1024;

/**
 * Lines go to stderr in one write per turn of the event loop: a burst's batch of 1,000 bans logs
 * 1,000 lines, and stderr (a pipe to journald or a terminal) is written synchronously, one system
 * call per write, on the ban path before the actions run: 580 lines took 28 ms of a burst's batch
 * (bench-burst.mjs, its reader a busy process), 5–10 ms in one write.
 * The write comes at the end of the turn's synchronous code (a microtask), before any I/O, and at
 * exit (an uncaught exception included), so no line is lost but to SIGKILL within the turn.
 */
function writeStderr(line: string): void {
  if (pending === '') queueMicrotask(flushStderr);
  pending += line;
  if (pending.length >= PENDING_MAX) flushStderr();
}

/** Writes what is pending (also called at exit). */
export function flushStderr(): void {
  if (pending === '') return;
  const text = pending;
  pending = '';
  process.stderr.write(text);
}

process.on('exit', flushStderr);
/**
 * What code that writes to stderr itself emits first, so that its text comes after the log lines
 * of the turn (the CLI's error report, which must not load this module: client start-up).
 */
export const FLUSH_EVENT = 'f2b:flush-stderr';
(process.on as (event: string, listener: () => void) => NodeJS.Process)(FLUSH_EVENT, flushStderr);

export function createLogger(name: string, level: LogLevel = 'info', sink: LogSink = stderrSink()): Logger {
  const min = ORDER[level];
  const at = (l: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] >= min) sink(l, name, msg, fields);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    notice: at('notice'),
    warn: at('warn'),
    error: at('error'),
    child: (child: string) => createLogger(`${name}:${child}`, level, sink),
  };
}

/** Would a logger at `level` write `what`? (To skip work for lines nobody will see.) */
export function logs(level: LogLevel, what: LogLevel): boolean {
  return ORDER[what] >= ORDER[level];
}

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(name = 'test'): Logger & { records: { level: LogLevel; name: string; msg: string; fields?: Record<string, unknown> }[] } {
  const records: { level: LogLevel; name: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger = createLogger(name, 'debug', (level, n, msg, fields) => {
    records.push({ level, name: n, msg, fields });
  });
  return Object.assign(logger, { records });
}
