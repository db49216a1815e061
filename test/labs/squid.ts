/**
 * The Squid lab: Debian's squid (our own config: basic proxy authentication with an htpasswd file, a
 * denied destination domain, CONNECT only to 443, no cache) in the server namespace, access.log in the
 * native format; scripted attackers (denied destinations, CONNECT to a mail port, wrong and missing
 * credentials, garbage and web requests to the proxy port) and innocent users (one without credentials
 * first, one with a typo).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const SQUID = '/usr/sbin/squid';
const NCSA = '/usr/lib/squid/basic_ncsa_auth';
const PORT = 3128;

export function squidLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [SQUID, NCSA, 'curl', 'htpasswd'], hint: 'apt install squid curl apache2-utils' });
}

/** `Squid 5.7` */
export function squidVersion(): string {
  const r = spawnSync(SQUID, ['-v'], { encoding: 'utf8' });
  return /Version (\S+)/.exec(r.stdout)?.[1]?.replace(/^/, 'Squid ') ?? 'Squid (unknown version)';
}

function config(dir: string): string {
  return `
http_port ${PORT}
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log ${dir}/access.log squid
cache deny all
coredump_dir ${dir}
cache_effective_user proxy
shutdown_lifetime 1 seconds
dns_timeout 2 seconds
dns_nameservers 127.0.0.1
auth_param basic program ${NCSA} ${dir}/passwd
auth_param basic realm lab
acl authed proxy_auth REQUIRED
acl blocked dstdomain -n .blocked.example
acl SSL_ports port 443
acl CONNECT method CONNECT
http_access deny blocked
http_access deny CONNECT !SSL_ports
http_access allow authed
http_access deny all
`;
}

const A = (i: number) => `192.0.2.${150 + i}`;
// destinations the allowed requests go to: nothing listens there, so squid answers at once
const TARGET = `http://${SERVER.v4}:9/`;

export async function startSquidLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-squid-lab-' });
  const { dir } = net;
  const log = join(dir, 'access.log');
  try {
    spawnSync('htpasswd', ['-bc', join(dir, 'passwd'), 'alice', 'alice-secret-1']);
    writeFileSync(join(dir, 'squid.conf'), config(dir));
    spawnSync('chmod', ['-R', 'a+rX', dir]);
    chmodSync(dir, 0o777); // squid writes its logs as the proxy user
    net.spawnInServer([SQUID, '-N', '-f', join(dir, 'squid.conf')], { log: join(dir, 'server.out') });
    const up = await waitFor(() => existsSync(join(dir, 'cache.log')) && readFileSync(join(dir, 'cache.log'), 'utf8').includes('Accepting HTTP'), 20_000);
    if (!up) throw new Error(`squid did not come up:\n${existsSync(join(dir, 'cache.log')) ? readFileSync(join(dir, 'cache.log'), 'utf8') : ''}`);
  } catch (err) {
    await net.stop();
    throw err;
  }
  const proxy = (from: string) => (from.includes(':') ? `http://[${SERVER.v6}]:${PORT}` : `http://${SERVER.v4}:${PORT}`);
  const curl = (ns: string, from: string, url: string, args: string[] = []) =>
    net.runIn(ns, 'curl', ['-s', '-g', '-o', '/dev/null', '--max-time', '5', '--interface', from, '-x', proxy(from), ...args, url], { timeoutMs: 15_000 });
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  // squid logs every request; only its denials and invalid requests count
  const marks = { squid: ['TCP_DENIED/', 'NONE/400', 'NONE_NONE/400'] };
  const episodes: Episode[] = [
    {
      name: 'denied destinations (open-proxy check URLs)',
      ns: 'att',
      from: A(0),
      expect: { squid: 3 },
      marks,
      run: () => times(3, (i) => curl(net.att, A(0), `http://check${i}.blocked.example/azenv.php`)),
    },
    {
      name: 'CONNECT to a mail port',
      ns: 'att',
      from: A(1),
      expect: { squid: 2 },
      marks,
      run: () => times(2, () => curl(net.att, A(1), 'https://mx.example.org:25/', ['-p'])),
    },
    {
      name: 'wrong proxy credentials',
      ns: 'att',
      from: A(2),
      expect: { squid: 4 },
      marks,
      run: () => times(4, (i) => curl(net.att, A(2), TARGET, ['-U', `alice:guess-${i}`])),
    },
    { name: 'no credentials (open-proxy probing)', ns: 'att', from: A(3), expect: { squid: 3 }, marks, run: () => times(3, () => curl(net.att, A(3), TARGET)) },
    {
      name: 'garbage and a web request to the proxy port',
      ns: 'att',
      from: A(4),
      expect: { squid: 2 },
      marks,
      run: async () => {
        await rawSend(net, net.att, A(4), SERVER.v4, PORT, Buffer.from('GARBAGE\r\n\r\n'));
        await rawSend(net, net.att, A(4), SERVER.v4, PORT, Buffer.from(`GET /wp-login.php HTTP/1.1\r\nHost: ${SERVER.v4}:${PORT}\r\n\r\n`));
      },
    },
    {
      name: 'IPv6: wrong proxy credentials',
      ns: 'att',
      from: net.attackerV6,
      expect: { squid: 2 },
      marks,
      run: () => times(2, (i) => curl(net.att, net.attackerV6, TARGET, ['-U', `bob:v6-${i}`])),
    },
    {
      name: 'innocent: a first request without credentials, then with them',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { squid: 1 },
      marks,
      run: async () => {
        await curl(net.inn, net.innocent.v4, TARGET);
        await times(3, () => curl(net.inn, net.innocent.v4, TARGET, ['-U', 'alice:alice-secret-1']));
      },
    },
    {
      name: 'innocent (IPv6): one typo',
      ns: 'inn',
      from: net.innocent.v6,
      expect: { squid: 1 },
      marks,
      run: async () => {
        await curl(net.inn, net.innocent.v6, TARGET, ['-U', 'alice:alice-secret-l']);
        await curl(net.inn, net.innocent.v6, TARGET, ['-U', 'alice:alice-secret-1']);
      },
    },
  ];
  await addAddresses(
    net,
    net.att,
    episodes.filter((e) => e.ns === 'att' && e.from !== net.attackerV6).map((e) => e.from),
  );
  const read = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  return {
    episodes,
    logs: () => [{ name: 'access.log', filters: ['squid'], lines: read(), sourceOf: (l) => l.trim().split(/ +/)[2] }],
    stop: () => net.stop(),
  };
}
