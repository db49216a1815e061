/**
 * Parses raw log lines into entries: the date (any format `DateParser` knows), then — when the line is
 * syslog-shaped — `host program[pid]: message`. Filters match the message and check the program, so
 * a pattern never has to re-parse prefixes, and text in the message cannot pose as the program.
 *
 * Works on bytes and on ranges of a larger buffer: creating a Buffer view costs more than parsing a
 * syslog header, so `raw`, `message` and `host` are made only when someone reads them — most lines
 * are rejected by their program name before that.
 */
import { DateParser, type DateParserOptions } from './dates.js';
import { containerTagEnd, dateShapeEnd, kernelTimestampEnd } from './syslog-prefix.js';
import type { LogEntry } from './types.js';
import { ProgramNames } from './program-names.js';

export type LineFormat =
  /** A log file: date first (or inside the line for access logs), then an optional syslog header. */
  | 'text'
  /** journald's short form without a date: `host ident[pid]: message` (fail2ban's logtype journal). */
  | 'journal-line';

const SPACE = 0x20,
  COLON = 0x3a,
  LBRACK = 0x5b,
  RBRACK = 0x5d,
  LT = 0x3c;

export interface EntryParserOptions extends DateParserOptions {
  format?: LineFormat;
}

/**
 * An entry over a range of a buffer; views and strings are made on first use. The filter engine
 * reads its message as the range `buf[msgStart, end)` (see `messageInBuffer`), without a view.
 */
export class RangeEntry implements LogEntry {
  time: number | undefined = undefined;
  program: string | undefined = undefined;
  pid: number | undefined = undefined;
  dateFormat: string | undefined = undefined;
  unit: undefined;
  private _raw: Buffer | undefined = undefined;
  private _message: Buffer | undefined = undefined;
  /** A hook replaced the message: it is `_message`, no longer a range of `buf`. */
  private replaced = false;
  private _host: string | null | undefined = undefined;
  hostStart = -1;
  hostEnd = -1;
  msgStart: number;
  /** The parser's shared entry (`parseShared`): the next line overwrites it, so `detach` it to keep it. */
  shared = false;

  constructor(
    public buf: Buffer,
    public start: number,
    public end: number,
    public origin: string | undefined,
    readonly names: ProgramNames,
  ) {
    this.msgStart = start;
  }

  /** Make this (shared) entry the one of another line, as a new entry would be. */
  reset(buf: Buffer, start: number, end: number, origin: string | undefined): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.origin = origin;
    this.time = undefined;
    this.program = undefined;
    this.pid = undefined;
    this.dateFormat = undefined;
    this._raw = undefined;
    this._message = undefined;
    this.replaced = false;
    this._host = undefined;
    this.hostStart = -1;
    this.hostEnd = -1;
    this.msgStart = start;
  }

  /**
   * An entry of its own with this one's contents (itself unless it is the parser's shared one), over
   * a copy of the line: a reader may fill its buffer with the next chunk once the line is handled.
   */
  detach(): RangeEntry {
    if (!this.shared) return this;
    const n = this.end - this.start;
    const copy = Buffer.allocUnsafe(n);
    this.buf.copy(copy, 0, this.start, this.end);
    const e = new RangeEntry(copy, 0, n, this.origin, this.names);
    e.time = this.time;
    e.program = this.program;
    e.pid = this.pid;
    e.dateFormat = this.dateFormat;
    if (this.replaced) {
      e._message = this._message;
      e.replaced = true;
    }
    e._host = this._host;
    e.hostStart = this.hostStart - this.start;
    e.hostEnd = this.hostEnd - this.start;
    e.msgStart = this.msgStart - this.start;
    return e;
  }

  get raw(): Buffer {
    return (this._raw ??= this.start === 0 && this.end === this.buf.length ? this.buf : this.buf.subarray(this.start, this.end));
  }

  get message(): Buffer {
    return (this._message ??= this.msgStart === this.start ? this.raw : this.buf.subarray(this.msgStart, this.end));
  }

  set message(m: Buffer) {
    this._message = m;
    this.replaced = true;
  }

  /** Whether the message is still `buf[msgStart, end)` (no hook replaced it). */
  get messageInBuffer(): boolean {
    return !this.replaced;
  }

  get host(): string | undefined {
    if (this._host === undefined) this._host = this.hostStart < 0 ? null : this.names.name(this.buf, this.hostStart, this.hostEnd);
    return this._host ?? undefined;
  }

  set host(h: string | undefined) {
    this._host = h ?? null;
  }
}

export class EntryParser {
  private readonly dates: DateParser;
  private readonly format: LineFormat;
  private readonly names = new ProgramNames();
  private readonly shared: RangeEntry;

  constructor(opts: EntryParserOptions = {}) {
    this.dates = new DateParser(opts);
    this.format = opts.format ?? 'text';
    this.shared = new RangeEntry(Buffer.alloc(0), 0, 0, undefined, this.names);
    this.shared.shared = true;
  }

  parse(raw: Buffer, origin?: string): LogEntry {
    return this.parseRange(raw, 0, raw.length, origin);
  }

  /** Parse the line `buf[start, end)` (no newline) without copying it. */
  parseRange(buf: Buffer, start: number, end: number, origin?: string): LogEntry {
    return this.fill(new RangeEntry(buf, start, end, origin, this.names));
  }

  /**
   * As `parseRange`, into this parser's one shared entry instead of a new one: for readers done
   * with a line before they parse the next (an object per line is most of the garbage of reading a
   * log), which may then reuse `buf`. The filter engine detaches it (a copy of the line) when a
   * reducer keeps matches; anyone else keeping it must call `detach()` (`RangeEntry`).
   */
  parseShared(buf: Buffer, start: number, end: number, origin?: string): LogEntry {
    const e = this.shared;
    e.reset(buf, start, end, origin);
    return this.fill(e);
  }

  private fill(e: RangeEntry): RangeEntry {
    const buf = e.buf,
      start = e.start,
      end = e.end;
    const date = this.dates.find(buf, start, end);
    if (this.format === 'journal-line') {
      // `journalctl -o short|short-iso|short-precise` put a date before `host ident[pid]:`.
      if (!date || date.start > headerDateStart(buf, start, end) + 1) {
        parseHeader(e, start, true);
        return e;
      }
      e.time = date.time;
      e.dateFormat = date.format;
      let p = date.end;
      if (p < end && buf[p] === RBRACK) p++;
      parseHeader(e, p, true);
      return e;
    }
    if (!date) {
      parseUndated(e, start);
      return e;
    }
    const inside = date.start > headerDateStart(buf, start, end) + 1;
    // A date inside a syslog line (one whose header parseUndated finds) is part of the program's
    // message, text a client may have sent: the line's own date is missing or unreadable, and the
    // header is what counts — otherwise such text could hide the line from a program prefilter.
    if (inside && parseUndated(e, start)) return e;
    e.time = date.time;
    e.dateFormat = date.format;
    // The date sits inside the line (access logs: `1.2.3.4 - - [date] "GET …"`, JSON and key=value
    // logs): the message is the whole line, so patterns see the client address written before it.
    if (inside) return e;
    let pos = date.end;
    if (pos < end && buf[pos] === RBRACK) pos++;
    if (date.format === 'rfc5424') parse5424(e, pos);
    else parseHeader(e, pos, false);
    return e;
  }
}

/**
 * After the date: ` host prog[pid]: msg`, ` prog[pid]: msg` (no host), ` [prog]: msg`, with an
 * optional `<facility.level>` before the host, a container tag (`@vserver_x`, `[name]`) before the
 * host or the program, and `prog[pid]` without its colon (old syslogd, ProFTPD). Returns whether a
 * header was found; anything else leaves the message as the rest of the line.
 */
function parseHeader(e: RangeEntry, pos: number, hostFirst: boolean, tags = 2): boolean {
  const b = e.buf,
    end = e.end;
  while (pos < end && b[pos] === SPACE) pos++;
  pos = skipFacilityLevel(b, pos, end);
  if (tags > 0 && !hostFirst) {
    // `[vserver] host prog[pid]: msg`: the tag counts only when a header with a pid follows.
    const tag = containerTagEnd(b, pos, end);
    if (tag > 0 && parseHeader(e, tag, false, tags - 1) && (e.pid !== undefined || b[pos] === 0x40)) return true;
    clearHeader(e);
  }
  e.msgStart = pos;
  const t1End = tokenEnd(b, pos, end);
  if (t1End === pos) return false;
  let progStart = pos;
  let progEnd = t1End;
  if (!hostFirst && b[pos] === LBRACK && b[t1End - 1] === RBRACK && t1End - pos > 2) {
    // `[sshd] message`: a bracketed program without a colon (host names have no brackets);
    // `[12345] message` (exim's own log with +pid): a bracketed pid.
    if (!setPidOrName(e, pos + 1, t1End - 1)) return false;
    e.msgStart = t1End < end && b[t1End] === SPACE ? t1End + 1 : t1End;
    return true;
  }
  if (b[t1End - 1] !== COLON || hostFirst) {
    // First token is the host (unless it already ends in ':' — a header without host).
    if (b[t1End - 1] === COLON) return false;
    e.hostStart = pos;
    e.hostEnd = t1End;
    pos = t1End;
    while (pos < end && b[pos] === SPACE) pos++;
    // `host @vserver_x prog[pid]: msg`, `host [container] prog[pid]: msg`
    const tag = containerTagEnd(b, pos, end);
    if (tag > 0 && isProgramToken(b, tag, tokenEnd(b, tag, end))) pos = tag;
    progStart = pos;
    progEnd = tokenEnd(b, pos, end);
  }
  let msg = progEnd;
  if (progEnd > progStart && b[progEnd - 1] === COLON && parseProgram(e, progStart, progEnd - 1)) {
    if (msg < end && b[msg] === SPACE) msg++;
  } else if (progEnd > progStart && progEnd < end && b[progEnd - 1] === RBRACK && parseProgram(e, progStart, progEnd) && e.pid !== undefined) {
    msg = progEnd + 1; // `host proftpd[123] text`: a pid, but no colon
  } else {
    clearHeader(e);
    return false;
  }
  e.msgStart = skipMessageTags(b, msg, end);
  return true;
}

function clearHeader(e: RangeEntry): void {
  e.hostStart = -1;
  e.program = undefined;
  e.pid = undefined;
}

/** A `prog[pid]:` or `prog:` token (for deciding whether what comes before it is a tag). */
function isProgramToken(b: Buffer, start: number, end: number): boolean {
  return end > start + 1 && b[end - 1] === COLON && b[start] !== LBRACK;
}

/**
 * Lines whose date is missing or not one we read: still find the header, so that a filter's program
 * prefilter does not drop the line (its time is then the time of reading). After a date-like prefix
 * (`Jan 32 25:00:00 host sshd[1]: …`) any header is taken; at the start of the line (`sshd[1]: …`,
 * `<13>sshd[1]: …`, `host sshd[1]: …`) only one with a pid, because `word: text` is too common in
 * plain messages. A kernel clock at the start (`[  970.699396] …`, dmesg) is cut off. Returns whether
 * any of these was found (otherwise the message is the whole line).
 */
function parseUndated(e: RangeEntry, start: number): boolean {
  const b = e.buf,
    end = e.end;
  const pos = headerDateStart(b, start, end);
  const kernel = kernelTimestampEnd(b, pos, end);
  if (kernel > 0) {
    e.msgStart = kernel;
    return true;
  }
  const shape = dateShapeEnd(b, pos, end);
  if (shape > 0 && parseHeader(e, shape, false)) return true;
  clearHeader(e);
  return pidHeaderAtStart(e, start);
}

/** `[<PRI>][host ]prog[pid]: ` at the start of the line: parsed, true; otherwise the entry is left whole. */
function pidHeaderAtStart(e: RangeEntry, start: number): boolean {
  if (parseHeader(e, headerDateStart(e.buf, start, e.end), false) && e.pid !== undefined) return true;
  clearHeader(e);
  e.msgStart = start;
  return false;
}

/** After `prog[pid]: `: Solaris' `[ID 800047 auth.info] ` and the kernel's `[  970.699396] `. */
function skipMessageTags(b: Buffer, pos: number, end: number): number {
  pos = skipSolarisTag(b, pos, end);
  const kernel = kernelTimestampEnd(b, pos, end);
  return kernel > 0 ? kernel : pos;
}

/** Where the token at `pos` ends: its space, or the line's end (a loop: tokens are short, a native call is not). */
function tokenEnd(b: Buffer, pos: number, end: number): number {
  let i = pos;
  while (i < end && b[i] !== SPACE) i++;
  return i;
}

/**
 * `name[pid]`, `name`, or `[name]`; names are printable ASCII without spaces or brackets. A module
 * in parentheses (`sshd(pam_unix)[123]`, old PAM) is not part of the program's name.
 */
function parseProgram(e: RangeEntry, start: number, end: number): boolean {
  const b = e.buf;
  if (b[start] === LBRACK && b[end - 1] === RBRACK) return setName(e, start + 1, end - 1);
  let open = -1;
  for (let i = start; i < end; i++)
    if (b[i] === LBRACK) {
      open = i;
      break;
    }
  if (open < 0) return setName(e, start, moduleStart(b, start, end));
  if (b[end - 1] !== RBRACK || end - 1 === open + 1 || end - 1 - open > 11) return false;
  let pid = 0;
  for (let i = open + 1; i < end - 1; i++) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) return false;
    pid = pid * 10 + (c - 0x30);
  }
  if (!setName(e, start, moduleStart(b, start, open))) return false;
  e.pid = pid;
  return true;
}

/** Where `(module)` starts in `name(module)`, or `end` when the name has none. */
function moduleStart(b: Buffer, start: number, end: number): number {
  if (b[end - 1] !== 0x29) return end;
  const open = b.indexOf(0x28, start);
  return open > start && open < end - 2 ? open : end;
}

/** `[12345]` is a pid (exim's own log with +pid), `[sshd]` a program name. */
function setPidOrName(e: RangeEntry, start: number, end: number): boolean {
  let pid = 0;
  for (let i = start; i < end; i++) {
    const c = e.buf[i]!;
    if (c < 0x30 || c > 0x39 || end - start > 10) return setName(e, start, end);
    pid = pid * 10 + (c - 0x30);
  }
  e.pid = pid;
  return true;
}

function setName(e: RangeEntry, start: number, end: number): boolean {
  if (end <= start || end - start > 64) return false;
  const b = e.buf;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c <= SPACE || c >= 0x7f || c === LBRACK || c === RBRACK || c === COLON) return false;
  }
  e.program = e.names.name(b, start, end);
  return true;
}

/** FreeBSD `syslogd -v -v` writes `<facility.level> ` between the date and the host: skip it. */
function skipFacilityLevel(b: Buffer, pos: number, end: number): number {
  if (b[pos] !== LT) return pos;
  let i = pos + 1,
    dot = false;
  for (; i < end && i - pos <= 24; i++) {
    const c = b[i]!;
    if (c === 0x3e) break;
    if (c === 0x2e && !dot) {
      dot = true;
      continue;
    }
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return pos;
  }
  if (!dot || b[i] !== 0x3e || b[i + 1] !== SPACE) return pos;
  i += 2;
  while (i < end && b[i] === SPACE) i++;
  return i;
}

/** Solaris syslog adds `[ID 800047 auth.info] ` before the message. */
function skipSolarisTag(b: Buffer, pos: number, end: number): number {
  if (b[pos] !== LBRACK || b[pos + 1] !== 0x49 || b[pos + 2] !== 0x44 || b[pos + 3] !== SPACE) return pos;
  const close = b.indexOf(RBRACK, pos);
  if (close < 0 || close >= end || close - pos > 64) return pos;
  return close + 1 < end && b[close + 1] === SPACE ? close + 2 : close + 1;
}

/** RFC 5424: ` HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`, `-` for absent fields. */
function parse5424(e: RangeEntry, pos: number): void {
  const b = e.buf,
    end = e.end;
  while (pos < end && b[pos] === SPACE) pos++;
  const fields: [number, number][] = [];
  for (let k = 0; k < 4; k++) {
    const t = tokenEnd(b, pos, end);
    fields.push([pos, t]);
    pos = Math.min(t + 1, end);
  }
  // Structured data: `-` or one or more `[...]` elements (quoted values may contain `]` escaped).
  if (b[pos] === 0x2d) pos += 2;
  else {
    while (pos < end && b[pos] === LBRACK) {
      // An SD element ends at the first `]` outside a quoted param value (`\` escapes inside).
      let i = pos + 1;
      let quoted = false;
      while (i < end && (quoted || b[i] !== RBRACK)) {
        if (b[i] === 0x5c && quoted) i += 2;
        else {
          if (b[i] === 0x22) quoted = !quoted;
          i++;
        }
      }
      pos = i + 1;
    }
    if (b[pos] === SPACE) pos++;
  }
  if (b[pos] === 0xef && b[pos + 1] === 0xbb && b[pos + 2] === 0xbf) pos += 3; // BOM
  e.msgStart = Math.min(pos, end);
  const text = ([s, t]: [number, number]) => b.toString('latin1', s, t);
  const [host, app, procid] = fields;
  if (text(host!) !== '-') {
    e.hostStart = host![0];
    e.hostEnd = host![1];
  }
  const appName = text(app!);
  // APP-NAME is 1-48 printable US-ASCII characters (RFC 5424 §6.2.5): anything else names nobody.
  if (appName !== '-' && appName !== '' && appName.length <= 48 && /^[\x21-\x7e]+$/.test(appName)) e.program = appName;
  const pid = text(procid!);
  if (/^[0-9]{1,10}$/.test(pid)) e.pid = Number(pid);
}

/**
 * Where a line's own (header) date may start: 0, or after a syslog priority `<34>` (and RFC 5424's
 * version `1 `), which DateParser skips and does not count in `start`.
 */
function headerDateStart(b: Buffer, start: number, end: number): number {
  if (b[start] !== LT) return start;
  let gt = -1;
  for (let i = start + 1; i < Math.min(end, start + 5); i++)
    if (b[i] === 0x3e) {
      gt = i;
      break;
    }
  if (gt - start < 2 || gt - start > 4) return start;
  return b[gt + 1] === 0x31 && b[gt + 2] === SPACE ? gt + 3 : gt + 1;
}

/** True when the line starts with a syslog priority (`<34>`), which some relays keep. */
export function hasPriority(raw: Buffer): boolean {
  return raw[0] === LT;
}
