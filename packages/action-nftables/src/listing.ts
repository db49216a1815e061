/**
 * What the kernel enforces for a jail: the elements of its sets, read with `nft -j list set`. Used
 * by the daemon to recover the bans in force when its state database was lost (found corrupt and
 * replaced by an empty one): each element's remaining `expires` becomes the ban's end.
 */
import type { ListedBan } from '@f2b/core';
import { parseIp, tryParseCidr } from '@f2b/kit';
import { NftRunError, runNft } from './nft.js';
import { setDefs, type NftConfig } from './options.js';

/** The bans in the jail's sets now (`now` = epoch ms on the core's clock, which the remaining times count from). */
export async function listBannedElements(config: NftConfig, now: number): Promise<ListedBan[]> {
  const out: ListedBan[] = [];
  // Both sets of each family (addresses, networks); an interval set of the older layout, which held
  // both, has the name of today's plain set and is read alike.
  for (const { name: set } of setDefs(config)) {
    let stdout: string;
    try {
      ({ stdout } = await runNft(config, ['-j', 'list', 'set', config.family, config.table, set], undefined, `list set ${set}`));
    } catch (err) {
      // No such table or set (never created, or removed by a clean stop): nothing is enforced.
      if (err instanceof NftRunError && err.rejected && /No such file or directory/.test(err.stderr)) continue;
      throw err;
    }
    out.push(...parseSetElements(stdout, now));
  }
  return out;
}

interface NftPrefix {
  prefix: { addr: string; len: number };
}
type NftValue = string | NftPrefix | Record<string, unknown>;
type NftElem = NftValue | { elem: { val: NftValue; timeout?: number; expires?: number } };

/**
 * The elements of `nft -j list set` output as bans: `192.0.2.1`, or `2001:db8::/64` for a widened
 * network; `end` from `expires` (seconds left), null for an element without timeout. Anything that
 * is not an address or prefix f2b could have written (ranges, concatenations) is skipped.
 */
export function parseSetElements(json: string, now: number): ListedBan[] {
  const doc = JSON.parse(json) as { nftables?: Record<string, { elem?: NftElem[] }>[] };
  const out: ListedBan[] = [];
  for (const item of doc.nftables ?? []) {
    for (const e of item.set?.elem ?? []) {
      const wrapped = typeof e === 'object' && e !== null && 'elem' in e ? (e as { elem: { val: NftValue; expires?: number } }).elem : null;
      const id = idOf(wrapped ? wrapped.val : (e as NftValue));
      if (id === null) continue;
      const expires = wrapped?.expires;
      out.push({ id, end: typeof expires === 'number' ? now + expires * 1000 : null });
    }
  }
  return out;
}

function idOf(v: NftValue): string | null {
  if (typeof v === 'string') return parseIp(v)?.text ?? null;
  const p = (v as NftPrefix).prefix;
  if (!p || typeof p.addr !== 'string' || typeof p.len !== 'number') return null;
  const net = tryParseCidr(`${p.addr}/${p.len}`);
  if (net === null) return null;
  // A full-length prefix is one address: its id is the address, as the ban had it.
  return net.prefix === net.bytes.length * 8 ? (parseIp(p.addr)?.text ?? null) : net.text;
}
