/**
 * What a ban id becomes at Cloudflare, as a canonical "key" (address text or `network/prefix`) that
 * the action compares with what Cloudflare holds.
 *
 * - Access rules: an IPv4 address is target `ip`, an IPv6 address target `ip6`, networks target
 *   `ip_range` (Cloudflare accepts IPv4 /16 and /24, IPv6 /32, /48 and /64 only).
 * - Lists: IPv4 addresses and networks /8-/32; IPv6 only as networks /4-/64, so an IPv6 address is
 *   banned as its /64 (which is also what one host usually gets from its provider).
 */
import { parseIp, tryParseCidr, widen, type Cidr } from '@f2b/kit';
import { cfErrors } from './errors.js';

export type AccessTarget = 'ip' | 'ip6' | 'ip_range';

const V4_RANGES = [16, 24];
const V6_RANGES = [32, 48, 64];

/** Address text of a full-length network (`192.0.2.1/32` → `192.0.2.1`). */
function hostText(c: Cidr): string {
  return c.text.slice(0, c.text.indexOf('/'));
}

/** The access-rule key of a ban id; throws F2B_ERR_CF_TARGET if Cloudflare cannot hold it. */
export function accessRuleKey(id: string): string {
  const ip = parseIp(id);
  if (ip) return ip.text;
  const c = tryParseCidr(id);
  if (!c) throw cfErrors.F2B_ERR_CF_TARGET(id, 'access-rules', 'it is not an IP address or network');
  const full = c.version === 4 ? 32 : 128;
  if (c.prefix === full) return hostText(c);
  const allowed = c.version === 4 ? V4_RANGES : V6_RANGES;
  if (!allowed.includes(c.prefix)) {
    throw cfErrors.F2B_ERR_CF_TARGET(id, 'access-rules', `Cloudflare IP access rules take IPv${c.version} ranges of /${allowed.join(', /')} only`);
  }
  return c.text;
}

/** Target and value of an access rule for a key made by `accessRuleKey`. */
export function accessRuleTarget(key: string): { target: AccessTarget; value: string } {
  return { target: key.includes('/') ? 'ip_range' : key.includes(':') ? 'ip6' : 'ip', value: key };
}

/** The key of an access rule Cloudflare returned; null for targets f2b never makes (asn, country). */
export function keyOfRule(target: string, value: string): string | null {
  if (target === 'ip' || target === 'ip6') return parseIp(value)?.text ?? null;
  if (target === 'ip_range') {
    const c = tryParseCidr(value);
    return c ? c.text : null;
  }
  return null;
}

/** The list-item key of a ban id (IPv6 widened to its /64); throws F2B_ERR_CF_TARGET. */
export function listKey(id: string): string {
  const ip = parseIp(id);
  if (ip) return ip.version === 4 ? ip.text : widen(ip, 64).text;
  const c = tryParseCidr(id);
  if (!c) throw cfErrors.F2B_ERR_CF_TARGET(id, 'list', 'it is not an IP address or network');
  if (c.version === 4) {
    if (c.prefix < 8) throw cfErrors.F2B_ERR_CF_TARGET(id, 'list', 'Cloudflare lists take IPv4 networks of /8 to /32');
    return c.prefix === 32 ? hostText(c) : c.text;
  }
  if (c.prefix < 4) throw cfErrors.F2B_ERR_CF_TARGET(id, 'list', 'Cloudflare lists take IPv6 networks of /4 to /64');
  return c.prefix > 64 ? widen({ version: 6, bytes: c.bytes, text: hostText(c) }, 64).text : c.text;
}

/** The key of a list item Cloudflare returned. */
export function keyOfItem(ip: string): string | null {
  const c = tryParseCidr(ip);
  if (!c) return null;
  return c.version === 4 && c.prefix === 32 ? hostText(c) : c.text;
}
