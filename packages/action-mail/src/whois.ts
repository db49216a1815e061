/**
 * Local notes about a banned address, in the spirit of fail2ban's whois lines but from data on this
 * host only — no whois, DNS or geolocation query leaves it (an attacker who sees the lookup learns
 * that it was banned, and a slow lookup would hold up the mail). What f2b knows: the address's
 * network around it, whether it is in a special-purpose range, how often it was banned.
 */
import { cidrContains, parseIp, tryParseCidr, widen, type Cidr } from '@f2b/kit';

/** Special-purpose ranges (IANA registries, RFC 6890 and successors) worth naming in a mail. */
const SPECIAL: [string, string][] = [
  ['10.0.0.0/8', 'private (RFC 1918)'],
  ['172.16.0.0/12', 'private (RFC 1918)'],
  ['192.168.0.0/16', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'shared address space, carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['192.0.2.0/24', 'documentation, TEST-NET-1 (RFC 5737)'],
  ['198.51.100.0/24', 'documentation, TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation, TEST-NET-3 (RFC 5737)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'unique local (RFC 4193)'],
  ['2001:db8::/32', 'documentation (RFC 3849)'],
  ['64:ff9b::/96', 'NAT64 (RFC 6052)'],
  ['2002::/16', '6to4 (RFC 3056)'],
  ['2001::/32', 'Teredo (RFC 4380)'],
  ['ff00::/8', 'multicast'],
];
const SPECIAL_NETS: [Cidr, string][] = SPECIAL.map(([net, name]) => [tryParseCidr(net)!, name]);

/** Lines of local notes about a ban id (an address or network) banned `count` times. */
export function localNotes(id: string, count: number): string[] {
  const net = tryParseCidr(id);
  if (net === null) return [];
  const ip = parseIp(net.text.slice(0, net.text.lastIndexOf('/')));
  const out: string[] = [];
  const full = net.prefix === (net.version === 4 ? 32 : 128);
  if (ip !== null && full) {
    const around = widen(ip, net.version === 4 ? 24 : 48);
    out.push(`Family:   IPv${net.version}; its ${net.version === 4 ? '/24' : '/48'} is ${around.text}`);
  } else {
    const hostBits = (net.version === 4 ? 32 : 128) - net.prefix;
    out.push(`Family:   IPv${net.version} network of 2^${hostBits} addresses`);
  }
  const special = ip === null ? undefined : SPECIAL_NETS.find(([c]) => cidrContains(c, ip));
  out.push(`Range:    ${special ? special[1] : 'public (no special-purpose range)'}`);
  out.push(`Bans:     ${count === 1 ? 'first ban of this address' : `ban #${count} of this address`}`);
  return out;
}
