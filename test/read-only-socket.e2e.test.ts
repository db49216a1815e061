/**
 * Issue 16, the read-only control role: a daemon (run as root) with `readOnlySocket` creates a
 * second socket, mode 0660 and group nogroup, that a client running as uid 65534 — not root, not
 * the daemon's user — may use for status, banned, explain and ping, and that refuses everything else
 * with F2B_ERR_CONTROL_READ_ONLY naming the root socket. That client cannot open the root socket at
 * all. A read-only socket in a directory others may write is refused at start, as the root one is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f2b, f2bRunnableBy, sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const runnable = isRoot ? f2bRunnableBy(NOBODY) : { skip: 'needs root (the client runs as uid 65534)' };
const skip = 'skip' in runnable ? runnable.skip : null;
if (skip) console.log(`skipped: ${skip}`);

const tmp = tempDir('f2b-ro-');
let daemon: RunningF2b | undefined;
const rootSock = join(tmp.dir, 'root', 'f2b.sock');
const roSock = join(tmp.dir, 'ro', 'f2b.sock');

/** f2b as uid/gid 65534. */
function asNobody(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = (runnable as { bin: string }).bin;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      uid: NOBODY,
      gid: NOBODY,
      cwd: '/',
      env: { PATH: process.env.PATH, NO_COLOR: '1', HOME: '/nonexistent' },
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  if (skip) return;
  chmodSync(tmp.dir, 0o755); // uid 65534 must reach the read-only socket's directory
  const log = join(tmp.dir, 'auth.log');
  writeFileSync(log, '');
  const cfg = join(tmp.dir, 'f2b.config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { type: 'memory' },
      socket: rootSock,
      readOnlySocket: { path: roSock, group: 'nogroup', mode: '0660' },
      jails: {
        sshd: { source: { type: 'file', paths: [log], pollInterval: 50 }, filter: 'sshd', maxretry: 1, bantime: '1h', ignoreself: false, actions: ['log'] },
      },
    }),
  );
  daemon = startF2b(['start', '--foreground', '--config', cfg]);
  await daemon.waitFor(/Read-only control socket listening/, 'stderr', 20_000);
  appendFileSync(log, sshdLine('Failed password for root from 203.0.113.90 port 1 ssh2'));
  await daemon.waitFor(/NOTICE \[sshd\] Ban 203\.0\.113\.90 /, 'stderr');
}, 40_000);

afterAll(async () => {
  await daemon?.stop();
  if (!('skip' in runnable)) runnable.cleanup();
  tmp.cleanup();
});

describe.skipIf(skip !== null)('the read-only control socket', () => {
  it('is a socket of mode 0660 and group nogroup in a 0755 directory; the root socket stays 0600 in 0700', () => {
    const ro = statSync(roSock);
    expect(ro.isSocket()).toBe(true);
    expect(ro.mode & 0o777).toBe(0o660);
    expect(ro.gid).toBe(NOBODY);
    expect(statSync(join(tmp.dir, 'ro')).mode & 0o777).toBe(0o755);
    expect(statSync(rootSock).mode & 0o777).toBe(0o600);
    expect(statSync(join(tmp.dir, 'root')).mode & 0o777).toBe(0o700);
  });

  it('answers status, banned, explain and ping to uid 65534', async () => {
    const [status, banned, explain, ping] = await Promise.all([
      asNobody(['status', 'sshd', '--json', '--socket', roSock]),
      asNobody(['banned', '--socket', roSock]),
      asNobody(['explain', '203.0.113.90', '--json', '--socket', roSock]),
      asNobody(['ping', '--socket', roSock]),
    ]);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ name: 'sshd', currentlyBanned: 1, banned: ['203.0.113.90'] });
    expect(banned.code).toBe(0);
    expect(banned.stdout).toContain('203.0.113.90');
    expect(JSON.parse(explain.stdout)).toMatchObject({ banned: true, jails: [{ jail: 'sshd', verdict: 'banned' }] });
    expect(ping.stdout).toMatch(/^pong: f2b /);
  });

  it('refuses ban, unban, reload and stop with F2B_ERR_CONTROL_READ_ONLY, naming the root socket', async () => {
    const commands = [['ban', 'sshd', '203.0.113.91'], ['unban', '203.0.113.90'], ['reload'], ['stop']];
    const results = await Promise.all(commands.map((args) => asNobody([...args, '--socket', roSock])));
    for (const [i, args] of commands.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('F2B_ERR_CONTROL_READ_ONLY');
      expect(r.stderr).toContain(`answers only ping, status, banned, explain; "${args[0]}" is refused here`);
      expect(r.stderr).toContain(rootSock);
    }
    await daemon!.waitFor(/Read-only control socket: refused "stop"/, 'stderr');
    // Nothing changed: still one ban, the daemon still running.
    const status = await asNobody(['status', 'sshd', '--json', '--socket', roSock]);
    expect(JSON.parse(status.stdout)).toMatchObject({ currentlyBanned: 1, banned: ['203.0.113.90'] });
  });

  it('uid 65534 cannot open the root socket', async () => {
    const r = await asNobody(['status', '--socket', rootSock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/F2B_ERR_CONTROL_PERMISSION|F2B_ERR_CONTROL_UNTRUSTED/);
  });

  it('a read-only socket in a directory others may write is refused at start', () => {
    const open = join(tmp.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const cfg = join(tmp.dir, 'open.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { type: 'memory' },
        socket: join(tmp.dir, 'root2', 'f2b.sock'),
        readOnlySocket: { path: join(open, 'ro.sock') },
        jails: { sshd: { source: { type: 'file', paths: [join(tmp.dir, 'auth.log')] }, filter: 'sshd', actions: ['log'] } },
      }),
    );
    const r = f2b(['start', '--foreground', '--config', cfg], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('F2B_ERR_CONTROL_SOCKET');
    expect(r.stderr).toContain('another user could replace the socket');
  });

  it('an unknown group is a config error with its key path', () => {
    const cfg = join(tmp.dir, 'group.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        state: { type: 'memory' },
        socket: false,
        readOnlySocket: { path: join(tmp.dir, 'x.sock'), group: 'no-such-group-f2b' },
        jails: { x: { source: '/etc/hostname', filter: 'sshd' } },
      }),
    );
    const r = f2b(['config', 'check', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('readOnlySocket.group');
  });
});
