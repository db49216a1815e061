/**
 * nftables faults end to end (issue 13): the real `f2b` daemon with the nftables action in a network
 * namespace this test creates, bans given with the real `f2b ban` client, and the firewall broken
 * behind f2b's back with the real nft. What `f2b status` / `f2b banned` list must be what the kernel
 * sets hold — for a 200-week ban (longer than nft accepts as an element timeout), a permanent one,
 * and after `nft flush ruleset` (what `systemctl reload nftables` does first) and `nft flush set`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startF2b, tempDir, type RunningF2b, runF2b } from './helpers.js';

const ACTION = join(ROOT, 'packages/action-nftables/dist/index.js');

function unavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces and nftables need root)';
  if (spawnSync('nft', ['--version']).status !== 0) return 'nft is not installed (apt install nftables)';
  if (!existsSync(ACTION)) return `${ACTION} is not built (run \`npx tsc -b\`)`;
  const probe = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-probe`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'cannot create network namespaces (`ip netns add` failed)';
  try {
    if (spawnSync('ip', ['netns', 'exec', probe, 'nft', 'list', 'ruleset']).status !== 0) return 'nft does not work in a network namespace';
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return null;
}

const skip = unavailable();
if (skip) console.log(`skipping nftables fault end-to-end tests: ${skip}`);

const run = (args: string[]) => runF2b(args);

async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== null)('nftables faults end to end: f2b status and the kernel agree', () => {
  const tmp = tempDir('f2b-nftf-');
  const ns = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-nftf`;
  const table = `f${randomBytes(4).toString('hex')}`;
  const sock = join(tmp.dir, 'f2b.sock');
  const S = ['--socket', sock];
  let daemon: RunningF2b;
  const LONG = ['192.0.2.41', '192.0.2.42', '2001:db8::43'];
  const PERM = ['198.51.100.44'];
  const SHORT = ['203.0.113.45', '2001:db8::46'];

  const nft = (args: string[]) => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
  /** Every element of f2b's sets in the namespace, as `jail/address`, and each one's timeout. */
  function kernel(): Map<string, number | undefined> {
    const out = new Map<string, number | undefined>();
    const r = nft(['-j', 'list', 'table', 'inet', table]);
    if (r.status !== 0) return out;
    for (const o of JSON.parse(r.stdout).nftables as Record<string, { name: string; elem?: unknown[] }>[]) {
      if (!o.set) continue;
      // Addresses in f2b_<jail>_v4/_v6, networks in f2b_<jail>_v4_net/_v6_net.
      const jail = /^f2b_(.*)_v[46](?:_net)?$/.exec(o.set.name)![1];
      for (const e of o.set.elem ?? []) {
        const el = (e as { elem?: { val: string; timeout?: number } }).elem;
        out.set(`${jail}/${el ? el.val : String(e)}`, el?.timeout);
      }
    }
    return out;
  }
  async function listed(): Promise<string[]> {
    const r = await run(['banned', '--json', ...S]);
    expect(r.code).toBe(0);
    return (JSON.parse(r.stdout) as { jail: string; id: string }[]).map((b) => `${b.jail}/${b.id}`).sort();
  }
  const all = [...LONG.map((ip) => `long/${ip}`), ...PERM.map((ip) => `perm/${ip}`), ...SHORT.map((ip) => `short/${ip}`)].sort();
  const agree = async () => {
    const k = [...kernel().keys()].sort();
    return JSON.stringify(k) === JSON.stringify(all) && JSON.stringify(await listed()) === JSON.stringify(all);
  };

  beforeAll(async () => {
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    const log = join(tmp.dir, 'auth.log');
    writeFileSync(log, '');
    // checkInterval 0: only `nft monitor` events can repair, so the test sees the event-driven path.
    const jail = (bantime: string) => ({
      source: { type: 'file', paths: [log], pollInterval: 100 },
      filter: 'sshd',
      bantime,
      actions: [{ type: 'nftables', netns: ns, table, checkInterval: 0 }],
    });
    const cfg = join(tmp.dir, 'f2b.config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        plugins: [ACTION],
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: sock,
        jails: { long: jail('200w'), perm: jail('-1'), short: jail('1h') },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 30_000);
    for (const [jailName, ips] of [
      ['long', LONG],
      ['perm', PERM],
      ['short', SHORT],
    ] as const) {
      for (const ip of ips) expect((await run(['ban', jailName, ip, ...S])).code).toBe(0);
    }
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop('SIGTERM');
    spawnSync('ip', ['netns', 'del', ns]);
    tmp.cleanup();
  }, 30_000);

  it('every ban listed by f2b is in the kernel: 200 weeks and permanent without timeout, 1h with one', async () => {
    await waitFor('the bans in the kernel', agree);
    const k = kernel();
    for (const key of [...LONG.map((ip) => `long/${ip}`), ...PERM.map((ip) => `perm/${ip}`)]) {
      expect(k.has(key)).toBe(true);
      expect(k.get(key)).toBeUndefined();
    }
    for (const ip of SHORT) expect(k.get(`short/${ip}`)).toBeGreaterThan(3500);
    const status = JSON.parse((await run(['status', 'long', '--json', ...S])).stdout) as { banned: string[]; currentlyBanned: number };
    expect([...status.banned].sort()).toEqual([...LONG].sort());
    expect(daemon.stderr()).not.toMatch(/F2B_ERR_NFT/);
  });

  for (const [what, args] of [
    ['nft flush ruleset', ['flush', 'ruleset']],
    ['nft flush set', ['flush', 'set', 'inet', '__TABLE__', 'f2b_long_v4']],
    ['nft delete table', ['delete', 'table', 'inet', '__TABLE__']],
  ] as const) {
    it(`after \`${what}\` every ban listed by f2b is back in the kernel`, async () => {
      expect(nft(args.map((a) => a.replace('__TABLE__', table))).status).toBe(0);
      await waitFor(`the bans back after ${what}`, agree);
      expect(kernel().get(`long/${LONG[0]}`)).toBeUndefined();
      expect(daemon.stderr()).toMatch(/Repaired the nftables table/);
    });
  }

  it('one nft monitor runs inside the namespace for the three jails; stop ends it and removes the table', async () => {
    const comms = () =>
      spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          } catch {
            return '';
          }
        })
        .filter((c) => / monitor$/.test(c));
    expect(comms()).toHaveLength(1);
    expect(await daemon.stop('SIGTERM')).toBe(0);
    expect(nft(['list', 'table', 'inet', table]).status).not.toBe(0);
    expect(daemon.stderr()).not.toMatch(/F2B_ERR_NFT/);
    await waitFor('the monitor to end', () => comms().length === 0);
  });
});
