/**
 * Test helpers: throw-away network namespaces, and nft run inside them. Nothing here ever runs nft
 * in the root namespace: every call goes through `ip netns exec <test namespace>`.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function uniqueName(tag: string): string {
  return `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-${tag}`.slice(0, 60);
}

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Why real-nft tests cannot run here, or null when they can (root, nft, ip netns, nf_tables). */
export function nftUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need root)';
  if (run('nft', ['--version']).status !== 0) return 'nft is not installed (apt install nftables)';
  if (run('ip', ['netns', 'list']).status !== 0) return '`ip netns` is not available (apt install iproute2)';
  const ns = uniqueName('probe');
  const add = run('ip', ['netns', 'add', ns]);
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  try {
    const r = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']);
    if (r.status !== 0) return `nft does not work in a network namespace: ${r.stderr.trim()}`;
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
  return null;
}

export function addNetns(name: string): void {
  const r = run('ip', ['netns', 'add', name]);
  if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
}

export function delNetns(name: string): void {
  run('ip', ['netns', 'del', name]);
}

/** nft inside the namespace; throws on failure. */
export function nftIn(ns: string, args: string[], input?: string): string {
  const r = run('ip', ['netns', 'exec', ns, 'nft', ...args], input);
  if (r.status !== 0) throw new Error(`nft ${args.join(' ')} in ${ns} failed: ${r.stderr}`);
  return r.stdout;
}

export function nftTry(ns: string, args: string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = run('ip', ['netns', 'exec', ns, 'nft', ...args], input);
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NftObject = Record<string, any>;

/** `nft -j list ruleset` as [kind, object] pairs. */
export function ruleset(ns: string): [string, NftObject][] {
  const doc = JSON.parse(nftIn(ns, ['-j', 'list', 'ruleset'])) as { nftables: NftObject[] };
  return doc.nftables.map((o) => Object.entries(o)[0] as [string, NftObject]).filter(([k]) => k !== 'metainfo');
}

export interface SetElement {
  /** `192.0.2.1` or `2001:db8::/64`. */
  value: string;
  timeout?: number;
  expires?: number;
}

function elementValue(v: unknown): string {
  if (typeof v === 'string') return v;
  const p = (v as { prefix?: { addr: string; len: number } }).prefix;
  if (p) return `${p.addr}/${p.len}`;
  const r = (v as { range?: [string, string] }).range;
  if (r) return `${r[0]}-${r[1]}`;
  return JSON.stringify(v);
}

/** Elements of a set (empty when the set does not exist). */
export function setElements(ns: string, family: string, table: string, set: string): SetElement[] {
  const r = nftTry(ns, ['-j', 'list', 'set', family, table, set]);
  if (!r.ok) return [];
  const doc = JSON.parse(r.stdout) as { nftables: NftObject[] };
  const s = doc.nftables.find((o) => o.set)?.set as { elem?: unknown[] } | undefined;
  return (s?.elem ?? []).map((e) => {
    if (e !== null && typeof e === 'object' && 'elem' in e) {
      const el = (e as { elem: { val: unknown; timeout?: number; expires?: number } }).elem;
      return { value: elementValue(el.val), timeout: el.timeout, expires: el.expires };
    }
    return { value: elementValue(e) };
  });
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
