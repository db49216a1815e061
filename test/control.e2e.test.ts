/**
 * The control socket end to end: the real `f2b start --foreground --dry-run` on a temp log and a temp
 * socket, driven by the real client commands (`f2b status`, `ban`, `unban`, `banned`, `ping`,
 * `reload`, `stop`) run as separate processes, as an administrator would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F2B, f2bRunnableBy, ROOT, sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';

/** The unprivileged user (nobody) that plays "not root". */
const NOBODY = 65534;

const ATTACKER = '192.0.2.10';
const V6 = '2001:db8::66';
const MANUAL = '192.0.2.200';
const re = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/**
 * Run f2b to completion, asynchronously: `f2b stop` waits for the daemon — our child — to exit, and
 * a blocking spawnSync would keep us from reaping it.
 */
function run(args: string[], env: NodeJS.ProcessEnv = {}, as?: { uid: number; bin: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Another user runs from / : the clone's directory may be closed to it.
    const ids = as === undefined ? { cwd: ROOT } : { uid: as.uid, gid: as.uid, cwd: '/' };
    const child = spawn(process.execPath, [as?.bin ?? F2B, ...args], { env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env }, ...ids });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('f2b client commands against a running daemon', () => {
  const tmp = tempDir('f2b-ctl-');
  const log = join(tmp.dir, 'auth.log');
  const sock = join(tmp.dir, 'f2b.sock');
  const cfg = join(tmp.dir, 'f2b.config.json');
  const S = ['--socket', sock];
  let daemon: RunningF2b;
  let pid = 3000;
  const failures = (ip: string, n: number) => {
    for (let i = 0; i < n; i++) appendFileSync(log, sshdLine(`Failed password for root from ${ip} port ${41000 + i} ssh2`, { pid: pid++ }));
  };

  beforeAll(async () => {
    writeFileSync(log, '');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: sock,
        jails: { sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 3, findtime: '10m', bantime: '1h' } },
      }),
    );
    daemon = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    await daemon.waitFor(/Control socket listening/, 'stderr', 20_000);
    failures(ATTACKER, 3);
    failures(V6, 3);
    failures('192.0.2.77', 1);
    await daemon.waitFor(re(`[sshd] Ban ${ATTACKER} `));
    await daemon.waitFor(re(`[sshd] Ban ${V6} `));
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    tmp.cleanup();
  });

  it('the socket is mode 0600', () => {
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
  });

  it('f2b ping', async () => {
    const r = await run(['ping', '--json', ...S]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pong: true, pid: daemon.child.pid, protocol: [1] });
    const human = await run(['ping', ...S]);
    expect(human.stdout).toMatch(/^pong: f2b \S+ \(pid \d+\), up /);
  });

  it('f2b status (daemon) and f2b status sshd (--json and human)', async () => {
    const all = await run(['status', '--json', ...S]);
    expect(JSON.parse(all.stdout)).toMatchObject({ jails: ['sshd'], count: 1, state: { kind: 'sqlite', location: join(tmp.dir, 'f2b.dry-run.db') } });
    const r = await run(['status', 'sshd', '--json', ...S]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      name: 'sshd',
      filter: 'sshd',
      currentlyBanned: 2,
      totalBanned: 2,
      currentlyFailed: 1,
      failing: [{ id: '192.0.2.77', attempts: 1 }],
    });
    expect([...s.banned].sort()).toEqual([ATTACKER, V6]);
    const human = await run(['status', 'sshd', ...S]);
    expect(human.stdout).toContain('Status for the jail: sshd\n|- Filter\n|  |- Currently failed: 1\n');
    expect(human.stdout).toMatch(/`- Actions\n {3}\|- Currently banned: 2\n {3}\|- Total banned: {5}2\n {3}`- Banned IP list: {3}\S+ \S+\n$/);
    expect(human.stdout).not.toContain('\x1b['); // not a terminal: no colour
  });

  it('f2b banned <ip>: jail, since, until, rule and a matched line', async () => {
    const r = await run(['banned', ATTACKER, ...S]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${ATTACKER} is banned in 1 jail: sshd.`);
    expect(r.stdout).toMatch(
      /sshd {2}banned\n {2}since: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(\d+s ago\)\n {2}until: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(in 59m \d+s\)\n {2}rule: {2}\S+ \(3 failures; ban #1, 1h\)/,
    );
    expect(r.stdout).toContain(`Failed password for root from ${ATTACKER} port`);
    const list = await run(['banned', '--json', ...S]);
    expect(
      JSON.parse(list.stdout)
        .map((b: { id: string }) => b.id)
        .sort(),
    ).toEqual([ATTACKER, V6]);
    const table = await run(['banned', ...S]);
    expect(table.stdout).toMatch(/^JAIL +ADDRESS +SINCE +UNTIL +BANS +RULE\n/);
    expect(table.stdout).toContain('2 bans in force.');
  });

  it('f2b ban sshd 192.0.2.200, then f2b unban 192.0.2.200', async () => {
    const b = await run(['ban', 'sshd', MANUAL, ...S]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain(`Banned ${MANUAL} in sshd until `);
    await daemon.waitFor(re(`[sshd] Ban ${MANUAL} `));
    expect(JSON.parse((await run(['status', 'sshd', '--json', ...S])).stdout).banned).toContain(MANUAL);
    const why = await run(['banned', MANUAL, '--json', ...S]);
    expect(JSON.parse(why.stdout).bans[0]).toMatchObject({ jail: 'sshd', rule: 'manual', active: true });
    const u = await run(['unban', MANUAL, ...S]);
    expect(u.code).toBe(0);
    expect(u.stdout).toContain(`Unbanned ${MANUAL} in sshd.`);
    await daemon.waitFor(re(`[sshd] Unban ${MANUAL} (manual)`));
  });

  it('usage errors exit 2: unknown jail, bad address, unban without an address', async () => {
    const jail = await run(['ban', 'nope', MANUAL, ...S]);
    expect(jail.code).toBe(2);
    expect(jail.stderr).toContain('F2B_ERR_CONTROL_UNKNOWN_JAIL');
    expect(jail.stderr).toContain('Fix: Running jails: sshd');
    const ip = await run(['ban', 'sshd', '192.0.2.300', ...S]);
    expect(ip.code).toBe(2);
    expect(ip.stderr).toContain('F2B_ERR_ADDRESS_INVALID');
    expect((await run(['unban', ...S])).code).toBe(2);
    expect((await run(['status', 'nope', ...S])).code).toBe(2);
    const lone = await run(['ban', 'sshd', ...S]);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('F2B_ERR_USAGE: "f2b ban" needs the jail and the address to ban; "sshd" is only one of them.');
  });

  it("f2b ban IP without a jail bans in the daemon's only jail", async () => {
    const b = await run(['ban', '192.0.2.201', ...S]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/^Banned 192\.0\.2\.201 in sshd until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(in /);
    expect((await run(['unban', '192.0.2.201', ...S])).code).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('a user other than root is told the socket is root-only (exit 1)', async (ctx) => {
    const runnable = f2bRunnableBy(NOBODY);
    if ('skip' in runnable) {
      console.log(`skipping the uid ${NOBODY} client test: ${runnable.skip}`);
      ctx.skip();
      return;
    }
    const r = await run(['status', ...S], { HOME: '/tmp' }, { uid: NOBODY, bin: runnable.bin }).finally(() => runnable.cleanup());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('F2B_ERR_CONTROL_PERMISSION');
    expect(r.stderr).toContain('root-only');
    expect(r.stderr).toContain('sudo');
  });

  it('f2b reload', async () => {
    const r = await run(['reload', ...S]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Reloaded the configuration, 1 jail: sshd.');
    await daemon.waitFor(/Reloaded: 1 jail/, 'stderr');
    // Bans survive the reload.
    expect(JSON.parse((await run(['status', 'sshd', '--json', ...S])).stdout).currentlyBanned).toBe(2);
  });

  it('a second daemon on the same socket refuses to start', async () => {
    const second = startF2b(['start', '--foreground', '--dry-run', '--config', cfg]);
    expect(await second.stop('SIGCONT')).toBe(1);
    expect(second.stderr()).toContain('F2B_ERR_CONTROL_IN_USE');
    expect(second.stderr()).toContain(`pid ${daemon.child.pid}`);
    expect((await run(['ping', ...S])).code).toBe(0);
  });

  it('f2b unban --all', async () => {
    const r = await run(['unban', '--all', '--json', ...S]);
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout)
      .unbanned.map((u: { jail: string; id: string }) => `${u.jail}/${u.id}`)
      .sort();
    expect(ids).toEqual([`sshd/${ATTACKER}`, `sshd/${V6}`]);
    expect(JSON.parse((await run(['banned', '--json', ...S])).stdout)).toEqual([]);
  });

  it('f2b stop: the daemon exits 0 and removes its socket', async () => {
    const r = await run(['stop', ...S]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`f2b (pid ${daemon.child.pid}) stopped.`);
    expect(await daemon.stop('SIGCONT')).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(daemon.stderr()).toContain('Received "stop" on the control socket: stopping.');
  });
});

describe('f2b client commands without a daemon', () => {
  it('exit 1 and say the daemon is not running, with the fix', async () => {
    const tmp = tempDir('f2b-ctl-');
    try {
      const r = await run(['status', '--socket', join(tmp.dir, 'missing.sock')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('F2B_ERR_CONTROL_NOT_RUNNING');
      expect(r.stderr).toContain(join(tmp.dir, 'missing.sock'));
      expect(r.stderr).toContain('f2b start');
      expect(r.stdout).toBe('');
      // $F2B_SOCKET works like --socket.
      const env = await run(['ping'], { F2B_SOCKET: join(tmp.dir, 'other.sock') });
      expect(env.code).toBe(1);
      expect(env.stderr).toContain(join(tmp.dir, 'other.sock'));
    } finally {
      tmp.cleanup();
    }
  });
});
