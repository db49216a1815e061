/**
 * Byte scanners for the extra parts real syslog lines carry around the `host program[pid]:` header
 * (entry.ts decides where they may occur). Each reads a bounded number of bytes and returns the
 * position after the part, or -1 when it is not there: nothing is guessed from text further on.
 */

const SPACE = 0x20,
  LBRACK = 0x5b,
  RBRACK = 0x5d,
  COLON = 0x3a;

const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;
const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;

/**
 * The kernel's own clock, `[  970.699396]` (seconds since boot, right-aligned), then spaces: written
 * by the kernel after `kernel:` in syslog, and at the start of `dmesg` output. An optional `:` after
 * the bracket (some relays) is read too.
 */
export function kernelTimestampEnd(b: Buffer, pos: number, end: number): number {
  if (b[pos] !== LBRACK) return -1;
  let i = pos + 1;
  while (i < end && b[i] === SPACE && i - pos < 16) i++;
  const digits = i;
  while (i < end && isDigit(b[i]) && i - digits < 12) i++;
  if (i === digits || b[i] !== 0x2e) return -1;
  const frac = ++i;
  while (i < end && isDigit(b[i]) && i - frac < 9) i++;
  if (i === frac || b[i] !== RBRACK) return -1;
  i++;
  if (b[i] === COLON) i++;
  if (i < end && b[i] !== SPACE) return -1;
  while (i < end && b[i] === SPACE) i++;
  return i;
}

/**
 * A container or virtual-server tag between the date and the header: Linux-VServer's
 * `@vserver_name` or a bracketed `[name]` (no spaces, no colon), then one space. Returns the
 * position after the space, or -1. Whether it really is a tag is decided by the caller, which takes
 * it only when a complete header follows.
 */
export function containerTagEnd(b: Buffer, pos: number, end: number): number {
  const first = b[pos];
  if (first === 0x40) {
    if (b.toString('latin1', pos, Math.min(end, pos + 9)) !== '@vserver_') return -1;
  } else if (first !== LBRACK) {
    return -1;
  }
  let i = pos + 1;
  for (; i < end && i - pos <= 64; i++) {
    const c = b[i]!;
    if (c === SPACE) break;
    if (c === COLON || c < SPACE || c >= 0x7f || (c === LBRACK && first === LBRACK)) return -1;
  }
  if (b[i] !== SPACE || i - pos < 3) return -1;
  if (first === LBRACK && b[i - 1] !== RBRACK) return -1;
  return i + 1;
}

/** Month and weekday names, lowercased, for recognising a date we could not read. */
const DATE_WORDS = new Set([
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
]);

/**
 * The end of a date-like prefix the date parser did not accept (`Jan 32 25:00:00`, a locale's
 * `Jan 5, 2024 1:02:03 AM`, an unknown zone): up to 6 space-separated tokens, each made of digits and
 * `:-./,+` or a month/weekday name or an all-caps zone/meridiem word, at least one of them a time
 * of day (digits with a `:`). Returns the position after the prefix and its spaces, or -1.
 */
export function dateShapeEnd(b: Buffer, pos: number, end: number): number {
  let i = pos,
    tokens = 0,
    sawTime = false,
    after = -1;
  if (b[i] === LBRACK) i++;
  while (i < end && tokens < 6) {
    const start = i;
    let digits = 0,
      letters = 0,
      colons = 0,
      upper = true;
    for (; i < end && b[i] !== SPACE && i - start <= 32; i++) {
      const c = b[i]!;
      if (isDigit(c)) digits++;
      else if (isUpper(c) || isLower(c)) {
        letters++;
        if (!isUpper(c)) upper = false;
      } else if (c === COLON) colons++;
      else if (c !== 0x2d && c !== 0x2e && c !== 0x2f && c !== 0x2c && c !== 0x2b && c !== RBRACK && c !== LBRACK) return after;
    }
    if (i === start || i - start > 32) return after;
    let word = true;
    if (letters > 0 && digits === 0) {
      const w = b.toString('latin1', start, Math.min(i, start + 3)).toLowerCase();
      word = (i - start <= 4 && upper) || ((i - start === 3 || b[start + 3] === 0x2c) && DATE_WORDS.has(w));
    } else if (letters > 0) {
      word = false; // `12ab` is not part of a date
    }
    if (!word) return after;
    tokens++;
    if (colons > 0 && digits > 0) sawTime = true;
    const closes = b[i - 1] === RBRACK;
    while (i < end && b[i] === SPACE) i++;
    if (sawTime) after = i;
    if (closes) break;
  }
  return after;
}
