/**
 * A real redis-server for tests: Debian's binary on a free loopback port, its files in a temp
 * directory, an ACL user, optionally TLS only (a CA and server certificate made with openssl),
 * started and killed by the test. Skips with a
 * reason where the binary is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/sbin/redis-server'].find((p) => existsSync(p));

export function redisSkipReason(): string | null {
  if (!REDIS_SERVER) return 'redis-server is not installed (apt-get install redis-server)';
  const v = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return v.status === 0 ? null : `redis-server does not run: ${v.stderr}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RedisLab {
  port: number;
  user: string;
  password: string;
  /** redis://user:password@127.0.0.1:port/0 */
  url: string;
  /** A client as the ACL user (for the test's own looks). */
  client(): Redis;
  /** kill -9 (no shutdown save). */
  kill(): Promise<void>;
  /** Start again on the same port and directory (the append-only file brings the data back; `empty`: its files removed first, as a Redis without persistence comes back). */
  restart(opts?: { empty?: boolean }): Promise<void>;
  stop(): Promise<void>;
}

/** A CA and a server certificate for 127.0.0.1 (openssl, argv arrays), in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=f2b test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '1',
    '-extfile',
    f('ext'),
  ]);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

export async function startRedis(dir: string, opts: { password?: string; tls?: boolean } = {}): Promise<RedisLab & { ca?: string }> {
  const port = await freePort();
  const certs = opts.tls ? makeCertificates(dir) : null;
  const user = 'f2b';
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const conf = join(dir, 'redis.conf');
  writeFileSync(
    conf,
    [
      ...(certs
        ? ['port 0', `tls-port ${port}`, `tls-cert-file ${certs.cert}`, `tls-key-file ${certs.key}`, `tls-ca-cert-file ${certs.ca}`, 'tls-auth-clients no']
        : [`port ${port}`]),
      'bind 127.0.0.1',
      `dir ${dir}`,
      'save ""',
      'appendonly yes',
      'appendfsync always',
      'daemonize no',
      'protected-mode yes',
      'loglevel warning',
      // The fleet's own user: its keys only. The default user keeps a password nobody knows instead
      // of "off": Redis 7.0 replays the append-only file's transactions (our scripts' effects) as the
      // default user, and refuses them when it is off — the data would be lost at restart.
      `user default on >${randomBytes(24).toString('hex')} ~* &* +@all`,
      `user ${user} on >${password} ~f2b:* &* +@all`,
    ].join('\n') + '\n',
    { mode: 0o600 },
  );
  let child: ChildProcess | null = null;
  const tls = certs ? { tls: { ca: readFileSync(certs.ca) } } : {};
  const clients: Redis[] = [];
  const launch = async () => {
    child = spawn(REDIS_SERVER!, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        username: user,
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        protocol: 2,
        ...tls,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
        if (Date.now() > deadline) throw new Error(`redis-server did not answer: ${out}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  return {
    port,
    user,
    password,
    ...(certs ? { ca: certs.ca } : {}),
    url: `${certs ? 'rediss' : 'redis'}://${user}:${password}@127.0.0.1:${port}/0`,
    client: () => {
      const c = new Redis({ port, host: '127.0.0.1', username: user, password, protocol: 2, ...tls });
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    kill,
    restart: async (o = {}) => {
      if (o.empty) rmSync(join(dir, 'appendonlydir'), { recursive: true, force: true });
      await launch();
    },
    stop: async () => {
      for (const c of clients) c.disconnect();
      await kill();
    },
  };
}
