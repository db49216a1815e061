/**
 * A small structured logger. Plugins get one per name through `core.getLogger(name)`, so every line
 * says who wrote it. Output is one line per message on stderr (journald/syslog friendly), or JSON
 * lines when `F2B_LOG_FORMAT=json`. Log text from attackers goes through escape.ts, so a crafted
 * log line can neither forge extra lines in our own log (which `recidive`-style jails may read) nor
 * send control sequences to the terminal that shows it.
 */
import { escapeControls, jsonText } from './escape.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

export type LogSink = (level: LogLevel, name: string, msg: string, fields?: Record<string, unknown>) => void;

export function stderrSink(format: 'text' | 'json' = process.env.F2B_LOG_FORMAT === 'json' ? 'json' : 'text'): LogSink {
  return (level, name, msg, fields) => {
    if (format === 'json') {
      process.stderr.write(jsonText({ time: new Date().toISOString(), level, name, msg, ...fields }) + '\n');
      return;
    }
    const extra = fields && Object.keys(fields).length > 0
      ? ' ' + Object.entries(fields).map(([k, v]) => `${escapeControls(k)}=${jsonText(v ?? null)}`).join(' ')
      : '';
    process.stderr.write(`${level.toUpperCase().padEnd(5)} [${escapeControls(name)}] ${escapeControls(msg)}${extra}\n`);
  };
}

export { sanitizeLine } from './escape.js';

export function createLogger(name: string, level: LogLevel = 'info', sink: LogSink = stderrSink()): Logger {
  const min = ORDER[level];
  const at = (l: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] >= min) sink(l, name, msg, fields);
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    child: (child: string) => createLogger(`${name}:${child}`, level, sink),
  };
}

/** A logger that keeps records in memory, for tests. */
export function memoryLogger(name = 'test'): Logger & { records: { level: LogLevel; name: string; msg: string; fields?: Record<string, unknown> }[] } {
  const records: { level: LogLevel; name: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const logger = createLogger(name, 'debug', (level, n, msg, fields) => { records.push({ level, name: n, msg, fields }); });
  return Object.assign(logger, { records });
}
