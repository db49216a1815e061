/**
 * Parses raw log lines into entries: the date (any format `DateParser` knows), then — when the line is
 * syslog-shaped — `host program[pid]: message`. Filters match the message and check the program, so
 * a pattern never has to re-parse prefixes, and text in the message cannot pose as the program.
 *
 * Works on bytes: the message stays a Buffer slice of the line.
 */
import { DateParser, type DateParserOptions } from './dates.js';
import type { LogEntry } from './types.js';

export type LineFormat =
  /** A log file: date first (or inside the line for access logs), then an optional syslog header. */
  | 'text'
  /** journald's short form without a date: `host ident[pid]: message` (fail2ban's logtype journal). */
  | 'journal-line';

const SPACE = 0x20, COLON = 0x3a, LBRACK = 0x5b, RBRACK = 0x5d, LT = 0x3c;

export interface EntryParserOptions extends DateParserOptions {
  format?: LineFormat;
}

export class EntryParser {
  private readonly dates: DateParser;
  private readonly format: LineFormat;

  constructor(opts: EntryParserOptions = {}) {
    this.dates = new DateParser(opts);
    this.format = opts.format ?? 'text';
  }

  parse(raw: Buffer, origin?: string): LogEntry {
    if (this.format === 'journal-line') return parseHeader(raw, 0, undefined, undefined, origin, true);
    const date = this.dates.parse(raw);
    if (!date) return { raw, message: raw, time: undefined, origin };
    if (date.start > headerDateStart(raw) + 1) {
      // The date sits inside the line (access logs: `1.2.3.4 - - [date] "GET …"`): the message is the
      // whole line, so patterns see the client address written before the date.
      return { raw, message: raw, time: date.time, dateFormat: date.format, origin };
    }
    let pos = date.end;
    if (pos < raw.length && raw[pos] === RBRACK) pos++;
    return parseHeader(raw, pos, date.time, date.format, origin, false);
  }
}

/**
 * After the date: ` host prog[pid]: msg`, ` prog[pid]: msg` (no host), ` [prog]: msg`, or RFC 5424's
 * ` host app procid msgid [sd] msg`. Anything else leaves the message as the rest of the line.
 */
function parseHeader(raw: Buffer, pos: number, time: number | undefined, dateFormat: string | undefined,
  origin: string | undefined, hostFirst: boolean): LogEntry {
  const len = raw.length;
  while (pos < len && raw[pos] === SPACE) pos++;
  const restStart = pos;
  const plain = (): LogEntry => ({ raw, message: raw.subarray(restStart), time, dateFormat, origin });

  const t1End = tokenEnd(raw, pos);
  if (t1End === pos) return plain();
  let host: string | undefined;
  let progStart = pos;
  let progEnd = t1End;
  if (!(raw[t1End - 1] === COLON) || hostFirst) {
    // First token is the host (unless it already ends in ':' — a header without host).
    if (raw[t1End - 1] === COLON && hostFirst) return plain();
    host = raw.toString('latin1', pos, t1End);
    pos = t1End;
    while (pos < len && raw[pos] === SPACE) pos++;
    progStart = pos;
    progEnd = tokenEnd(raw, pos);
    if (dateFormat === 'rfc5424') return parse5424(raw, host, pos, time, dateFormat, origin);
  }
  if (progEnd <= progStart || raw[progEnd - 1] !== COLON) return plain();
  const prog = parseProgram(raw, progStart, progEnd - 1);
  if (!prog) return plain();
  let msg = progEnd;
  if (msg < len && raw[msg] === SPACE) msg++;
  msg = skipSolarisTag(raw, msg);
  return { raw, message: raw.subarray(msg), time, host, program: prog.name, pid: prog.pid, dateFormat, origin };
}

function tokenEnd(raw: Buffer, pos: number): number {
  const i = raw.indexOf(SPACE, pos);
  return i < 0 ? raw.length : i;
}

/** `name[pid]`, `name`, or `[name]`; names are printable ASCII without spaces or brackets. */
function parseProgram(raw: Buffer, start: number, end: number): { name: string; pid?: number } | null {
  if (raw[start] === LBRACK && raw[end - 1] === RBRACK) return validName(raw, start + 1, end - 1);
  const open = raw.indexOf(LBRACK, start);
  if (open < 0 || open >= end) return validName(raw, start, end);
  if (raw[end - 1] !== RBRACK) return null;
  const named = validName(raw, start, open);
  if (!named) return null;
  let pid = 0;
  for (let i = open + 1; i < end - 1; i++) {
    const c = raw[i]!;
    if (c < 0x30 || c > 0x39 || i - open > 10) return null;
    pid = pid * 10 + (c - 0x30);
  }
  return end - 1 > open + 1 ? { name: named.name, pid } : null;
}

function validName(raw: Buffer, start: number, end: number): { name: string } | null {
  if (end <= start || end - start > 64) return null;
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c <= SPACE || c >= 0x7f || c === LBRACK || c === RBRACK || c === COLON) return null;
  }
  return { name: raw.toString('latin1', start, end) };
}

/** Solaris syslog adds `[ID 800047 auth.info] ` before the message. */
function skipSolarisTag(raw: Buffer, pos: number): number {
  if (raw[pos] !== LBRACK || raw[pos + 1] !== 0x49 || raw[pos + 2] !== 0x44 || raw[pos + 3] !== SPACE) return pos;
  const close = raw.indexOf(RBRACK, pos);
  if (close < 0 || close - pos > 64) return pos;
  return close + 1 < raw.length && raw[close + 1] === SPACE ? close + 2 : close + 1;
}

/** RFC 5424: `APP-NAME PROCID MSGID STRUCTURED-DATA MSG`, `-` for absent fields. */
function parse5424(raw: Buffer, host: string, pos: number, time: number | undefined, dateFormat: string,
  origin: string | undefined): LogEntry {
  const fields: string[] = [];
  for (let k = 0; k < 3; k++) {
    const e = tokenEnd(raw, pos);
    fields.push(raw.toString('latin1', pos, e));
    pos = e + 1;
  }
  // Structured data: `-` or one or more `[...]` elements (quoted values may contain `]` escaped).
  if (raw[pos] === 0x2d) pos += 2;
  else {
    while (raw[pos] === LBRACK) {
      let i = pos + 1;
      while (i < raw.length && raw[i] !== RBRACK) i += raw[i] === 0x5c ? 2 : 1;
      pos = i + 1;
    }
    if (raw[pos] === SPACE) pos++;
  }
  if (raw[pos] === 0xef && raw[pos + 1] === 0xbb && raw[pos + 2] === 0xbf) pos += 3; // BOM
  const [app, procid] = fields;
  const pid = procid && /^[0-9]{1,10}$/.test(procid) ? Number(procid) : undefined;
  return {
    raw, message: raw.subarray(Math.min(pos, raw.length)), time, host: host === '-' ? undefined : host,
    program: app && app !== '-' ? app : undefined, pid, dateFormat, origin,
  };
}

/**
 * Where a line's own (header) date may start: 0, or after a syslog priority `<34>` (and RFC 5424's
 * version `1 `), which DateParser skips and does not count in `start`.
 */
function headerDateStart(raw: Buffer): number {
  if (raw[0] !== LT) return 0;
  const gt = raw.subarray(0, 5).indexOf(0x3e);
  if (gt < 2 || gt > 4) return 0;
  return raw[gt + 1] === 0x31 && raw[gt + 2] === SPACE ? gt + 3 : gt + 1;
}

/** True when the line starts with a syslog priority (`<34>`), which some relays keep. */
export function hasPriority(raw: Buffer): boolean {
  return raw[0] === LT;
}
