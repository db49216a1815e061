/**
 * Finding and parsing the timestamp of a log line. This runs once per line, so it works on the raw
 * bytes with hand-written positional scanners (no regex, no string decoding, no backtracking: every
 * scanner reads a bounded number of bytes), and converts a wall-clock second to epoch at most once
 * per distinct second: consecutive lines nearly always share it.
 *
 * Time zones: see timezone.ts.
 */
import { DAY, HOUR, MINUTE, daysInMonth, getZone, localZoneName, offsetAt, utcMs, wallYearMonth, zonedToEpoch, type Zone } from './timezone.js';

export { makeZonedTime, formatIsoWithOffset } from './timezone.js';

export interface DateMatch {
  /** Epoch milliseconds. */
  time: number;
  /**
   * Byte offsets of the date text in the line. When the date is wrapped in brackets (`[...]`, with the
   * `]` right after the date), the brackets are included so that cutting [start, end) leaves a clean
   * message. A syslog `<pri>` (and the RFC 5424 version) is not included.
   */
  start: number;
  end: number;
  /** Name of the format: bsd-syslog, iso8601, rfc5424, rfc2822, ymd-slash, apache, clf, epoch, dd-mon-yyyy, yymmdd, tai64n. */
  format: string;
}

export interface DateParserOptions {
  /** IANA zone for zone-less formats; default: the process local zone. */
  timezone?: string;
  /** Epoch ms, for year inference; default Date.now. */
  now?: () => number;
}

/** A year-less date may be this far in the future (clock skew between hosts) before it means last year. */
const FUTURE_TOLERANCE = DAY;
/** How far from the line start the CLF `[dd/Mon/yyyy:` is looked for (client address, ident, user). */
const CLF_WINDOW = 128;
/** How far from the line start a time field of a JSON or key=value log is looked for. */
const FIELD_WINDOW = 512;
/**
 * Time fields of structured logs (JSON: GitLab, Traefik, Docker; logfmt: Grafana, Go services). The
 * first one present wins; in JSON a key cannot occur inside a string value (its quotes would be
 * escaped), so text a client sent cannot pose as it.
 */
const TIME_FIELDS = ['"time":', '"timestamp":', '"@timestamp":', '"ts":', 't=', 'time=', 'ts=', 'timestamp='].map((k) => Buffer.from(k, 'latin1'));
const MAX_TIME_FIELD = Math.max(...TIME_FIELDS.map((k) => k.length));

// ---------------------------------------------------------------- byte scanners

/**
 * Fields of the last scan. parse() is synchronous, so one shared scratch object is safe and saves an
 * allocation per line (an object rather than module `let`s: V8 checks the TDZ on every `let` access).
 */
const f = {
  y: 0,
  mo: 0,
  d: 0,
  h: 0,
  mi: 0,
  s: 0,
  ms: 0,
  /** Explicit UTC offset in ms, or NaN for zone-less. */
  off: NaN,
  /** Whether the text had a year (else it is inferred). */
  hasYear: true,
  /** Epoch ms of an epoch-format date (without its fraction). */
  epoch: 0,
  /** End of a CLF date (after its `]`). */
  clfEnd: 0,
};

/** Value of two ASCII digits at i, or -1. Callers guarantee i + 1 < length. */
function d2(b: Uint8Array, i: number): number {
  const a = b[i]! - 48,
    c = b[i + 1]! - 48;
  return a >= 0 && a <= 9 && c >= 0 && c <= 9 ? a * 10 + c : -1;
}

function d4(b: Uint8Array, i: number): number {
  const hi = d2(b, i),
    lo = d2(b, i + 2);
  return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}

/** Month from a 3-letter English abbreviation (any case), 1-12, or 0. */
function month3(b: Uint8Array, i: number): number {
  // `| 0x20` lowercases letters and maps no other byte onto a lowercase letter.
  switch (((b[i]! | 0x20) << 16) | ((b[i + 1]! | 0x20) << 8) | (b[i + 2]! | 0x20)) {
    case 0x6a616e:
      return 1;
    case 0x666562:
      return 2;
    case 0x6d6172:
      return 3;
    case 0x617072:
      return 4;
    case 0x6d6179:
      return 5;
    case 0x6a756e:
      return 6;
    case 0x6a756c:
      return 7;
    case 0x617567:
      return 8;
    case 0x736570:
      return 9;
    case 0x6f6374:
      return 10;
    case 0x6e6f76:
      return 11;
    case 0x646563:
      return 12;
    default:
      return 0;
  }
}

function isWeekday3(b: Uint8Array, i: number): boolean {
  switch (((b[i]! | 0x20) << 16) | ((b[i + 1]! | 0x20) << 8) | (b[i + 2]! | 0x20)) {
    case 0x6d6f6e:
    case 0x747565:
    case 0x776564:
    case 0x746875:
    case 0x667269:
    case 0x736174:
    case 0x73756e:
      return true;
    default:
      return false;
  }
}

/** `H:MM:SS` at i (one-digit hour) into f.h, f.mi, f.s; returns the end or -1. */
function hmsOneDigitHour(b: Uint8Array, i: number, n: number): number {
  const h = b[i]! - 48;
  if (i + 7 > n || h < 0 || h > 9 || b[i + 1] !== 0x3a || b[i + 4] !== 0x3a) return -1;
  f.h = h;
  f.mi = d2(b, i + 2);
  f.s = d2(b, i + 5);
  return f.mi < 0 || f.mi > 59 || f.s < 0 || f.s > 60 ? -1 : i + 7;
}

/** Epoch ms of a TAI64N label at i (`@` + 24 hex digits, then the end or a space), or null. */
function tai64n(b: Uint8Array, i: number, n: number): number | null {
  if (i + 25 > n || (i + 25 < n && b[i + 25] !== 0x20) || b[i + 1] !== 0x34) return null;
  let hi = 0,
    lo = 0,
    ns = 0;
  for (let q = i + 2; q < i + 25; q++) {
    const c = b[q]!,
      v = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
    if (v < 0) return null;
    if (q < i + 9) hi = hi * 16 + v;
    else if (q < i + 17) lo = lo * 16 + v;
    else ns = ns * 16 + v;
  }
  if (hi !== 0) return null; // beyond 2106, or not a label
  return (lo - 10) * 1000 + Math.floor(ns / 1e6);
}

/** `HH:MM:SS` at i into f.h, f.mi, f.s; returns the end or -1. Seconds may be 60 (a leap second). */
function hms(b: Uint8Array, i: number, n: number): number {
  if (i + 8 > n || b[i + 2] !== 0x3a || b[i + 5] !== 0x3a) return -1;
  f.h = d2(b, i);
  f.mi = d2(b, i + 3);
  f.s = d2(b, i + 6);
  return f.h < 0 || f.h > 23 || f.mi < 0 || f.mi > 59 || f.s < 0 || f.s > 60 ? -1 : i + 8;
}

/** An optional `.123456` (or `,123` if comma) at i into f.ms, truncated to milliseconds; returns the end. */
function fraction(b: Uint8Array, i: number, n: number, comma: boolean): number {
  f.ms = 0;
  const c = b[i];
  if (!(c === 0x2e || (comma && c === 0x2c))) return i;
  let j = i + 1,
    digits = 0;
  for (; j < n; j++) {
    const v = b[j]! - 48;
    if (v < 0 || v > 9) break;
    if (++digits <= 3) f.ms = f.ms * 10 + v;
  }
  if (digits === 0) return i; // a dot not followed by digits is not ours
  if (digits === 1) f.ms *= 100;
  else if (digits === 2) f.ms *= 10;
  return j;
}

/** Day written as `dd`, ` d` or `d` (then a space) at i; sets f.d, returns the index of the space or -1. */
function paddedDay(b: Uint8Array, i: number): number {
  let j = i;
  if (b[j] === 0x20) j++;
  const a = b[j]! - 48;
  if (a < 0 || a > 9) return -1;
  const c = b[j + 1]! - 48;
  if (c >= 0 && c <= 9 && j === i) {
    f.d = a * 10 + c;
    j += 2;
  } else {
    f.d = a;
    j += 1;
  }
  return f.d >= 1 && f.d <= 31 && b[j] === 0x20 ? j : -1;
}

/** End of the bytes that may follow a trailing year or epoch number (so that `2023x` is not one). */
function isDelimiter(b: Uint8Array, i: number, n: number): boolean {
  if (i >= n) return true;
  const c = b[i];
  return c === 0x20 || c === 0x09 || c === 0x5d || c === 0x2c || c === 0x3a || c === 0x29 || c === 0x3b;
}

/** An optional ` YYYY` (a plausible year, then a delimiter) at i; sets f.y and f.hasYear, returns the end. */
function trailingYear(b: Uint8Array, i: number, n: number): number {
  f.hasYear = false;
  if (i + 5 > n || b[i] !== 0x20) return i;
  const y = d4(b, i + 1);
  if (y < 1970 || y > 2199 || !isDelimiter(b, i + 5, n) || b[i + 5] === 0x3a) return i;
  f.y = y;
  f.hasYear = true;
  return i + 5;
}

/**
 * `Nov  5 14:37:01[.123][ 2023]` (bsd-syslog); with `weekday`, `Wed Dec  9 21:35:20[.123456] 2023`;
 * a zone name before or after the year (`… 14:32:52 CET 2000`, `… 01:31:41 2024 UTC`).
 */
function scanMonthFirst(b: Uint8Array, i: number, n: number): number {
  if (i + 14 > n || b[i + 3] !== 0x20) return -1;
  f.mo = month3(b, i);
  if (f.mo === 0) return -1;
  const sp = paddedDay(b, i + 4);
  if (sp < 0) return -1;
  let j = hms(b, sp + 1, n);
  if (j < 0) return -1;
  j = zoneName(b, fraction(b, j, n, false), n);
  return zoneName(b, trailingYear(b, j, n), n);
}

/** `2023-12-09T21:35:20[.123456][Z|+01:00|+0100| +0100| UTC]`, also with a space for T and `,123`. */
function scanIso(b: Uint8Array, i: number, n: number): number {
  if (i + 19 > n || b[i + 4] !== 0x2d || b[i + 7] !== 0x2d || b[i + 13] !== 0x3a) return -1;
  const t = b[i + 10];
  if (t !== 0x54 && t !== 0x20 && t !== 0x74) return -1;
  f.y = d4(b, i);
  f.mo = d2(b, i + 5);
  f.d = d2(b, i + 8);
  // MariaDB pads the hour with a space: `2015-10-07  8:25:38`.
  let j = t === 0x20 && b[i + 11] === 0x20 ? hmsOneDigitHour(b, i + 12, n) : hms(b, i + 11, n);
  if (j < 0 || f.y < 0) return -1;
  j = fraction(b, j, n, true);
  return zone(b, j, n);
}

/** Optional zone designator at i into f.off; returns the end. Malformed ones are left unread. */
function offset(b: Uint8Array, i: number, n: number): number {
  f.off = NaN;
  if (i >= n) return i;
  let c = b[i],
    j = i;
  if (c === 0x5a || c === 0x7a) {
    f.off = 0;
    return i + 1;
  }
  if (c === 0x20 && i + 5 < n) {
    j = i + 1;
    c = b[j];
  } // `... 21:35:20 +0100`: numeric offsets only
  if ((c !== 0x2b && c !== 0x2d) || j + 3 > n) return i;
  const hh = d2(b, j + 1);
  if (hh < 0 || hh > 23) return i;
  let mm = 0,
    end = j + 3;
  if (b[end] === 0x3a) {
    mm = end + 3 <= n ? d2(b, end + 1) : -1;
    end += 3;
  } else if (end + 2 <= n && b[end]! >= 48 && b[end]! <= 57) {
    mm = d2(b, end);
    end += 2;
  } else if (j !== i) {
    return i; // a bare ` +01` after a space is too likely to be something else
  }
  if (mm < 0 || mm > 59 || (end < n && b[end]! >= 48 && b[end]! <= 57)) return i;
  f.off = (c === 0x2d ? -1 : 1) * (hh * HOUR + mm * MINUTE);
  return end;
}

/**
 * Zone abbreviations written after a time (`… 21:35:20 UTC`, PostgreSQL's `%t`, date(1)), as UTC
 * offsets in minutes. Only names that mean one offset: `IST` (India, Israel, Ireland) and `CST`
 * (US, China, Cuba) are deliberately absent, and such a line is read in the configured zone.
 */
const ZONE_NAMES: ReadonlyMap<string, number> = new Map([
  ['UTC', 0],
  ['GMT', 0],
  ['UT', 0],
  ['Z', 0],
  ['WET', 0],
  ['WEST', 60],
  ['BST', 60],
  ['CET', 60],
  ['CEST', 120],
  ['MET', 60],
  ['MEST', 120],
  ['EET', 120],
  ['EEST', 180],
  ['MSK', 180],
  ['EST', -300],
  ['EDT', -240],
  ['CDT', -300],
  ['MST', -420],
  ['MDT', -360],
  ['PST', -480],
  ['PDT', -420],
  ['AKST', -540],
  ['AKDT', -480],
  ['HST', -600],
  ['JST', 540],
  ['KST', 540],
  ['HKT', 480],
  ['SGT', 480],
  ['AWST', 480],
  ['ACST', 570],
  ['ACDT', 630],
  ['AEST', 600],
  ['AEDT', 660],
  ['NZST', 720],
  ['NZDT', 780],
]);

/**
 * An optional ` UTC` / ` CEST` (uppercase, a known name, then a delimiter) at i into f.off, unless
 * an offset was already read; returns the end. One byte test for the usual lowercase host name.
 */
function zoneName(b: Uint8Array, i: number, n: number): number {
  if (f.off === f.off || b[i] !== 0x20) return i;
  let j = i + 1;
  while (j < n && j - i <= 5 && b[j]! >= 0x41 && b[j]! <= 0x5a) j++;
  if (j === i + 1 || j - i > 5 || !isDelimiter(b, j, n) || b[j] === 0x3a) return i;
  const minutes = ZONE_NAMES.get(String.fromCharCode(...b.subarray(i + 1, j)));
  if (minutes === undefined) return i;
  f.off = minutes * MINUTE;
  return j;
}

/** An optional zone after a time: a numeric offset (`+0100`, ` -05:00`) or a zone name. */
function zone(b: Uint8Array, i: number, n: number): number {
  return zoneName(b, offset(b, i, n), n);
}

/** `2023/12/09 21:35:20[.123][ zone]` (nginx error log). */
function scanYmdSlash(b: Uint8Array, i: number, n: number): number {
  if (i + 19 > n || b[i + 4] !== 0x2f || b[i + 7] !== 0x2f || b[i + 10] !== 0x20) return -1;
  f.y = d4(b, i);
  f.mo = d2(b, i + 5);
  f.d = d2(b, i + 8);
  const j = hms(b, i + 11, n);
  return j < 0 || f.y < 0 ? -1 : zone(b, fraction(b, j, n, false), n);
}

/** `09-Dec-2023 21:35:20[.123][ +0100]` or `9-Dec-2023 …` (bind, asterisk; Roundcube/PHP write the offset). */
function scanDdMonYyyy(b: Uint8Array, i: number, n: number): number {
  let j: number;
  if (b[i + 1] === 0x2d) {
    f.d = b[i]! - 48;
    j = i + 2;
  } else if (b[i + 2] === 0x2d) {
    f.d = d2(b, i);
    j = i + 3;
  } else return -1;
  if (j + 17 > n || f.d < 1 || f.d > 31 || b[j + 3] !== 0x2d || b[j + 8] !== 0x20) return -1;
  f.mo = month3(b, j);
  f.y = d4(b, j + 4);
  const k = f.mo === 0 || f.y < 0 ? -1 : hms(b, j + 9, n);
  return k < 0 ? -1 : zone(b, fraction(b, k, n, false), n);
}

/** RFC 2822 after the weekday's `, `: `1 Jan 2023 00:00:00[ +0000| GMT]` (mail and HTTP software). */
function scanRfc2822(b: Uint8Array, i: number, n: number): number {
  let j: number;
  const a = d2(b, i);
  if (a >= 0 && b[i + 2] === 0x20) {
    f.d = a;
    j = i + 3;
  } else if (b[i]! >= 0x31 && b[i]! <= 0x39 && b[i + 1] === 0x20) {
    f.d = b[i]! - 48;
    j = i + 2;
  } else return -1;
  if (j + 17 > n || b[j + 3] !== 0x20 || b[j + 8] !== 0x20) return -1;
  f.mo = month3(b, j);
  f.y = d4(b, j + 4);
  const k = f.mo === 0 || f.y < 0 ? -1 : hms(b, j + 9, n);
  return k < 0 ? -1 : zone(b, k, n);
}

/**
 * `1700000000[.123]`: 10-digit epoch seconds, then a delimiter (in a JSON field also `}` or `"`).
 * Sets f.ms; returns the end.
 */
function scanEpoch(b: Uint8Array, i: number, n: number, inField = false): number {
  if (i + 10 > n) return -1;
  let v = 0;
  for (let j = i; j < i + 10; j++) {
    const c = b[j]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  f.epoch = v * 1000;
  const j = fraction(b, i + 10, n, false);
  return isDelimiter(b, j, n) || (inField && (b[j] === 0x7d || b[j] === 0x22)) ? j : -1;
}

/** Whether position i is outside logfmt's double-quoted values (an even number of unescaped `"` before it). */
function outsideQuotes(b: Uint8Array, from: number, i: number): boolean {
  let quotes = 0;
  for (let j = from; j < i; j++) if (b[j] === 0x22 && (j === from || b[j - 1] !== 0x5c)) quotes++;
  return quotes % 2 === 0;
}

/** MySQL 5 `231209 21:35:20` / `231209  1:35:20` (hour padded with a space). */
function scanYymmdd(b: Uint8Array, i: number, n: number): number {
  if (i + 15 > n || b[i + 6] !== 0x20) return -1;
  const yy = d2(b, i);
  f.mo = d2(b, i + 2);
  f.d = d2(b, i + 4);
  if (yy < 0) return -1;
  f.y = 2000 + yy;
  let j = i + 7;
  if (b[j] === 0x20) {
    const h = b[j + 1]! - 48,
      m = d2(b, j + 3),
      s = d2(b, j + 6);
    if (h < 0 || h > 9 || b[j + 2] !== 0x3a || b[j + 5] !== 0x3a || m < 0 || m > 59 || s < 0 || s > 60) return -1;
    f.h = h;
    f.mi = m;
    f.s = s;
    j += 8;
  } else {
    j = hms(b, j, n);
  }
  return j >= 0 && isDelimiter(b, j, n) ? j : -1;
}

/** CLF `[10/Oct/2023:13:55:36 +0200]` anywhere in the first CLF_WINDOW bytes; returns the `[` or -1. */
function scanClf(b: Buffer, from: number, n: number): number {
  const limit = Math.min(n - 21, from + CLF_WINDOW);
  if (limit <= from) return -1;
  // Buffer#indexOf is a native memchr: cheaper than a JS loop over the window for the usual 0-2 `[`.
  // It searches a view that ends with the window: `b` may be a whole read chunk (test-filter hands
  // lines as ranges of it), and a search to its end for every line would be quadratic.
  const w = b.length > limit ? b.subarray(0, limit) : b;
  for (let i = w.indexOf(0x5b, from); i >= 0; i = w.indexOf(0x5b, i + 1)) {
    if (b[i + 3] !== 0x2f || b[i + 7] !== 0x2f || b[i + 12] !== 0x3a) continue;
    f.d = d2(b, i + 1);
    f.mo = month3(b, i + 4);
    f.y = d4(b, i + 8);
    if (f.d < 1 || f.d > 31 || f.mo === 0 || f.y < 0) continue;
    let j = hms(b, i + 13, n);
    if (j < 0) continue;
    j = offset(b, fraction(b, j, n, false), n);
    if (b[j] !== 0x5d) continue;
    f.clfEnd = j + 1;
    return i;
  }
  return -1;
}

// ---------------------------------------------------------------- the parser

/**
 * Bytes past a date's end that its scan may have read: a numeric offset that turns out malformed
 * (` +01:0x`: up to 7 past), a zone name (` CEST` and the byte after it), a year (` 2024` and the
 * delimiter after it).
 */
const LOOKAHEAD = 8;
/** The longest run of bytes remembered for the next line (a date with its fraction and zone). */
const MAX_REMEMBERED = 48;

export class DateParser {
  private readonly zone: Zone;
  private readonly now: () => number;
  /** Last wall-clock second converted (packed fields, year 0 = inferred) and its epoch ms. */
  private lastKey = -1;
  private lastSecond = 0;
  /** The same for dates with an explicit offset: wall-clock second → that second read as UTC. */
  private wallKey = -1;
  private wallSecond = 0;
  /** What `find` returns, filled in anew by each call. */
  private readonly last: DateMatch = { time: 0, start: 0, end: 0, format: '' };
  /**
   * The bytes of the last line's date and of what its scan read after it (0: nothing remembered),
   * and what the scan made of them: a line that starts with the same bytes has the same date, and
   * most lines of a log share their second with the one before (a million-line auth.log: 245,725
   * runs). Only for the syslog and ISO 8601 dates at the start of a line, whose scans were checked
   * never to read further (LOOKAHEAD).
   */
  private readonly remembered = new Uint8Array(MAX_REMEMBERED);
  private rememberedLength = 0;
  private rememberedTime = 0;
  private rememberedEnd = 0;
  private rememberedFormat = '';

  /** Throws F2B_ERR_TIMEZONE_INVALID for an unknown `timezone`. */
  constructor(opts: DateParserOptions = {}) {
    this.zone = getZone(opts.timezone ?? localZoneName());
    this.now = opts.now ?? Date.now;
  }

  /**
   * The date at the start of the line (from `from`), after an optional `[` or syslog `<pri>`, or a CLF
   * date in the first 128 bytes. Null if there is none. `end` bounds the line inside a larger buffer.
   */
  parse(line: Buffer, from = 0, lineEnd = line.length): DateMatch | null {
    const m = this.find(line, from, lineEnd);
    return m === null ? null : { time: m.time, start: m.start, end: m.end, format: m.format };
  }

  /**
   * As `parse`, without an object per line: the match returned is this parser's own, overwritten
   * by the next call (the entry parser reads it at once; a line a second costs no garbage).
   */
  find(line: Buffer, from = 0, lineEnd = line.length): Readonly<DateMatch> | null {
    const n = this.rememberedLength;
    if (n > 0 && lineEnd - from >= n) {
      const r = this.remembered;
      let k = 0;
      while (k < n && line[from + k] === r[k]) k++;
      if (k === n) return this.found(this.rememberedTime, from, from + this.rememberedEnd, this.rememberedFormat);
    }
    const m = this.scan(line, from, lineEnd);
    this.remember(m, line, from, lineEnd);
    return m;
  }

  /** Keep what the next line may take as it is (see `remembered`), or nothing. */
  private remember(m: DateMatch | null, line: Buffer, from: number, lineEnd: number): void {
    this.rememberedLength = 0;
    if (m === null || m.start !== from || (m.format !== 'bsd-syslog' && m.format !== 'iso8601')) return;
    // A year-less date with a zone name infers its year from the clock every time (inferYearAtOffset).
    if (!f.hasYear && f.off === f.off) return;
    const n = m.end - from + LOOKAHEAD;
    // The line must have had every byte a scan may read, for the next one to be read the same way.
    if (n > MAX_REMEMBERED || lineEnd - from < n) return;
    for (let k = 0; k < n; k++) this.remembered[k] = line[from + k]!;
    this.rememberedLength = n;
    this.rememberedTime = m.time;
    this.rememberedEnd = m.end - from;
    this.rememberedFormat = m.format;
  }

  private scan(line: Buffer, from: number, lineEnd: number): DateMatch | null {
    const b = line,
      n = lineEnd;
    let p = from,
      format = '',
      end = -1;
    if (p >= n) return null;
    let c = b[p]!;
    let bracket = false;
    f.hasYear = true;
    f.off = NaN;
    f.ms = 0;
    if (c === 0x40) {
      // daemontools/multilog TAI64N label `@4000000063…` (2^62 + 10 + Unix seconds, nanoseconds)
      const t = tai64n(b, p, n);
      return t === null ? null : this.found(t, p, p + 25, 'tai64n');
    }
    if (c === 0x3c) {
      // `<34>` then either RFC 5424 (`1 ` and an ISO date) or a classic RFC 3164 line.
      let q = p + 1;
      while (q < n && q - p <= 3 && b[q]! >= 48 && b[q]! <= 57) q++;
      if (q === p + 1 || b[q] !== 0x3e) return null;
      p = q + 1;
      if (b[p] === 0x31 && b[p + 1] === 0x20) {
        p += 2;
        end = scanIso(b, p, n);
        return end < 0 ? null : this.result(p, end, 'rfc5424');
      }
      c = b[p]!;
    } else if (c === 0x5b) {
      bracket = true;
      c = b[++p]!;
    }
    if (c >= 48 && c <= 57) {
      const c4 = b[p + 4];
      if (c4 === 0x2d) {
        end = scanIso(b, p, n);
        format = 'iso8601';
      } else if (c4 === 0x2f) {
        end = scanYmdSlash(b, p, n);
        format = 'ymd-slash';
      } else if (b[p + 1] === 0x2d || b[p + 2] === 0x2d) {
        end = scanDdMonYyyy(b, p, n);
        format = 'dd-mon-yyyy';
      } else if (b[p + 6] === 0x20) {
        end = scanYymmdd(b, p, n);
        format = 'yymmdd';
      } else {
        end = scanEpoch(b, p, n);
        if (end >= 0) return this.match(f.epoch + f.ms, p, end, bracket, 'epoch', b);
      }
    } else if ((c | 0x20) >= 97 && (c | 0x20) <= 122) {
      if (isWeekday3(b, p) && b[p + 3] === 0x20) {
        end = scanMonthFirst(b, p + 4, n);
        format = 'apache';
      } else if (b[p + 3] === 0x2c && b[p + 4] === 0x20 && isWeekday3(b, p)) {
        end = scanRfc2822(b, p + 5, n);
        format = 'rfc2822';
      } else {
        end = scanMonthFirst(b, p, n);
        format = 'bsd-syslog';
      }
    }
    if (end >= 0) {
      const t = this.time();
      return t === t ? this.match(t, p, end, bracket, format, b) : null;
    }
    const at = scanClf(b, from, n);
    if (at < 0) return this.timeField(b, from, n);
    f.hasYear = true;
    const t = this.time();
    return t === t ? this.found(t, at, f.clfEnd, 'clf') : null;
  }

  /**
   * A time field in the first FIELD_WINDOW bytes: `"time":"2024-…"`, `"ts":1700000000.1`, `t=2024-…`
   * (a logfmt key only at the start of the line or after a space). ISO 8601 or epoch values.
   */
  private timeField(b: Buffer, from: number, n: number): DateMatch | null {
    const limit = Math.min(n, from + FIELD_WINDOW);
    // Search a view that ends with the window (a key may start before `limit` and end after it): `b`
    // may be a whole read chunk, and eight searches to its end for every undated line were quadratic.
    const w = b.length > limit + MAX_TIME_FIELD ? b.subarray(0, limit + MAX_TIME_FIELD) : b;
    for (const key of TIME_FIELDS) {
      let i = w.indexOf(key, from);
      // logfmt: a key at the start or after a space, and not inside a quoted value (`msg="… t=…"`).
      while (i >= 0 && i < limit && key[0] !== 0x22 && ((i > from && b[i - 1] !== 0x20) || !outsideQuotes(b, from, i))) i = w.indexOf(key, i + 1);
      if (i < 0 || i >= limit) continue;
      let p = i + key.length;
      if (b[p] === 0x20) p++;
      if (b[p] === 0x22) p++;
      f.hasYear = true;
      f.off = NaN;
      f.ms = 0;
      let end = scanIso(b, p, n);
      if (end >= 0) {
        const t = this.time();
        if (t === t) return this.found(t, p, end, 'iso8601');
        continue;
      }
      end = scanEpoch(b, p, n, true);
      if (end >= 0) return this.found(f.epoch + f.ms, p, end, 'epoch');
    }
    return null;
  }

  private result(start: number, end: number, format: string): DateMatch | null {
    const t = this.time();
    return t === t ? this.found(t, start, end, format) : null;
  }

  private match(time: number, start: number, end: number, bracket: boolean, format: string, b: Uint8Array): DateMatch {
    if (bracket && b[end] === 0x5d) return this.found(time, start - 1, end + 1, format);
    return this.found(time, start, end, format);
  }

  /** The shared match object, filled in (see `find`). */
  private found(time: number, start: number, end: number, format: string): DateMatch {
    const m = this.last;
    m.time = time;
    m.start = start;
    m.end = end;
    m.format = format;
    return m;
  }

  /** Epoch ms of the scanned fields, NaN if they are not a real date. */
  private time(): number {
    if (f.mo < 1 || f.mo > 12 || f.d < 1 || f.d > 31) return NaN;
    const key = (((((f.hasYear ? f.y + 1 : 0) * 13 + f.mo) * 32 + f.d) * 24 + f.h) * 60 + f.mi) * 61 + f.s;
    if (f.off === f.off) {
      // A year-less date with a zone name (`Jan  5 01:31:41 UTC`): the year is inferred as below.
      if (!f.hasYear) return this.inferYearAtOffset() + f.ms;
      // An explicit offset needs no zone, but the calendar arithmetic is still worth skipping.
      if (key !== this.wallKey) {
        if (f.d > daysInMonth(f.y, f.mo)) return NaN;
        this.wallKey = key;
        this.wallSecond = utcMs(f.y, f.mo, f.d, f.h, f.mi, f.s, 0);
      }
      return this.wallSecond + f.ms - f.off;
    }
    if (key === this.lastKey) return this.lastSecond + f.ms;
    let t: number;
    if (f.hasYear) {
      t = f.d > daysInMonth(f.y, f.mo) ? NaN : zonedToEpoch(this.zone, f.y, f.mo, f.d, f.h, f.mi, f.s, 0);
    } else {
      // A year-less time repeated on consecutive lines keeps the year inferred for its first line.
      t = this.inferYear();
    }
    if (t !== t) return NaN;
    this.lastKey = key;
    this.lastSecond = t;
    return t + f.ms;
  }

  /** inferYear for a date with an explicit offset (f.off) instead of the configured zone. */
  private inferYearAtOffset(): number {
    const now = this.now();
    let y = latestYear(now + f.off, f.mo);
    for (let k = 0; k < 9; k++, y--) {
      if (f.d > daysInMonth(y, f.mo)) continue;
      const t = utcMs(y, f.mo, f.d, f.h, f.mi, f.s, 0) - f.off;
      if (t <= now + FUTURE_TOLERANCE) return t;
    }
    return NaN;
  }

  /**
   * The latest year in which the date is not more than FUTURE_TOLERANCE ahead of now: logs are never
   * from the future, so `Dec 31` read on Jan 1 is last year, while `Jan 1 00:00:05` read on Dec 31 at
   * 23:59:59 (a skewed clock) is next year. Feb 29 goes back to the last leap year.
   */
  private inferYear(): number {
    const now = this.now();
    let y = latestYear(now + offsetAt(this.zone, now), f.mo);
    for (let k = 0; k < 9; k++, y--) {
      if (f.d > daysInMonth(y, f.mo)) continue;
      const t = zonedToEpoch(this.zone, y, f.mo, f.d, f.h, f.mi, f.s, 0);
      if (t <= now + FUTURE_TOLERANCE) return t;
    }
    return NaN;
  }
}

/**
 * The latest year a year-less date of month `mo` can be from, read at wall-clock time `wall` (ms):
 * this year, or next year for a January date read in December (a skewed clock). Arithmetic, not a
 * Date: this runs for most lines of a syslog file (each new second of the log).
 */
function latestYear(wall: number, mo: number): number {
  const ym = wallYearMonth(wall);
  return Math.floor(ym / 16) + (mo === 1 && ym % 16 === 12 ? 1 : 0);
}
