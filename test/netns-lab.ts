/**
 * A throw-away network lab for end-to-end tests: three network namespaces joined by a bridge,
 * a real OpenSSH server logging through syslog(3) to a private rsyslogd, and probes run from the
 * client namespaces. The host is not changed:
 *
 * - namespaces, links and addresses exist only inside namespaces the lab creates (and deletes);
 * - the server runs in its own mount namespace (`unshare --mount`) with a private tmpfs /dev (a few
 *   device nodes and the /dev/log socket of a private rsyslogd), a private tmpfs /run (sshd's
 *   privilege separation directory /run/sshd), and bind-mounted copies of /etc/passwd, /etc/shadow
 *   and /etc/group that add the test user `f2btest` — so the user exists for sshd only, with no
 *   useradd/userdel on the host;
 * - sshd and rsyslogd use their own config, host key, pid files and log under a temp directory.
 *
 * Only documentation addresses are used: 192.0.2.0/24 and 2001:db8::/64.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVER = { v4: '192.0.2.1', v6: '2001:db8::1' };
export const USER = 'f2btest';
export const PASSWORD = 'correct-horse-42';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (async, so tests can run several at once). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(e) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function must(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

export const which = (p: string) => spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).status === 0;

/** Why the sshd lab cannot be built here, or null. */
export function labUnavailable(): string | null {
  const missing = ['nft', 'ssh', 'sshpass', 'ssh-keygen', 'rsyslogd', 'openssl'].filter((p) => !which(p));
  if (!existsSync('/usr/sbin/sshd')) missing.push('/usr/sbin/sshd (openssh-server)');
  if (missing.length > 0) return `missing programs: ${missing.join(', ')} (apt install nftables iproute2 openssh-server openssh-client sshpass rsyslog)`;
  return netnsUnavailable({ nft: true });
}

/**
 * Why namespaces (network, mount) cannot be used here, or null; `programs` must be on PATH (or be an
 * absolute path that exists), `hint` says how to install them.
 */
export function netnsUnavailable(opts: { programs?: string[]; hint?: string; nft?: boolean } = {}): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network and mount namespaces need root)';
  const missing = ['ip', 'unshare', 'mount', 'mknod', ...(opts.programs ?? [])].filter((p) => (p.startsWith('/') ? !existsSync(p) : !which(p)));
  if (missing.length > 0) return `missing programs: ${missing.join(', ')}${opts.hint ? ` (${opts.hint})` : ''}`;
  const ns = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-probe`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return 'cannot create network namespaces (`ip netns add` failed)';
  try {
    if (opts.nft && spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset']).status !== 0)
      return 'nft does not work in a network namespace (no nf_tables?)';
    if (spawnSync('ip', ['netns', 'exec', ns, 'unshare', '--mount', 'true']).status !== 0) return 'cannot create mount namespaces (unshare --mount failed)';
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return null;
}

export interface ProbeResult {
  /** `connected` (data came or the connection stayed open), `refused`, `timeout`, or `error:CODE`. */
  result: string;
  ms: number;
  data: string;
}

export interface Lab {
  /** Namespace names. */
  srv: string;
  att: string;
  inn: string;
  dir: string;
  authLog: string;
  /** Attacker source addresses (all on the attacker namespace's one interface). */
  attackerV4: string[];
  attackerV6: string;
  innocent: { v4: string; v6: string };
  /** A failed password login from `ns`, optionally from a given source address; resolves with ssh's exit code. */
  failLogin(ns: string, server: string, from?: string): Promise<number | null>;
  /** A real password login running `echo ok`. */
  login(ns: string, server: string, from?: string): Promise<RunResult>;
  /** A new TCP connection from `ns` (source `from`) to host:port, waiting up to timeoutMs. */
  probe(ns: string, host: string, port: number, opts?: { from?: string; timeoutMs?: number }): Promise<ProbeResult>;
  /** nft inside the server namespace. */
  nft(args: string[]): Promise<RunResult>;
  /** Start a long-running process inside the server namespace (killed by stop()). */
  spawnInServer(args: string[]): ChildProcess;
  stop(): Promise<void>;
}

const PROBE = `
const net = require('net');
const [host, port, from, timeout] = process.argv.slice(1);
const t0 = Date.now();
let data = '', connected = false;
const done = (result) => { process.stdout.write(JSON.stringify({ result, ms: Date.now() - t0, data })); process.exit(0); };
const s = net.connect({ host, port: Number(port), localAddress: from || undefined });
s.setTimeout(Number(timeout), () => done(connected ? 'connected' : 'timeout'));
s.on('connect', () => { connected = true; });
s.on('data', (d) => { data += d; if (data.includes('\\n') || data.length >= 2) done('connected'); });
s.on('end', () => done(connected ? 'connected' : 'closed'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code));
`;

export const SSH_OPTS = [
  '-F',
  '/dev/null',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'GlobalKnownHostsFile=/dev/null',
  '-o',
  'PreferredAuthentications=password',
  '-o',
  'PubkeyAuthentication=no',
  '-o',
  'ConnectTimeout=3',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'NumberOfPasswordPrompts=1',
];

const SERVER_SH = `#!/bin/sh
# Runs inside: ip netns exec SRV unshare --mount sh server.sh DIR COMMAND [ARG…]
set -e
D=$1; shift
mount --make-rprivate /
mount -t tmpfs -o mode=755,size=1m f2b-test-dev /dev
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n "$@"; mknod -m 666 /dev/$1 c $2 $3; shift 3
done
mount -t tmpfs -o mode=755,size=1m f2b-test-run /run
for f in passwd shadow group; do [ -f "$D/$f" ] && mount --bind "$D/$f" /etc/$f; done
rsyslogd -n -f "$D/rsyslog.conf" -i "$D/rsyslogd.pid" &
i=0; while [ ! -S /dev/log ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
[ -S /dev/log ] || { echo "rsyslogd did not create /dev/log" >&2; exit 1; }
exec "$@"
`;

/** Server users that exist only inside the server's mount namespace (bind-mounted copies of /etc files). */
export interface LabUser {
  name: string;
  password: string;
  uid: number;
  home?: string;
  shell?: string;
}

/**
 * Start `command` in the server namespace, in a private mount namespace with its own /dev, /run and
 * /dev/log (a private rsyslogd with `rsyslogRules`, e.g. `*.* action(type="omfile" file="…")`), and
 * with `users` added to copies of /etc/passwd, /etc/shadow and /etc/group. Output goes to DIR/server.out.
 */
export function startSyslogServer(net: NetLab, opts: { command: string[]; rsyslogRules: string[]; users?: LabUser[] }): ChildProcess {
  const { dir } = net;
  if (opts.users && opts.users.length > 0) {
    copyFileSync('/etc/passwd', join(dir, 'passwd'));
    copyFileSync('/etc/shadow', join(dir, 'shadow'));
    copyFileSync('/etc/group', join(dir, 'group'));
    for (const u of opts.users) {
      const hash = must('openssl', ['passwd', '-6', u.password]).trim();
      appendFileSync(join(dir, 'passwd'), `${u.name}:x:${u.uid}:${u.uid}:f2b lab user:${u.home ?? '/nonexistent'}:${u.shell ?? '/bin/sh'}\n`);
      appendFileSync(join(dir, 'shadow'), `${u.name}:${hash}:19000:0:99999:7:::\n`);
      appendFileSync(join(dir, 'group'), `${u.name}:x:${u.uid}:\n`);
    }
    chmodSync(join(dir, 'shadow'), 0o640);
  }
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    [`global(workDirectory="${dir}")`, 'module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")', ...opts.rsyslogRules, ''].join('\n'),
  );
  writeFileSync(join(dir, 'server.sh'), SERVER_SH);
  return net.spawnInServer(['unshare', '--mount', '--propagation', 'private', 'sh', join(dir, 'server.sh'), dir, ...opts.command], {
    log: join(dir, 'server.out'),
  });
}

/**
 * The network part of a lab, for any server: three namespaces (server, attacker, innocent) on a bridge
 * inside the server namespace, documentation addresses only, a temp directory, and the processes
 * started in it (each in its own process group, stopped with the lab).
 */
export interface NetLab {
  srv: string;
  att: string;
  inn: string;
  dir: string;
  attackerV4: string[];
  attackerV6: string;
  innocent: { v4: string; v6: string };
  /** Start a long-running process inside the server namespace (stopped by stop()); output to `log`. */
  spawnInServer(args: string[], opts?: { log?: string }): ChildProcess;
  /** Run a command to completion inside a namespace. */
  runIn(ns: string, cmd: string, args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function stopChildren(children: ChildProcess[]): Promise<void> {
  const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  for (const c of children) {
    if (c.pid !== undefined && alive(c)) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  }
  const deadline = Date.now() + 3000;
  for (const c of children) {
    while (alive(c) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (c.pid !== undefined && alive(c)) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

export interface LabNetwork {
  srv: string;
  att: string;
  inn: string;
  attackerV4: string[];
  attackerV6: string;
  innocent: { v4: string; v6: string };
  /** Deletes the namespaces. */
  remove(): void;
}

/**
 * Three network namespaces (server, attacker, innocent) joined by a bridge in the server's, with the
 * documentation addresses of SERVER, `attackerV4`/`attackerV6` and `innocent`. Names are unique per
 * call; `remove()` deletes them (also on a failure while building).
 */
export function createNetwork(opts: { attackerV4?: string[] } = {}): LabNetwork {
  const tag = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}`;
  const srv = `${tag}-srv`,
    att = `${tag}-att`,
    inn = `${tag}-inn`;
  const created: string[] = [];
  const attackerV4 = opts.attackerV4 ?? ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'];
  const attackerV6 = '2001:db8::10';
  const innocent = { v4: '192.0.2.20', v6: '2001:db8::20' };
  const remove = () => {
    for (const ns of created.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
  };
  try {
    for (const ns of [srv, att, inn]) {
      must('ip', ['netns', 'add', ns]);
      created.push(ns);
      must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    must('ip', ['-n', srv, 'link', 'add', 'br0', 'type', 'bridge']);
    for (const [ns, port] of [
      [att, 'vatt'],
      [inn, 'vinn'],
    ] as const) {
      must('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', srv]);
      must('ip', ['-n', srv, 'link', 'set', port, 'master', 'br0']);
      must('ip', ['-n', srv, 'link', 'set', port, 'up']);
      must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    must('ip', ['-n', srv, 'link', 'set', 'br0', 'up']);
    must('ip', ['-n', srv, 'addr', 'add', `${SERVER.v4}/24`, 'dev', 'br0']);
    must('ip', ['-n', srv, 'addr', 'add', `${SERVER.v6}/64`, 'dev', 'br0', 'nodad']);
    for (const a of attackerV4) must('ip', ['-n', att, 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    must('ip', ['-n', att, 'addr', 'add', `${attackerV6}/64`, 'dev', 'eth0', 'nodad']);
    must('ip', ['-n', inn, 'addr', 'add', `${innocent.v4}/24`, 'dev', 'eth0']);
    must('ip', ['-n', inn, 'addr', 'add', `${innocent.v6}/64`, 'dev', 'eth0', 'nodad']);
  } catch (err) {
    remove();
    throw err;
  }
  return { srv, att, inn, attackerV4, attackerV6, innocent, remove };
}

export interface NetLabOptions {
  /** Addresses of the attacker namespace (default: four, 192.0.2.10–13). */
  attackerV4?: string[];
  /** Prefix of the temp directory's name. */
  dirPrefix?: string;
}

export async function createNetLab(opts: NetLabOptions = {}): Promise<NetLab> {
  const dir = mkdtempSync(join(tmpdir(), opts.dirPrefix ?? 'f2b-lab-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  let net: LabNetwork;
  try {
    net = createNetwork({ attackerV4: opts.attackerV4 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { srv, att, inn, attackerV4, attackerV6, innocent } = net;
  const stop = async () => {
    await stopChildren(children);
    net.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    srv,
    att,
    inn,
    dir,
    attackerV4,
    attackerV6,
    innocent,
    stop,
    spawnInServer(args, o = {}) {
      const out = o.log ? openSync(o.log, 'a') : 'ignore';
      const c = spawn('ip', ['netns', 'exec', srv, ...args], { detached: true, stdio: ['ignore', out, out] });
      if (typeof out === 'number') closeSync(out);
      children.push(c);
      return c;
    },
    runIn(ns, cmd, args, o = {}) {
      return run('ip', ['netns', 'exec', ns, cmd, ...args], o);
    },
  };
}

export async function createLab(): Promise<Lab> {
  const net = await createNetLab({ dirPrefix: 'f2b-nft-e2e-' });
  const { srv, att, inn, dir, attackerV4, attackerV6, innocent, stop } = net;
  const authLog = join(dir, 'auth.log');
  const children: ChildProcess[] = [];

  try {
    // Server files: host key, config, the test user (for the server's eyes only), rsyslog config.
    must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'f2b-test', '-f', join(dir, 'ssh_host_ed25519_key')]);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        'Port 22',
        'ListenAddress 0.0.0.0',
        'ListenAddress ::',
        `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin no',
        `AllowUsers ${USER}`,
        'AuthorizedKeysFile none',
        'UseDNS no',
        'SyslogFacility AUTH',
        'LogLevel INFO',
        'MaxStartups 100:30:200',
        '',
      ].join('\n'),
    );
    writeFileSync(authLog, '');
    children.push(
      startSyslogServer(net, {
        command: ['sh', '-c', `mkdir -m 755 /run/sshd && exec /usr/sbin/sshd -D -f ${join(dir, 'sshd_config')}`],
        rsyslogRules: [`auth,authpriv.* action(type="omfile" file="${authLog}" fileCreateMode="0644")`],
        users: [{ name: USER, password: PASSWORD, uid: 64999 }],
      }),
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const lab: Lab = {
    srv,
    att,
    inn,
    dir,
    authLog,
    attackerV4,
    attackerV6,
    innocent,
    async failLogin(ns, server, from) {
      const r = await run(
        'ip',
        ['netns', 'exec', ns, 'sshpass', '-p', 'wrong-password', 'ssh', ...SSH_OPTS, ...(from ? ['-b', from] : []), `${USER}@${server}`, 'true'],
        { timeoutMs: 15_000 },
      );
      return r.code;
    },
    login(ns, server, from) {
      return run('ip', ['netns', 'exec', ns, 'sshpass', '-p', PASSWORD, 'ssh', ...SSH_OPTS, ...(from ? ['-b', from] : []), `${USER}@${server}`, 'echo ok'], {
        timeoutMs: 15_000,
      });
    },
    async probe(ns, host, port, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 1500;
      const r = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', PROBE, host, String(port), opts.from ?? '', String(timeoutMs)], {
        timeoutMs: timeoutMs + 10_000,
      });
      try {
        return JSON.parse(r.stdout) as ProbeResult;
      } catch {
        return { result: `error:probe ${r.code} ${r.stderr.trim()}`, ms: 0, data: '' };
      }
    },
    nft(args) {
      return run('ip', ['netns', 'exec', srv, 'nft', ...args]);
    },
    spawnInServer(args) {
      return net.spawnInServer(args);
    },
    stop,
  };

  // Ready when sshd says so through syslog and answers with its banner.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const logged = existsSync(authLog) && /sshd\[\d+\]: Server listening on :: port 22/.test(readFileSync(authLog, 'utf8'));
    if (logged && (await lab.probe(inn, SERVER.v4, 22, { timeoutMs: 1000 })).data.startsWith('SSH-2.0-')) break;
    if (children[0]!.exitCode !== null || Date.now() > deadline) {
      const out = existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : '';
      await stop();
      throw new Error(`the test sshd did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return lab;
}
