/**
 * Byte-level pieces for the sshd scanners (scanners.ts): each reads a bounded stretch of an ASCII
 * message at a given position, forwards or backwards, and says where it ends, or -1 when the bytes
 * are not there. Nothing searches ahead beyond what it reads, so a scanner built from them is
 * linear in the message.
 */

const SPACE = 0x20;

export const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

export const PREAUTH = bytes(' [preauth]');
export const PORT = bytes(' port ');
export const FROM = bytes(' from ');

/** Whether `b[at, at + lit.length)` is `lit`. */
export function hasAt(b: Uint8Array, at: number, lit: Uint8Array): boolean {
  if (at < 0 || at + lit.length > b.length) return false;
  for (let k = 0; k < lit.length; k++) if (b[at + k] !== lit[k]) return false;
  return true;
}

/** The first of `lits` that `b` holds at `at`, as its end; -1 for none. */
export function oneOfAt(b: Uint8Array, at: number, lits: readonly Uint8Array[]): number {
  for (const lit of lits) if (hasAt(b, at, lit)) return at + lit.length;
  return -1;
}

/** Where `lit` starts if `b[…, end)` ends with it; -1 otherwise. */
export function endingWith(b: Uint8Array, end: number, lit: Uint8Array): number {
  return hasAt(b, end - lit.length, lit) ? end - lit.length : -1;
}

/** `end` without an optional ` [preauth]` it ends with. */
export function withoutPreauth(b: Uint8Array, end: number): number {
  const at = endingWith(b, end, PREAUTH);
  return at < 0 ? end : at;
}

/** Where ` port N` starts if `b[…, end)` ends with it (one digit at least); -1 otherwise. */
export function portBefore(b: Uint8Array, end: number): number {
  let i = end;
  while (i > 0 && isDigit(b[i - 1]!)) i--;
  return i === end ? -1 : endingWith(b, i, PORT);
}

/**
 * Where the IPv4 address that ends at `end` starts: the run of digits and dots before `end`, when
 * it has the shape `[0-9]+(?:\.[0-9]+){3}` and a space before it; -1 otherwise.
 */
export function ipv4Before(b: Uint8Array, end: number): number {
  let i = end;
  while (i > 0 && (isDigit(b[i - 1]!) || b[i - 1] === 0x2e)) i--;
  return b[i - 1] === SPACE && ipv4Shape(b, i, end) ? i : -1;
}

/** The end of the run of digits and dots at `start`, when it has the IPv4 shape; -1 otherwise. */
export function ipv4After(b: Uint8Array, start: number): number {
  let i = start;
  while (i < b.length && (isDigit(b[i]!) || b[i] === 0x2e)) i++;
  return ipv4Shape(b, start, i) ? i : -1;
}

/** Whether `b[start, end)` is four dot-separated runs of digits, none empty. */
function ipv4Shape(b: Uint8Array, start: number, end: number): boolean {
  let dots = 0,
    run = 0;
  for (let i = start; i < end; i++) {
    if (b[i] === 0x2e) {
      if (run === 0) return false;
      dots++;
      run = 0;
    } else {
      run++;
    }
  }
  return dots === 3 && run > 0;
}

/** The end of the run of non-whitespace at `start` (RE2's `\S*`: whitespace is `[\t\n\f\r ]`). */
export function tokenEnd(b: Uint8Array, start: number): number {
  let i = start;
  while (i < b.length && !isSpace(b[i]!)) i++;
  return i;
}

/** Whether the message has a `:` at or after `from` (where a `: ` or a colon in an address could be). */
export function hasColon(b: Uint8Array, from: number): boolean {
  return b.indexOf(0x3a, from) !== -1;
}

export function latin1(b: Buffer, start: number, end: number): string {
  return b.toString('latin1', start, end);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}
