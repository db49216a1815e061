/**
 * Which iptables to drive. Both variants exist on current distributions: `iptables-nft` (rules in
 * nf_tables, the default on Debian 11+) and `iptables-legacy` (the old x_tables). Rules added with
 * one are invisible to the other, and both are evaluated, so f2b's rule must go where the host's
 * firewall lives: `auto` takes the variant that already holds rules (legacy when its filter table
 * is loaded and nft holds none), otherwise the system's `iptables`.
 */
import { readFile } from 'node:fs/promises';
import type { IpsetConfig, V } from './options.js';
import { run, ToolError } from './run.js';

export interface Programs {
  4: string;
  6: string;
  variant: string;
}

async function works(cfg: IpsetConfig, program: string): Promise<boolean> {
  try {
    return (await run(cfg, program, ['--version'])).code === 0;
  } catch (err) {
    if (err instanceof ToolError) return false;
    throw err;
  }
}

/** True when the legacy filter table is loaded in the namespace (someone uses iptables-legacy). */
async function legacyInUse(cfg: IpsetConfig): Promise<boolean> {
  const files = ['/proc/net/ip_tables_names', '/proc/net/ip6_tables_names'];
  let names: string;
  if (cfg.netns === undefined) {
    names = (await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')))).join('\n');
  } else {
    // One process for both files (`cat` prints what exists, even when the other is missing).
    names = (await run(cfg, 'cat', files).catch(() => null))?.stdout ?? '';
  }
  return names.split('\n').includes('filter');
}

async function nftHasRules(cfg: IpsetConfig): Promise<boolean> {
  for (const p of ['iptables-nft', 'ip6tables-nft']) {
    const r = await run(cfg, p, ['-w', '-S']).catch(() => null);
    if (r?.code === 0 && r.stdout.split('\n').some((l) => l.startsWith('-A ') || l.startsWith('-N '))) return true;
  }
  return false;
}

export async function choosePrograms(cfg: IpsetConfig): Promise<Programs> {
  const pick = (variant: string, suffix: string): Programs => ({
    4: cfg.iptablesPath ?? `iptables${suffix}`,
    6: cfg.ip6tablesPath ?? `ip6tables${suffix}`,
    variant,
  });
  if (cfg.backend === 'nft') return pick('nft', '-nft');
  if (cfg.backend === 'legacy') return pick('legacy', '-legacy');
  if (cfg.iptablesPath !== undefined && cfg.ip6tablesPath !== undefined) return pick('given', '');
  if ((await legacyInUse(cfg)) && !(await nftHasRules(cfg)) && (await works(cfg, 'iptables-legacy')))
    return pick('legacy (its filter table is in use)', '-legacy');
  if (await works(cfg, 'iptables-nft')) return pick('nft', '-nft');
  return pick('the system default', '');
}

export const FAMILIES: readonly V[] = [4, 6];
