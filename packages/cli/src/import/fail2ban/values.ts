/**
 * fail2ban's scalar settings turned into f2b's: durations (jail.conf(5) "TIME ABBREVIATION FORMAT",
 * which f2b's parser reads too, `1mo` and `1y` included), counts, address lists, booleans, DNS use and
 * fixed-offset time zones. Each returns the f2b value or a reason it cannot be imported.
 */
import { parseDuration, tryParseCidr } from '@f2b/core';
import { parseBool } from './interpolate.js';

export type Mapped<T> = { ok: true; value: T } | { ok: false; problem: string; fix: string };

const ok = <T>(value: T): Mapped<T> => ({ ok: true, value });
const no = <T>(problem: string, fix: string): Mapped<T> => ({ ok: false, problem, fix });

/** A duration as written (kept readable: `10m` stays `10m`); a negative bantime is forever (-1). */
export function duration(text: string, opts: { forever?: boolean } = {}): Mapped<string | number> {
  const t = text.trim();
  if (opts.forever && /^-\d+$/.test(t)) return ok(-1);
  try {
    const seconds = parseDuration(t, undefined, { positive: true, allowForever: opts.forever });
    return ok(/^\d+$/.test(t) ? seconds : t);
  } catch {
    return no(`${JSON.stringify(t)} is not a duration f2b reads`, 'Write seconds or a duration such as 10m, 1h, 1d, 1w, 1mo, 1y.');
  }
}

export function count(text: string): Mapped<number> {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) return no(`${JSON.stringify(t)} is not a whole number of at least 1`, 'Write a whole number, e.g. 5.');
  return ok(Number(t));
}

export function bool(text: string): Mapped<boolean> {
  const b = parseBool(text);
  return b === undefined ? no(`${JSON.stringify(text.trim())} is not a boolean`, 'Write true or false.') : ok(b);
}

/**
 * ignoreip: addresses and CIDR ranges separated by white space or commas. Host names (fail2ban
 * resolves them) and `file:` lists are left out, each reported.
 */
export function addressList(text: string): { value: string[]; left: { entry: string; problem: string; fix: string }[] } {
  const value: string[] = [];
  const left: { entry: string; problem: string; fix: string }[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    if (tryParseCidr(entry)) value.push(entry);
    else if (entry.startsWith('file:'))
      left.push({
        entry,
        problem: 'is a list file, which f2b does not read',
        fix: 'Copy its addresses into ignoreip (or into a config file that the imported one extends).',
      });
    else
      left.push({
        entry,
        problem: 'is a host name; f2b matches addresses and ranges only (a name would be resolved by DNS, which an attacker may control)',
        fix: 'Write the address or range it stands for.',
      });
  }
  return { value, left };
}

/** usedns: yes, warn and no as in fail2ban; `raw` (host names as plain ids) has no equivalent. */
export function usedns(text: string): Mapped<'yes' | 'warn' | 'no'> {
  const t = text.trim().toLowerCase();
  if (t === 'yes' || t === 'warn' || t === 'no') return ok(t);
  if (t === 'raw')
    return no(
      '"raw" (ids that are not addresses) has no equivalent in f2b, which bans addresses only',
      'It was imported as usedns: no (host names are not used for banning).',
    );
  return no(`${JSON.stringify(t)} is not one of yes, warn, no, raw`, 'Write yes, warn or no.');
}

/**
 * logtimezone: fail2ban takes only fixed offsets (`UTC`, `Z`, `GMT`, `UTC+0200`); f2b takes IANA
 * zones. Whole-hour offsets become `Etc/GMT∓h` (whose sign is inverted, as POSIX has it).
 */
export function timezone(text: string): Mapped<string> {
  const t = text.trim().toUpperCase();
  if (t === 'UTC' || t === 'Z' || t === 'GMT') return ok('UTC');
  const m = /^(?:UTC|GMT)([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (m && m[3] === '00' && Number(m[2]) <= 14) {
    const hours = Number(m[2]);
    return ok(hours === 0 ? 'UTC' : `Etc/GMT${m[1] === '+' ? '-' : '+'}${hours}`);
  }
  return no(
    `${JSON.stringify(text.trim())} is not an offset f2b can name as a time zone`,
    'Set timezone to the IANA zone the log is written in, e.g. Europe/Berlin.',
  );
}

/**
 * A port list as fail2ban's actions take it (`ssh,2222`, `0:65535`, `6000:6010`), as the ports of
 * f2b's nftables action (`[ssh, 2222]`, `"6000-6010"`); `undefined` for every port.
 */
export function ports(text: string): Mapped<(string | number)[] | undefined> {
  const out: (string | number)[] = [];
  for (const raw of text.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)[:-](\d+)$/.exec(raw);
    if (range) {
      const [lo, hi] = [Number(range[1]), Number(range[2])];
      if (lo <= 1 && hi >= 65535) return ok(undefined);
      if (lo > hi || hi > 65535) return no(`${JSON.stringify(raw)} is not a port range`, 'Write ports as numbers, names or low-high ranges.');
      out.push(`${lo}-${hi}`);
    } else if (/^\d+$/.test(raw) && Number(raw) <= 65535) {
      out.push(Number(raw));
    } else if (/^[a-z][a-z0-9-]*$/i.test(raw)) {
      out.push(raw);
    } else {
      return no(`${JSON.stringify(raw)} is not a port, service name or range`, 'Write ports as numbers, names (ssh) or low-high ranges.');
    }
  }
  return ok(out.length ? out : undefined);
}
