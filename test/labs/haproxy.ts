/**
 * The HAProxy lab: Debian's haproxy (our own config: `http-request auth` on /admin with a userlist, an
 * `http-request deny` rule, a backend nobody listens on) in the server namespace, logging through
 * syslog to the lab's private rsyslogd in the HTTP log format; scripted attackers without and with
 * wrong credentials, a denied path, garbage; an innocent user whose browser asks once without
 * credentials before sending them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable, startSyslogServer } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const HAPROXY = '/usr/sbin/haproxy';
const PORT = 8080;

export function haproxyLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [HAPROXY, 'curl', 'rsyslogd'], hint: 'apt install haproxy curl rsyslog' });
}

/** `HAProxy 2.6.12-1+deb12u4` */
export function haproxyVersion(): string {
  const r = spawnSync(HAPROXY, ['-v'], { encoding: 'utf8' });
  return /HAProxy version (\S+)/.exec(r.stdout)?.[1]?.replace(/^/, 'HAProxy ') ?? 'HAProxy (unknown version)';
}

function config(): string {
  return `
global
  log /dev/log local0 info
defaults
  mode http
  log global
  option httplog
  timeout connect 1s
  retries 0
  timeout client 3s
  timeout server 3s
userlist admins
  user alice insecure-password alice-secret-1
frontend fe
  bind ${SERVER.v4}:${PORT}
  bind [${SERVER.v6}]:${PORT}
  acl authed http_auth(admins)
  http-request deny if { path_beg /forbidden }
  http-request auth realm lab if !authed { path_beg /admin }
  default_backend be
backend be
  server s1 127.0.0.1:9
`;
}

const A = (i: number) => `192.0.2.${130 + i}`;

export async function startHaproxyLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-haproxy-lab-' });
  const { dir } = net;
  const log = join(dir, 'haproxy.log');
  try {
    writeFileSync(join(dir, 'haproxy.cfg'), config());
    writeFileSync(log, '');
    startSyslogServer(net, {
      command: [HAPROXY, '-db', '-f', join(dir, 'haproxy.cfg')],
      rsyslogRules: [`local0.* action(type="omfile" file="${log}" fileCreateMode="0644")`],
    });
    const up = await waitFor(() => {
      const r = spawnSync('ip', ['netns', 'exec', net.srv, 'curl', '-s', '-o', '/dev/null', '--max-time', '1', `http://${SERVER.v4}:${PORT}/forbidden`]);
      return r.status === 0;
    }, 15_000);
    if (!up) throw new Error(`haproxy did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}`);
  } catch (err) {
    await net.stop();
    throw err;
  }
  const url = (from: string, p: string) => (from.includes(':') ? `http://[${SERVER.v6}]:${PORT}${p}` : `http://${SERVER.v4}:${PORT}${p}`);
  const curl = (ns: string, from: string, p: string, args: string[] = []) =>
    net.runIn(ns, 'curl', ['-s', '-g', '-o', '/dev/null', '--max-time', '5', '--interface', from, ...args, url(from, p)], { timeoutMs: 15_000 });
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  const marks = { 'haproxy-http-auth': ['/<NOSRV> ', ' 401 '] };
  const episodes: Episode[] = [
    {
      name: 'probes without credentials',
      ns: 'att',
      from: A(0),
      expect: { 'haproxy-http-auth': 3 },
      run: () => times(3, () => curl(net.att, A(0), '/admin/')),
    },
    {
      name: 'wrong passwords',
      ns: 'att',
      from: A(1),
      expect: { 'haproxy-http-auth': 4 },
      run: () => times(4, (i) => curl(net.att, A(1), '/admin/', ['-u', `alice:guess-${i}`])),
    },
    {
      name: 'a denied path and garbage (not authentication)',
      ns: 'att',
      from: A(2),
      expect: {},
      run: async () => {
        await times(2, () => curl(net.att, A(2), '/forbidden/x'));
        await rawSend(net, net.att, A(2), SERVER.v4, PORT, Buffer.from('GARBAGE\r\n\r\n'));
      },
    },
    {
      name: 'IPv6: wrong passwords',
      ns: 'att',
      from: net.attackerV6,
      expect: { 'haproxy-http-auth': 2 },
      run: () => times(2, (i) => curl(net.att, net.attackerV6, '/admin/', ['-u', `root:v6-${i}`])),
    },
    {
      name: 'innocent: the browser asks without credentials, then with them',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'haproxy-http-auth': 1 },
      marks,
      run: async () => {
        await curl(net.inn, net.innocent.v4, '/admin/');
        await times(2, () => curl(net.inn, net.innocent.v4, '/admin/', ['-u', 'alice:alice-secret-1']));
        await curl(net.inn, net.innocent.v4, '/');
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
    logs: () => [{ name: 'haproxy.log', filters: ['haproxy-http-auth'], lines: read(), sourceOf: (l) => /haproxy\[[0-9]+\]: (\S+):[0-9]+ \[/.exec(l)?.[1] }],
    stop: () => net.stop(),
  };
}
