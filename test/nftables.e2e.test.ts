/**
 * `@f2b/action-nftables` end to end: the real f2b binary, the real OpenSSH server logging through
 * syslog(3) to rsyslogd, and the real kernel firewall — all inside network namespaces this test
 * creates (see netns-lab.ts); the root namespace's ruleset is never touched.
 *
 * One daemon runs four jails on the server's auth.log, each with its own attacker address (the
 * others are in its ignoreip) and its own nftables options:
 *   ssh-drop    drop, all ports, bantime 20s ← 192.0.2.10 and 2001:db8::10
 *   ssh-reject  reject, all ports           ← 192.0.2.11
 *   ssh-port    drop, ports [22] only       ← 192.0.2.12
 *   ssh-repair  drop, long bantime          ← 192.0.2.13 (survives `nft flush ruleset`)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startF2b, type RunningF2b } from './helpers.js';
import { createLab, labUnavailable, SERVER, type Lab } from './netns-lab.js';

const ACTION = join(ROOT, 'packages/action-nftables/dist/index.js');
const FILTER = join(ROOT, 'packages/filter-sshd/dist/index.js');

function unavailable(): string | null {
  const lab = labUnavailable();
  if (lab) return lab;
  if (!existsSync(ACTION)) return `${ACTION} is not built (run \`npx tsc -b\`)`;
  if (!existsSync(FILTER)) return `${FILTER} is not built (run \`npx tsc -b\`)`;
  return null;
}

const skip = unavailable();
if (skip) console.log(`skipping nftables end-to-end tests: ${skip}`);

/** What to show when a wait times out (set once the lab and the daemon run). */
let diagnostics: () => string = () => '';

async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 15_000, stepMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

const tail = (text: string, n = 40) => text.split('\n').slice(-n).join('\n');

/** Short, so that the test sees the unban; long enough for the probes while banned on a loaded machine. */
const DROP_BANTIME = 20;

const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(skip !== null)('nftables end to end: OpenSSH + rsyslog + f2b + kernel, in network namespaces', () => {
  let lab: Lab;
  let f2b: RunningF2b;
  const [A_DROP, A_REJECT, A_PORT, A_REPAIR] = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'];
  const A_DROP6 = '2001:db8::10';
  let dropProbeMs = 0;

  /** Elements of a jail's set in the server namespace, or null if the set does not exist. */
  async function elements(jail: string, v: 4 | 6): Promise<{ value: string; timeout?: number }[] | null> {
    const r = await lab.nft(['-j', 'list', 'set', 'inet', 'f2b', `f2b_${jail}_v${v}`]);
    if (r.code !== 0) return null;
    const set = (JSON.parse(r.stdout).nftables as Record<string, { elem?: unknown[] }>[]).find((o) => o.set)?.set;
    return (set?.elem ?? []).map((e) => {
      const el = (e as { elem?: { val: string; timeout?: number } }).elem;
      return el ? { value: String(el.val), timeout: el.timeout } : { value: String(e) };
    });
  }
  const has = async (jail: string, v: 4 | 6, ip: string) => (await elements(jail, v))?.some((e) => e.value === ip) ?? false;

  /** Addresses f2b's log says are banned in a jail now (Ban lines minus Unban lines, from action "log"). */
  function bannedPerLog(jail: string): string[] {
    const state = new Map<string, boolean>();
    for (const m of f2b.stdout().matchAll(new RegExp(`^\\[${re(jail)}\\] (Ban|Unban) (\\S+)`, 'gm'))) state.set(m[2]!, m[1] === 'Ban');
    return [...state]
      .filter(([, banned]) => banned)
      .map(([ip]) => ip)
      .sort();
  }

  async function attack(server: string, from: string, times = 3): Promise<void> {
    for (let i = 0; i < times; i++) await lab.failLogin(lab.att, server, from);
  }

  beforeAll(async () => {
    lab = await createLab();
    const others = (mine: string[]) => [...lab.attackerV4, lab.attackerV6].filter((a) => !mine.includes(a));
    const jail = (mine: string[], bantime: string, options: Record<string, unknown>) => ({
      source: { type: 'file', paths: [lab.authLog], pollInterval: 100 },
      filter: 'sshd',
      maxretry: 3,
      findtime: '10m',
      bantime,
      ignoreip: others(mine),
      actions: [{ type: 'nftables', netns: lab.srv, checkInterval: '1s', retryDelay: '0.2s', ...options }, 'log'],
    });
    const config = {
      plugins: [ACTION],
      // Private state and control socket: nothing shared with other runs or the host's f2b.
      state: { path: join(lab.dir, 'f2b.db') },
      socket: join(lab.dir, 'f2b.sock'),
      jails: {
        'ssh-drop': jail([A_DROP, A_DROP6], `${DROP_BANTIME}s`, { blocktype: 'drop' }),
        'ssh-reject': jail([A_REJECT], '40s', { blocktype: 'reject' }),
        'ssh-port': jail([A_PORT], '40s', { ports: [22] }),
        'ssh-repair': jail([A_REPAIR], '2m', {}),
      },
    };
    const file = join(lab.dir, 'f2b.config.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    f2b = startF2b(['start', '--foreground', '--config', file]);
    diagnostics = () =>
      `--- f2b stdout\n${tail(f2b.stdout())}\n--- f2b stderr\n${tail(f2b.stderr())}\n--- auth.log\n${tail(readFileSync(lab.authLog, 'utf8'))}`;
    await f2b.waitFor(/Started 4 jail/, 'stderr', 30_000);
    await waitFor('the four chains', async () => (await lab.nft(['-j', 'list', 'chains'])).stdout.match(/"hook": "input"/g)?.length === 4, 10_000);
  }, 60_000);

  afterAll(async () => {
    await f2b?.stop();
    await lab?.stop();
  }, 30_000);

  it('bans an IPv4 and an IPv6 attacker after 3 failed logins; the innocent host still logs in; unbanned after bantime', async () => {
    for (const [host, from] of [
      [SERVER.v4, A_DROP],
      [SERVER.v6, A_DROP6],
    ]) {
      expect((await lab.probe(lab.att, host!, 22, { from })).result).toBe('connected');
    }
    await attack(SERVER.v4, A_DROP);
    await attack(SERVER.v6, A_DROP6);
    await waitFor('both bans in the kernel', async () => (await has('ssh-drop', 4, A_DROP)) && (await has('ssh-drop', 6, A_DROP6)));

    // A new TCP connection from the attacker dies (dropped: no answer at all); the innocent is served.
    const [v4, v6, innocent4, innocent6] = await Promise.all([
      lab.probe(lab.att, SERVER.v4, 22, { from: A_DROP, timeoutMs: 1000 }),
      lab.probe(lab.att, SERVER.v6, 22, { from: A_DROP6, timeoutMs: 1000 }),
      lab.probe(lab.inn, SERVER.v4, 22),
      lab.probe(lab.inn, SERVER.v6, 22),
    ]);
    expect(v4.result).toBe('timeout');
    expect(v6.result).toBe('timeout');
    dropProbeMs = v4.ms;
    expect(innocent4.data).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(innocent6.data).toMatch(/^SSH-2\.0-OpenSSH/);
    const login = await lab.login(lab.inn, SERVER.v4);
    expect(login.stdout.trim()).toBe('ok');

    // f2b's own log and the kernel agree, and the kernel timeout is the ban time.
    const logged = bannedPerLog('ssh-drop');
    expect(logged).toEqual([A_DROP6, A_DROP].sort());
    const kernel = [...(await elements('ssh-drop', 4))!, ...(await elements('ssh-drop', 6))!];
    expect(kernel.map((e) => e.value).sort()).toEqual(logged);
    for (const e of kernel) {
      expect(e.timeout).toBeGreaterThanOrEqual(DROP_BANTIME - 10); // minus the time since the ban, on a loaded machine
      expect(e.timeout).toBeLessThanOrEqual(DROP_BANTIME);
    }
    // sshd really logged through syslog: full syslog lines with time, host, program and pid.
    expect(readFileSync(lab.authLog, 'utf8')).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ \\S+ sshd\\[\\d+\\]: Failed password for f2btest from ${re(A_DROP)} port \\d+ ssh2$`, 'm'),
    );

    // After bantime: unbanned by f2b (and by the kernel's timeout at the latest); connections work again.
    await f2b.waitFor(new RegExp(`\\[ssh-drop\\] Unban ${re(A_DROP)} `), 'stdout', 30_000);
    await f2b.waitFor(new RegExp(`\\[ssh-drop\\] Unban ${re(A_DROP6)} `), 'stdout', 30_000);
    await waitFor('the sets to empty', async () => (await elements('ssh-drop', 4))?.length === 0 && (await elements('ssh-drop', 6))?.length === 0);
    expect(bannedPerLog('ssh-drop')).toEqual([]);
    expect((await lab.probe(lab.att, SERVER.v4, 22, { from: A_DROP })).result).toBe('connected');
    expect((await lab.probe(lab.att, SERVER.v6, 22, { from: A_DROP6 })).result).toBe('connected');
  }, 90_000);

  it('blocktype reject refuses at once where drop lets the connection time out', async () => {
    await attack(SERVER.v4, A_REJECT);
    await waitFor('the reject ban', () => has('ssh-reject', 4, A_REJECT));
    const p = await lab.probe(lab.att, SERVER.v4, 22, { from: A_REJECT, timeoutMs: 3000 });
    expect(p.result).toBe('refused');
    expect(p.ms).toBeLessThan(500);
    if (dropProbeMs > 0) expect(dropProbeMs).toBeGreaterThanOrEqual(1000); // the drop probe of the first test waited out its timeout
    expect(bannedPerLog('ssh-reject')).toEqual([A_REJECT]);
  }, 60_000);

  it('a port-scoped ban (ports: [22]) still lets the attacker reach another port', async () => {
    lab.spawnInServer([process.execPath, '-e', "require('net').createServer((s) => s.end('ok\\n')).listen(2222)"]);
    await waitFor('the listener on 2222', async () => (await lab.probe(lab.inn, SERVER.v4, 2222)).data === 'ok\n', 10_000);
    await attack(SERVER.v4, A_PORT);
    await waitFor('the port-scoped ban', () => has('ssh-port', 4, A_PORT));
    const [ssh, other] = await Promise.all([
      lab.probe(lab.att, SERVER.v4, 22, { from: A_PORT, timeoutMs: 1000 }),
      lab.probe(lab.att, SERVER.v4, 2222, { from: A_PORT }),
    ]);
    expect(ssh.result).toBe('timeout');
    expect(other).toMatchObject({ result: 'connected', data: 'ok\n' });
    expect((await lab.nft(['list', 'chain', 'inet', 'f2b', 'f2b_ssh-port'])).stdout).toMatch(
      /ip saddr @f2b_ssh-port_v4 tcp dport 22 counter packets [1-9]\d* bytes \d+ drop/,
    );
  }, 60_000);

  it('repairs an `nft flush ruleset` done behind its back and re-applies the active bans', async () => {
    await attack(SERVER.v4, A_REPAIR);
    await waitFor('the ban', () => has('ssh-repair', 4, A_REPAIR));
    expect((await lab.probe(lab.att, SERVER.v4, 22, { from: A_REPAIR, timeoutMs: 1000 })).result).toBe('timeout');

    const flush = await lab.nft(['flush', 'ruleset']);
    expect(flush.code).toBe(0);
    await waitFor('the repair', async () => (await has('ssh-repair', 4, A_REPAIR)) && (await has('ssh-reject', 4, A_REJECT)), 15_000);
    await waitFor('all four chains back', async () => (await lab.nft(['-j', 'list', 'chains'])).stdout.match(/"hook": "input"/g)?.length === 4, 10_000);
    expect((await lab.probe(lab.att, SERVER.v4, 22, { from: A_REPAIR, timeoutMs: 1000 })).result).toBe('timeout');
    expect((await lab.probe(lab.att, SERVER.v4, 22, { from: A_REJECT, timeoutMs: 3000 })).result).toBe('refused');
    expect((await lab.probe(lab.inn, SERVER.v4, 22)).data).toMatch(/^SSH-2\.0-/);
    expect(f2b.stderr()).toMatch(/Repaired the nftables table inet f2b/);
    // The re-added element carries the remaining ban time, not a fresh one.
    const [el] = (await elements('ssh-repair', 4))!;
    expect(el!.timeout).toBeLessThanOrEqual(120);
  }, 60_000);

  it('stops cleanly and removes its table from the server namespace', async () => {
    expect(await f2b.stop('SIGTERM')).toBe(0);
    const r = await lab.nft(['-j', 'list', 'tables']);
    expect(r.stdout).not.toMatch(/"name": "f2b"/);
    expect(f2b.stderr()).not.toMatch(/F2B_ERR_NFT/);
  }, 30_000);
});
