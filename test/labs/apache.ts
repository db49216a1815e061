/**
 * The Apache lab: a real Apache httpd (Debian's apache2, prefork, our own config, LogLevel info with
 * core:debug) in the server namespace; basic, digest and host-based access control; scripted attackers
 * (wrong passwords, unknown users, forged digest logins, scanners, overlong and broken requests, TLS on
 * the plain port, a bad bot) and an innocent user with one typo.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable, type NetLab } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type CapturedLog, type Episode } from './ground-truth.js';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';
const PORT = 80;

export function apacheLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [APACHE, 'curl', 'htpasswd'], hint: 'apt install apache2 apache2-utils curl' });
}

/** `Apache/2.4.71 (Debian)` */
export function apacheVersion(): string {
  const r = spawnSync(APACHE, ['-v'], { encoding: 'utf8' });
  return /Server version: (\S+(?: \([^)]*\))?)/.exec(r.stdout)?.[1] ?? 'Apache (unknown version)';
}

function config(dir: string): string {
  const mods = [
    'mpm_prefork',
    'authz_core',
    'authz_host',
    'authz_user',
    'authn_core',
    'authn_file',
    'auth_basic',
    'auth_digest',
    'alias',
    'cgi',
    'mime',
    'dir',
  ];
  return [
    `ServerRoot ${dir}`,
    'ServerName lab.example.org',
    `Listen ${PORT}`,
    `PidFile ${dir}/httpd.pid`,
    `DefaultRuntimeDir ${dir}`,
    `Mutex file:${dir} default`,
    ...mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
    'TypesConfig /dev/null',
    'User www-data',
    'Group www-data',
    `ErrorLog ${dir}/error.log`,
    'LogLevel info core:debug',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
    `CustomLog ${dir}/access.log combined`,
    `DocumentRoot ${dir}/www`,
    '<Directory />',
    '  Require all denied',
    '</Directory>',
    `<Directory ${dir}/www>`,
    '  Require all granted',
    '</Directory>',
    `ScriptAlias /cgi-bin/ ${dir}/cgi-bin/`,
    `<Directory ${dir}/cgi-bin>`,
    '  Require all granted',
    '</Directory>',
    '<Location /private>',
    '  AuthType Basic',
    '  AuthName lab',
    `  AuthUserFile ${dir}/htpasswd`,
    '  Require valid-user',
    '</Location>',
    '<Location /staff>',
    '  AuthType Digest',
    '  AuthName staff',
    '  AuthDigestProvider file',
    `  AuthUserFile ${dir}/htdigest`,
    '  Require valid-user',
    '</Location>',
    '<Location /internal>',
    '  Require ip 198.51.100.0/24',
    '</Location>',
    '',
  ].join('\n');
}

export interface ApacheLab {
  net: NetLab;
  episodes: Episode[];
  errorLog(): CapturedLog;
  accessLog(): CapturedLog;
  stop(): Promise<void>;
}

/** `[client 192.0.2.10:4711]` / `[client 2001:db8::10:4711]` → the address (the lab's own reading). */
function errorSource(line: string): string | undefined {
  const m = / \[(?:client|remote) ([^\]]+)\] /.exec(line);
  return m ? m[1]!.replace(/:[0-9]+$/, '') : undefined;
}

export async function startApacheLab(): Promise<ApacheLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-apache-lab-' });
  const { dir } = net;
  try {
    for (const d of ['www/private', 'www/staff', 'www/internal', 'cgi-bin']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'www/index.html'), '<p>lab</p>\n');
    writeFileSync(join(dir, 'www/private/index.html'), 'private\n');
    writeFileSync(join(dir, 'www/staff/index.html'), 'staff\n');
    spawnSync('htpasswd', ['-bc', join(dir, 'htpasswd'), 'alice', 'alice-secret-1']);
    writeFileSync(join(dir, 'htdigest'), `bob:staff:${createHash('md5').update('bob:staff:bob-secret-2').digest('hex')}\n`);
    writeFileSync(join(dir, 'httpd.conf'), config(dir));
    spawnSync('chmod', ['-R', 'a+rX', dir]);
    chmodSync(dir, 0o755);
    net.spawnInServer([APACHE, '-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { log: join(dir, 'server.out') });
    const up = await waitFor(
      () => existsSync(join(dir, 'error.log')) && readFileSync(join(dir, 'error.log'), 'utf8').includes('resuming normal operations'),
      15_000,
    );
    if (!up) throw new Error(`apache2 did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}`);
  } catch (err) {
    await net.stop();
    throw err;
  }

  const url = (path: string) => `http://${SERVER.v4}${path}`;
  const url6 = (path: string) => `http://[${SERVER.v6}]${path}`;
  const curl = async (ns: string, from: string, args: string[]) => {
    await net.runIn(ns, 'curl', ['-s', '-g', '-o', '/dev/null', '--max-time', '5', '--interface', from, ...args], { timeoutMs: 15_000 });
  };
  const times = async (n: number, f: (i: number) => Promise<void>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  const A = (i: number) => `192.0.2.${30 + i}`;

  const episodes: Episode[] = [
    {
      name: 'wrong basic-auth passwords',
      ns: 'att',
      from: A(0),
      expect: { 'apache-auth': 6 },
      run: () => times(6, (i) => curl(net.att, A(0), ['-u', `alice:guess-${i}`, url('/private/')])),
    },
    {
      name: 'unknown basic-auth users',
      ns: 'att',
      from: A(1),
      expect: { 'apache-auth': 4 },
      run: () => times(4, (i) => curl(net.att, A(1), ['-u', `admin${i}:password`, url('/private/')])),
    },
    {
      name: 'wrong digest passwords and unknown digest users',
      ns: 'att',
      from: A(2),
      expect: { 'apache-auth': 4 },
      run: () => times(4, (i) => curl(net.att, A(2), ['--digest', '-u', i % 2 ? `root:toor${i}` : `bob:nope${i}`, url('/staff/')])),
    },
    {
      name: 'a forged digest header (realm, uri)',
      ns: 'att',
      from: A(3),
      expect: { 'apache-auth': 2 },
      run: async () => {
        await curl(net.att, A(3), [
          '-H',
          'Authorization: Digest username="bob", realm="other", nonce="x", uri="/staff/", response="0", qop=auth, nc=00000001, cnonce="c"',
          url('/staff/'),
        ]);
        await curl(net.att, A(3), ['-H', 'Authorization: Digest username="bob", realm="staff", nonce="x", uri="/elsewhere/", response="0"', url('/staff/')]);
      },
    },
    { name: 'denied by Require ip', ns: 'att', from: A(4), expect: { 'apache-auth': 3 }, run: () => times(3, () => curl(net.att, A(4), [url('/internal/')])) },
    {
      name: 'scanner: probes the site does not have',
      ns: 'att',
      from: A(5),
      expect: { 'apache-botsearch': 4 },
      run: async () => {
        for (const p of ['/phpmyadmin/', '/pma/index.html', '/.git/config', '/.env']) await curl(net.att, A(5), [url(p)]);
      },
    },
    {
      name: 'scanner: WordPress and PHP probes',
      ns: 'att',
      from: A(6),
      expect: { 'apache-botsearch': 2, 'apache-noscript': 2 },
      run: async () => {
        for (const p of ['/wp-login.php', '/xmlrpc.php']) await curl(net.att, A(6), ['-X', 'POST', url(p)]);
      },
    },
    {
      name: 'scanner: CGI scripts',
      ns: 'att',
      from: A(7),
      expect: { 'apache-noscript': 3 },
      run: async () => {
        for (const p of ['/cgi-bin/luci', '/cgi-bin/test.cgi', '/shell.aspx']) await curl(net.att, A(7), [url(p)]);
      },
    },
    {
      name: 'overlong request line and header, path traversal',
      ns: 'att',
      from: A(8),
      expect: { 'apache-overflows': 3 },
      marks: { 'apache-overflows': ['AH00565', 'AH00561', 'AH10244'] },
      run: async () => {
        await curl(net.att, A(8), [url(`/${'a'.repeat(9000)}`)]);
        await curl(net.att, A(8), ['-H', `X-Pad: ${'b'.repeat(9000)}`, url('/')]);
        await curl(net.att, A(8), ['--path-as-is', url('/icons/../../../../etc/passwd')]);
      },
    },
    {
      name: 'invalid methods and broken headers',
      ns: 'att',
      from: A(9),
      expect: { 'apache-overflows': 3 },
      marks: { 'apache-overflows': ['AH00135', 'AH02426', 'AH10242'] },
      run: async () => {
        await rawSend(net, net.att, A(9), SERVER.v4, PORT, Buffer.from('FOO / HTTP/1.1\r\nHost: lab\r\n\r\n'));
        await rawSend(net, net.att, A(9), SERVER.v4, PORT, Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\nno colon here\r\n\r\n'));
        await rawSend(net, net.att, A(9), SERVER.v4, PORT, Buffer.from('GET / HTTP/1.1\r\nHost: lab\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'));
      },
    },
    {
      name: 'bad bot (access log)',
      ns: 'att',
      from: A(10),
      expect: { 'apache-badbots': 2 },
      run: () => times(2, () => curl(net.att, A(10), ['-A', 'sqlmap/1.7.2#stable (https://sqlmap.org)', url('/')])),
    },
    {
      name: 'IPv6: wrong passwords',
      ns: 'att',
      from: '2001:db8::30',
      expect: { 'apache-auth': 3 },
      run: () => times(3, (i) => curl(net.att, '2001:db8::30', ['-u', `alice:v6-guess-${i}`, url6('/private/')])),
    },
    {
      name: 'innocent: a login with one typo',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'apache-auth': 1 },
      run: async () => {
        const inn = net.innocent.v4;
        await curl(net.inn, inn, ['-u', 'alice:alice-secret-l', url('/private/')]);
        await times(3, () => curl(net.inn, inn, ['-u', 'alice:alice-secret-1', url('/private/')]));
        await curl(net.inn, inn, ['--digest', '-u', 'bob:bob-secret-2', url('/staff/')]);
      },
    },
    {
      name: 'innocent: pages, a missing favicon, a protected page without credentials',
      ns: 'inn',
      from: net.innocent.v6,
      expect: {},
      run: async () => {
        const inn = net.innocent.v6;
        for (const p of ['/', '/favicon.ico', '/private/', '/private', '/staff/', '/index.html']) await curl(net.inn, inn, [url6(p)]);
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
    net,
    episodes,
    errorLog: () => ({
      name: 'error.log',
      filters: ['apache-auth', 'apache-botsearch', 'apache-noscript', 'apache-overflows'],
      lines: read('error.log'),
      sourceOf: errorSource,
    }),
    accessLog: () => ({ name: 'access.log', filters: ['apache-badbots'], lines: read('access.log'), sourceOf: (l) => l.split(' ')[0] }),
    stop: () => net.stop(),
  };
}
