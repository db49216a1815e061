/**
 * Calendar arithmetic and IANA time zones without a tz database dependency: offsets come from
 * `Intl.DateTimeFormat` (slow, a few µs) and are cached per zone and UTC hour, so converting a
 * wall-clock time costs a few Map lookups.
 */
import { readlinkSync } from 'node:fs';
import { errors } from './errors.js';

export const MINUTE = 60_000,
  HOUR = 3_600_000,
  DAY = 86_400_000;

// ---------------------------------------------------------------- calendar arithmetic

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); month 1-12. */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Like Date.UTC, but pure arithmetic and without Date.UTC's mapping of years 0-99 to 1900-1999. */
export function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  return daysFromCivil(y, mo, d) * DAY + h * HOUR + mi * MINUTE + s * 1000 + ms;
}

/**
 * Year and month (1-12) of epoch ms `t` read as UTC, as `year * 16 + month` (H. Hinnant's
 * civil_from_days): what `new Date(t).getUTCFullYear()`/`getUTCMonth()` say, without the Date.
 */
export function wallYearMonth(t: number): number {
  const z = Math.floor(t / DAY) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (m <= 2 ? 1 : 0)) * 16 + m;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

// ---------------------------------------------------------------- time zones

export interface Zone {
  /** Null for UTC, whose offset is always 0. */
  readonly fmt: Intl.DateTimeFormat | null;
  /** UTC hour number → offset in ms, for hours that contain no offset change. */
  readonly offsets: Map<number, number>;
}

const zones = new Map<string, Zone>();

/**
 * UTC by its names: no offset to look up, and no Intl formatter to make — the first one costs
 * ICU's start-up (about 20 ms, a tenth of `f2b test-filter --timezone UTC` on a small file).
 */
const UTC_NAMES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu']);

export function getZone(name: string, path?: string): Zone {
  let z = zones.get(name);
  if (z === undefined && UTC_NAMES.has(name)) {
    z = { fmt: null, offsets: new Map() };
    zones.set(name, z);
  }
  if (z === undefined) {
    let fmt: Intl.DateTimeFormat;
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw errors.F2B_ERR_TIMEZONE_INVALID(name, path);
    }
    z = { fmt, offsets: new Map() };
    zones.set(name, z);
  }
  return z;
}

/** Offset (ms, local minus UTC) of the zone at instant t, straight from Intl: slow, so cached by offsetAt. */
function computeOffset(z: Zone, t: number): number {
  if (z.fmt === null) return 0;
  let y = 0,
    mo = 0,
    d = 0,
    h = 0,
    mi = 0,
    s = 0;
  for (const p of z.fmt.formatToParts(t)) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
    }
  }
  return utcMs(y, mo, d, h, mi, s, 0) - Math.floor(t / 1000) * 1000;
}

export function offsetAt(z: Zone, t: number): number {
  if (z.fmt === null) return 0;
  const hour = Math.floor(t / HOUR);
  const cached = z.offsets.get(hour);
  if (cached !== undefined) return cached;
  // Offsets change at local hour boundaries, which for zones like +05:30 fall inside a UTC hour; an
  // hour is cached only if it starts and ends with the same offset.
  const first = computeOffset(z, hour * HOUR),
    last = computeOffset(z, hour * HOUR + HOUR - 1000);
  if (first !== last) return computeOffset(z, t);
  if (z.offsets.size >= 100_000) z.offsets.clear();
  z.offsets.set(hour, first);
  return first;
}

/**
 * Epoch ms of a wall-clock time in a zone. The offsets a day before and after are the candidates (no
 * zone changes offset twice within two days). In an overlap (clocks set back) the earlier instant wins,
 * i.e. the offset in force before the change; in a gap (clocks set forward) the time is read with the
 * offset from before the gap, which lands as far after the gap as the time was into it (02:30 → 03:30).
 */
export function zonedToEpoch(z: Zone, y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const local = utcMs(y, mo, d, h, mi, s, ms);
  const before = offsetAt(z, local - DAY),
    after = offsetAt(z, local + DAY);
  const tb = local - before;
  if (before === after || offsetAt(z, tb) === before) return tb; // tb is the earlier candidate when valid
  const ta = local - after;
  return offsetAt(z, ta) === after ? ta : tb;
}

/** Epoch ms of a wall-clock time (month 1-12) in an IANA zone; throws F2B_ERR_TIMEZONE_INVALID. */
export function makeZonedTime(year: number, month: number, day: number, h: number, m: number, s: number, ms: number, zone: string): number {
  return zonedToEpoch(getZone(zone), year, month, day, h, m, s, ms);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * ISO 8601 text of an instant with the zone's offset at that instant: `2005-08-14T12:00:00+02:00`
 * (`+00:00`, never `Z`; milliseconds only when non-zero).
 */
export function formatIsoWithOffset(epochMs: number, zone: string): string {
  const off = offsetAt(getZone(zone), epochMs);
  const w = new Date(epochMs + off);
  const ms = w.getUTCMilliseconds();
  const a = Math.abs(off) / 1000;
  const secs = a % 60;
  return (
    `${pad(w.getUTCFullYear(), 4)}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())}` +
    `T${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}:${pad(w.getUTCSeconds())}` +
    `${ms === 0 ? '' : `.${pad(ms, 3)}`}${off < 0 ? '-' : '+'}${pad(Math.floor(a / 3600))}:${pad(Math.floor(a / 60) % 60)}` +
    `${secs === 0 ? '' : `:${pad(secs)}`}`
  );
}

export function localZoneName(): string {
  return hostZoneName() || 'UTC';
}

/**
 * The host's zone, exactly as `Intl.DateTimeFormat().resolvedOptions().timeZone` says it (which,
 * whatever its type says, is undefined for a `TZ` ICU cannot read). A host on UTC — most servers — is recognised
 * without Intl, whose first formatter costs ICU's start-up (about 20 ms, a twentieth of
 * `f2b test-filter` on a small log): `TZ` unset with /etc/localtime linking to the UTC zone, or `TZ`
 * naming it. Anything else is ICU's to read.
 */
export function hostZoneName(): string {
  return hostIsUtc() ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The names of UTC that ICU reads from `TZ` or from /etc/localtime's link, and calls `UTC`. */
const HOST_UTC: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC']);

function hostIsUtc(): boolean {
  const tz = process.env.TZ;
  if (tz !== undefined) return HOST_UTC.has(tz);
  let target: string;
  try {
    target = readlinkSync('/etc/localtime');
  } catch {
    return false; // not a link (a copy of a zone file): ICU compares its bytes
  }
  const at = target.lastIndexOf('/zoneinfo/');
  return at !== -1 && HOST_UTC.has(target.slice(at + '/zoneinfo/'.length));
}
