/**
 * IP addresses and CIDR networks.
 *
 * Parsing is hand-written (no regex, no `node:net`) because it runs for every failure a filter reports:
 * it must reject garbage cheaply and return a canonical text so that `1.2.3.4`, `::ffff:1.2.3.4` and
 * `[::FFFF:1.2.3.4]` count as one attacker.
 */
import { kitErrors as errors } from './kit-errors.js';

export interface IpAddress {
  readonly version: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** Canonical text: dotted decimal without leading zeros, or RFC 5952 (compressed, lowercase) for IPv6. */
  readonly text: string;
}

export interface Cidr {
  readonly version: 4 | 6;
  /** The network address: host bits are zero. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Canonical `address/prefix`. */
  readonly text: string;
}

// Scratch space: parsing is synchronous, so one buffer serves every call and saves allocations.
const groups = new Uint16Array(8);
const quad = new Uint8Array(4);
let sawLeadingZero = false;

/**
 * Dotted-quad IPv4 in text[s, e) into out[o, o + 4). Parts are read as DECIMAL even with leading zeros
 * (`192.030.0.6` is 192.30.0.6): log lines come from programs printing numbers in decimal, and
 * inet_aton's octal reading would turn such a line into a different, innocent address.
 */
function parseV4Into(text: string, s: number, e: number, out: Uint8Array, o: number): boolean {
  let part = 0,
    digits = 0,
    value = 0;
  sawLeadingZero = false;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || part === 3) return false;
      out[o + part++] = value;
      value = 0;
      digits = 0;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || ++digits > 3) return false;
      if (digits === 2 && value === 0) sawLeadingZero = true;
      value = value * 10 + d;
      if (value > 255) return false;
    }
  }
  if (digits === 0 || part !== 3) return false;
  out[o + 3] = value;
  return true;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** IPv6 in text[s, e) (no brackets, no zone) as 16 raw bytes; IPv4-mapped addresses stay mapped here. */
function parseV6(text: string, s: number, e: number): Uint8Array | null {
  let n = 0,
    gap = -1,
    i = s;
  if (text.charCodeAt(i) === 0x3a) {
    if (text.charCodeAt(i + 1) !== 0x3a) return null;
    gap = 0;
    i += 2;
  }
  while (i < e) {
    let j = i,
      v = 0;
    // Read up to 5 hex digits so that a 5-digit group is seen and rejected.
    while (j < e && j - i < 5) {
      const h = hexVal(text.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < e && text.charCodeAt(j) === 0x2e) {
      // Embedded IPv4 (`::ffff:192.0.2.1`, `64:ff9b::192.0.2.1`): the last 32 bits, and it must end the text.
      if (n > 6 || !parseV4Into(text, i, e, quad, 0)) return null;
      groups[n++] = (quad[0]! << 8) | quad[1]!;
      groups[n++] = (quad[2]! << 8) | quad[3]!;
      break;
    }
    if (j === i || j - i > 4 || n === 8) return null;
    groups[n++] = v;
    if (j === e) break;
    if (text.charCodeAt(j) !== 0x3a) return null;
    j++;
    if (j < e && text.charCodeAt(j) === 0x3a) {
      if (gap >= 0) return null;
      gap = n;
      j++;
    } else if (j === e) {
      return null; // a single trailing ':'
    }
    i = j;
  }
  if (gap < 0) {
    if (n !== 8) return null;
  } else {
    if (n > 7) return null; // `::` stands for at least one zero group
    const tail = n - gap;
    for (let k = tail - 1; k >= 0; k--) groups[8 - tail + k] = groups[gap + k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    out[2 * k] = groups[k]! >> 8;
    out[2 * k + 1] = groups[k]! & 0xff;
  }
  return out;
}

/** Raw bytes (4 or 16, IPv4-mapped not unwrapped) of an address, accepting `[v6]`; null if not one. */
function parseBytes(text: string, s: number, e: number): Uint8Array | null {
  if (e - s < 2 || e - s > 47) return null;
  const bracketed = text.charCodeAt(s) === 0x5b;
  if (bracketed) {
    if (text.charCodeAt(e - 1) !== 0x5d) return null;
    s++;
    e--;
  }
  for (let i = s; i < e; i++) {
    // `%zone` never reaches here as valid: it is not a hex digit, so parseV6 rejects it.
    if (text.charCodeAt(i) === 0x3a) return parseV6(text, s, e);
  }
  if (bracketed) return null; // brackets are for IPv6 only (RFC 3986)
  const out = new Uint8Array(4);
  return parseV4Into(text, s, e, out, 0) ? out : null;
}

function isMapped(b: Uint8Array): boolean {
  if (b.length !== 16 || b[10] !== 0xff || b[11] !== 0xff) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return true;
}

function v4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

// Hex text of each byte value, bare (`a`) and two-digit (`0a`), so groups are built without toString.
const HEX: string[] = [],
  HEX2: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX.push(i.toString(16));
  HEX2.push(i.toString(16).padStart(2, '0'));
}

/** RFC 5952: lowercase, no leading zeros, the longest run (first on ties) of ≥ 2 zero groups as `::`. */
function v6Text(b: Uint8Array): string {
  let bestStart = -1,
    bestLen = 1,
    runStart = -1;
  for (let k = 0; k < 8; k++) {
    if (b[2 * k] !== 0 || b[2 * k + 1] !== 0) {
      runStart = -1;
    } else {
      if (runStart < 0) runStart = k;
      if (k - runStart + 1 > bestLen) {
        bestLen = k - runStart + 1;
        bestStart = runStart;
      }
    }
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLen - 1;
      continue;
    }
    if (k > 0 && k !== bestStart + bestLen) out += ':';
    const hi = b[2 * k]!,
      lo = b[2 * k + 1]!;
    out += hi === 0 ? HEX[lo]! : HEX[hi]! + HEX2[lo]!;
  }
  return out;
}

function bytesText(b: Uint8Array): string {
  return b.length === 4 ? v4Text(b) : v6Text(b);
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 becomes the IPv4 address. Null if not an address. */
export function parseIp(text: string): IpAddress | null {
  if (typeof text !== 'string') return null;
  const bytes = parseBytes(text, 0, text.length);
  if (bytes === null) return null;
  if (bytes.length === 4) return { version: 4, bytes, text: sawLeadingZero ? v4Text(bytes) : text };
  if (isMapped(bytes)) {
    const v4 = bytes.slice(12);
    return { version: 4, bytes: v4, text: v4Text(v4) };
  }
  return { version: 6, bytes, text: v6Text(bytes) };
}

/** The canonical text of an address, or null if `text` is not one. */
export function normalizeIp(text: string): string | null {
  const ip = parseIp(text);
  return ip === null ? null : ip.text;
}

/** Canonical text of an address (IPv4-mapped IPv6 is written as IPv4, as parseIp would). */
export function formatIp(ip: IpAddress): string {
  return isMapped(ip.bytes) ? v4Text(ip.bytes.subarray(12)) : bytesText(ip.bytes);
}

function makeCidr(bytes: Uint8Array, prefix: number): Cidr {
  const net = new Uint8Array(bytes.length);
  const full = prefix >> 3;
  for (let i = 0; i < full; i++) net[i] = bytes[i]!;
  if (full < net.length && (prefix & 7) !== 0) net[full] = bytes[full]! & (0xff << (8 - (prefix & 7)));
  return { version: bytes.length === 4 ? 4 : 6, bytes: net, prefix, text: `${bytesText(net)}/${prefix}` };
}

/** Parses `addr` or `addr/prefix`; host bits are cleared. Null if invalid. */
export function tryParseCidr(text: string): Cidr | null {
  if (typeof text !== 'string') return null;
  const t = text.trim();
  const slash = t.indexOf('/');
  const end = slash < 0 ? t.length : slash;
  const bytes = parseBytes(t, 0, end);
  if (bytes === null) return null;
  const max = bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    // Digits only: Number() alone would also take ' 24', '0x18' or '2e1'.
    if (!/^[0-9]{1,3}$/.test(p) || +p > max) return null;
    prefix = +p;
  }
  // `::ffff:a.b.c.d/120` is the IPv4 network a.b.c.0/24; shorter prefixes reach outside the mapped
  // range and stay IPv6.
  if (isMapped(bytes) && prefix >= 96) return makeCidr(bytes.subarray(12), prefix - 96);
  return makeCidr(bytes, prefix);
}

/** Like tryParseCidr, but throws F2B_ERR_ADDRESS_INVALID (with the config `path`) on bad input. */
export function parseCidr(text: string, path?: string): Cidr {
  const c = tryParseCidr(text);
  if (c === null) throw errors.F2B_ERR_ADDRESS_INVALID(String(text), path);
  return c;
}

/** The network of `prefix` bits containing `ip` (e.g. its IPv6 /64, to ban a whole host allocation). */
export function widen(ip: IpAddress, prefix: number): Cidr {
  const bytes = isMapped(ip.bytes) ? ip.bytes.subarray(12) : ip.bytes;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) {
    throw errors.F2B_ERR_ADDRESS_INVALID(`${ip.text}/${prefix}`);
  }
  return makeCidr(bytes, prefix);
}

/** Bytes of `ip` in the family `version`, or null if it has no form in that family. */
function inFamily(ip: IpAddress, version: 4 | 6): Uint8Array | null {
  const b = ip.bytes;
  if (b.length === (version === 4 ? 4 : 16)) return b;
  if (version === 4) return isMapped(b) ? b.subarray(12) : null;
  const mapped = new Uint8Array(16);
  mapped[10] = mapped[11] = 0xff;
  mapped.set(b, 12);
  return mapped;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  const b = inFamily(ip, cidr.version);
  if (b === null) return false;
  const net = cidr.bytes,
    full = cidr.prefix >> 3,
    rest = cidr.prefix & 7;
  for (let i = 0; i < full; i++) if (net[i] !== b[i]) return false;
  return rest === 0 || ((b[full]! ^ net[full]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

export function isLoopback(ip: IpAddress): boolean {
  const b = ip.bytes;
  if (b.length === 4) return b[0] === 127;
  if (isMapped(b)) return b[12] === 127;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}

function v4Number(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

const keyGroups = new Uint16Array(8);

/**
 * The first `prefix` bits of an IPv6 address as an 8-code-unit string: an exact Map/Set key that is
 * much cheaper to build than a BigInt.
 */
function v6Key(b: Uint8Array, prefix: number): string {
  const full = prefix >> 4,
    rest = prefix & 15;
  for (let k = 0; k < 8; k++) {
    const g = (b[2 * k]! << 8) | b[2 * k + 1]!;
    keyGroups[k] = k < full ? g : k === full && rest !== 0 ? g & (0xffff << (16 - rest)) : 0;
  }
  const g = keyGroups;
  return String.fromCharCode(g[0]!, g[1]!, g[2]!, g[3]!, g[4]!, g[5]!, g[6]!, g[7]!);
}

interface Bucket<K> {
  readonly prefix: number;
  /** IPv4 netmask as a number (IPv6 keys are built masked by v6Key instead). */
  readonly mask: number;
  readonly set: Set<K>;
}

/** Adds a network key to the bucket of its prefix length; false if it was there already. */
function addKey<K>(buckets: Bucket<K>[], prefix: number, mask: number, key: K): boolean {
  let b = buckets.find((x) => x.prefix === prefix);
  if (b === undefined) buckets.push((b = { prefix, mask, set: new Set() }));
  if (b.set.has(key)) return false;
  b.set.add(key);
  return true;
}

/**
 * A set of networks answering "is this address in any of them" in one hash lookup per distinct prefix
 * length (a config's ignoreip list has few distinct lengths, however many entries).
 */
export class IpSet {
  private readonly v4: Bucket<number>[] = [];
  private readonly v6: Bucket<string>[] = [];
  private readonly list: Cidr[] = [];

  /** Entries are CIDR texts (`path` names the config key for errors), Cidr objects or addresses. */
  constructor(entries: Iterable<string | Cidr | IpAddress> = [], path?: string) {
    for (const e of entries) this.add(e, path);
  }

  add(entry: string | Cidr | IpAddress, path?: string): this {
    const c = typeof entry === 'string' ? parseCidr(entry, path) : 'prefix' in entry ? entry : widen(entry, entry.bytes.length * 8);
    let added: boolean;
    if (c.version === 4) {
      const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
      added = addKey(this.v4, c.prefix, mask, (v4Number(c.bytes) & mask) >>> 0);
    } else {
      added = addKey(this.v6, c.prefix, 0, v6Key(c.bytes, c.prefix));
    }
    if (added) this.list.push(c);
    return this;
  }

  get size(): number {
    return this.list.length;
  }

  /** The networks, as added (duplicates dropped). */
  entries(): readonly Cidr[] {
    return this.list;
  }

  /** True if the address (object or text) is in one of the networks; false for non-addresses. */
  has(ip: IpAddress | string): boolean {
    const addr = typeof ip === 'string' ? parseIp(ip) : ip;
    if (addr === null) return false;
    if (this.v4.length > 0) {
      const b = inFamily(addr, 4);
      if (b !== null) {
        const n = v4Number(b);
        for (const k of this.v4) if (k.set.has((n & k.mask) >>> 0)) return true;
      }
    }
    if (this.v6.length > 0) {
      const b = inFamily(addr, 6)!;
      for (const k of this.v6) if (k.set.has(v6Key(b, k.prefix))) return true;
    }
    return false;
  }
}

/**
 * True if `text` is a DNS host name per RFC 1123: dot-separated labels of 1-63 letters, digits and
 * hyphens, not starting or ending with a hyphen, 253 characters at most (one trailing root dot is
 * allowed). The last label (the top-level domain, or a single-label name) must start with a letter:
 * no TLD starts with a digit (RFC 3696 §2), and getaddrinfo reads every text whose labels are all
 * numbers in C notation as an address — `0xcb.0.0x71.0x2d`, `0313.0.0161.055`, `3405803822`,
 * `0xcb00712e`, `203.113.45`, `203.7417389` — so log text could choose an address through DNS.
 */
export function looksLikeHostname(text: string): boolean {
  if (typeof text !== 'string') return false;
  let e = text.length;
  if (e > 1 && text.charCodeAt(e - 1) === 0x2e) e--;
  if (e === 0 || e > 253) return false;
  let label = 0,
    letter = false,
    prev = 0x2e;
  for (let i = 0; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0 || prev === 0x2d) return false;
      label = 0;
    } else {
      const l = c | 0x20;
      if (l >= 97 && l <= 122) letter = true;
      else if (c === 0x2d) {
        if (label === 0) return false;
      } else if (c < 48 || c > 57) return false;
      if (++label > 63) return false;
    }
    prev = c;
  }
  if (label === 0 || prev === 0x2d || !letter) return false;
  const last = text.lastIndexOf('.', e - 1) + 1;
  const l = text.charCodeAt(last) | 0x20;
  return l >= 97 && l <= 122;
}
