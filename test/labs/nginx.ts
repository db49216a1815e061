/**
 * The nginx lab: Debian's nginx with our own config (error_log at info, combined access log, basic
 * auth, limit_req, a deny rule, try_files =404 like Debian's default site) in the server namespace;
 * scripted attackers and an innocent user with one typo.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const NGINX = '/usr/sbin/nginx';

export function nginxLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [NGINX, 'curl', 'openssl'], hint: 'apt install nginx curl openssl' });
}

export function nginxVersion(): string {
  const r = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return /nginx version: (\S+)/.exec(r.stderr)?.[1] ?? 'nginx (unknown version)';
}

function config(dir: string): string {
  return `
user www-data;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log combined;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  limit_req_zone $binary_remote_addr zone=perip:1m rate=1r/m;
  server {
    listen 80 default_server; listen [::]:80 default_server;
    server_name _;
    root ${dir}/www;
    location / { try_files $uri $uri/ =404; }
    location /private/ { auth_basic "lab"; auth_basic_user_file ${dir}/htpasswd; }
    location /api/ { limit_req zone=perip nodelay; try_files $uri =404; }
    location /internal/ { deny all; }
  }
}
`;
}

const A = (i: number) => `192.0.2.${70 + i}`;

export async function startNginxLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-nginx-lab-' });
  const { dir } = net;
  try {
    for (const d of ['www/private', 'www/api', 'www/internal', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'www/index.html'), 'lab\n');
    writeFileSync(join(dir, 'www/private/index.html'), 'private\n');
    writeFileSync(join(dir, 'www/api/index.html'), 'api\n');
    const hash = spawnSync('openssl', ['passwd', '-apr1', 'alice-secret-1'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(dir, 'htpasswd'), `alice:${hash}\n`);
    writeFileSync(join(dir, 'nginx.conf'), config(dir));
    spawnSync('chmod', ['-R', 'a+rX', dir]);
    spawnSync('chown', ['www-data', join(dir, 'tmp')]);
    net.spawnInServer([NGINX, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { log: join(dir, 'server.out') });
    const up = await waitFor(() => existsSync(join(dir, 'nginx.pid')), 15_000);
    if (!up) throw new Error(`nginx did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  } catch (err) {
    await net.stop();
    throw err;
  }
  const url = (p: string) => `http://${SERVER.v4}${p}`;
  const curl = (ns: string, from: string, args: string[]) =>
    net.runIn(ns, 'curl', ['-s', '-g', '-o', '/dev/null', '--max-time', '5', '--interface', from, ...args], { timeoutMs: 15_000 });
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  const episodes: Episode[] = [
    {
      name: 'wrong basic-auth passwords',
      ns: 'att',
      from: A(0),
      expect: { 'nginx-http-auth': 5 },
      run: () => times(5, (i) => curl(net.att, A(0), ['-u', `alice:guess-${i}`, url('/private/')])),
    },
    {
      name: 'unknown basic-auth users',
      ns: 'att',
      from: A(1),
      expect: { 'nginx-http-auth': 3 },
      run: () => times(3, (i) => curl(net.att, A(1), ['-u', `admin${i}:x`, url('/private/')])),
    },
    { name: 'over the request rate', ns: 'att', from: A(2), expect: { 'nginx-limit-req': 4 }, run: () => times(5, () => curl(net.att, A(2), [url('/api/')])) },
    { name: 'denied by rule', ns: 'att', from: A(3), expect: { 'nginx-forbidden': 2 }, run: () => times(2, () => curl(net.att, A(3), [url('/internal/')])) },
    {
      name: 'scanner',
      ns: 'att',
      from: A(4),
      expect: { 'nginx-botsearch@access.log': 4 },
      run: async () => {
        for (const p of ['/wp-login.php', '/.env', '/phpmyadmin/', '/.git/config']) await curl(net.att, A(4), [url(p)]);
      },
    },
    {
      name: 'garbage and TLS on the HTTP port',
      ns: 'att',
      from: A(5),
      expect: { 'nginx-bad-request@access.log': 2, 'nginx-bad-request@error.log': 2 },
      marks: { 'nginx-bad-request': ['" 400 ', 'client sent'] },
      run: async () => {
        await rawSend(
          net,
          net.att,
          A(5),
          SERVER.v4,
          80,
          Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]),
        );
        await rawSend(net, net.att, A(5), SERVER.v4, 80, Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\nBad Header\r\n\r\n'));
      },
    },
    {
      name: 'innocent: a login with one typo, pages, a missing favicon',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'nginx-http-auth': 1 },
      marks: { 'nginx-http-auth': ['password mismatch'] },
      run: async () => {
        const inn = net.innocent.v4;
        await curl(net.inn, inn, ['-u', 'alice:alice-secret-l', url('/private/')]);
        await curl(net.inn, inn, ['-u', 'alice:alice-secret-1', url('/private/')]);
        for (const p of ['/', '/favicon.ico', '/api/', '/private/']) await curl(net.inn, inn, [url(p)]);
      },
    },
  ];
  await addAddresses(
    net,
    net.att,
    episodes.filter((e) => e.ns === 'att').map((e) => e.from),
  );
  const read = (name: string) =>
    existsSync(join(dir, name))
      ? readFileSync(join(dir, name), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  return {
    episodes,
    logs: () => [
      {
        name: 'error.log',
        filters: ['nginx-http-auth', 'nginx-limit-req', 'nginx-forbidden', 'nginx-botsearch', 'nginx-bad-request'],
        lines: read('error.log'),
        sourceOf: (l) => /, client: ([^,]+), server: /.exec(l)?.[1],
      },
      { name: 'access.log', filters: ['nginx-botsearch', 'nginx-bad-request'], lines: read('access.log'), sourceOf: (l) => l.split(' ')[0] },
    ],
    stop: () => net.stop(),
  };
}
