/**
 * The FTP lab: vsftpd (Debian package; two instances, one writing vsftpd.log, one through syslog),
 * ProFTPD and Pure-FTPd (Debian packages that conflict with vsftpd, so they are unpacked, not
 * installed: `apt-get download proftpd-core pure-ftpd …` + `dpkg-deb -x` into $F2B_LAB_DEBS, default
 * /opt/f2b-lab; .ci/run does it) in one server namespace with a private rsyslogd, a lab user that exists
 * only there, scripted attackers (wrong passwords, unknown users, root, a refused anonymous login, too
 * many attempts) and an innocent user with one typo.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable, startSyslogServer, type NetLab } from '../netns-lab.js';
import { addAddresses, waitFor, type CapturedLog, type Episode } from './ground-truth.js';
import { ftpLogin } from './ftp-client.js';

const DEBS = process.env.F2B_LAB_DEBS ?? '/opt/f2b-lab';
const VSFTPD = '/usr/sbin/vsftpd';
const PROFTPD_ROOT = join(DEBS, 'proftpd-core');
const PROFTPD = join(PROFTPD_ROOT, 'usr/sbin/proftpd');
const PUREFTPD = join(DEBS, 'pure-ftpd/usr/sbin/pure-ftpd');
const LIBS = join(PROFTPD_ROOT, 'usr/lib/x86_64-linux-gnu');

export const FTP_USER = { name: 'f2bftp', password: 'ftp-pass-7', uid: 64998 };
const PORTS = { vsftpdFile: 21, vsftpdSyslog: 2021, proftpd: 2121, pureftpd: 2221 };

export function ftpLabUnavailable(): string | null {
  return netnsUnavailable({
    programs: [VSFTPD, 'rsyslogd', 'openssl', PROFTPD, PUREFTPD],
    hint: `apt install vsftpd rsyslog openssl; proftpd and pure-ftpd unpacked into ${DEBS} (see .ci/run)`,
  });
}

export function ftpVersions(): string {
  const v = (cmd: string, args: string[], re: RegExp, env?: NodeJS.ProcessEnv) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, input: '' });
    return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? '?';
  };
  const vs = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'vsftpd'], { encoding: 'utf8' }).stdout || '?';
  return `vsftpd ${vs} (Debian), ProFTPD ${v(PROFTPD, ['-v'], /ProFTPD Version (\S+)/, { LD_LIBRARY_PATH: LIBS })}, Pure-FTPd ${v(PUREFTPD, ['--help'], /pure-ftpd v(\S+)/)}`;
}

function vsftpdConf(dir: string, port: number, syslog: boolean): string {
  return [
    'listen=NO',
    'listen_ipv6=YES',
    `listen_port=${port}`,
    'background=NO',
    'anonymous_enable=YES',
    'no_anon_password=NO',
    'deny_email_enable=YES',
    `banned_email_file=${dir}/banned_emails`,
    `anon_root=${dir}/ftproot`,
    'local_enable=YES',
    'write_enable=NO',
    'pam_service_name=vsftpd',
    'secure_chroot_dir=/run/vsftpd/empty',
    'delay_failed_login=0',
    'max_login_fails=3',
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    syslog ? 'syslog_enable=YES' : `vsftpd_log_file=${dir}/vsftpd.log`,
    'seccomp_sandbox=NO',
    'isolate_network=NO',
    '',
  ].join('\n');
}

function proftpdConf(dir: string): string {
  return [
    'ServerName "f2b lab"',
    'ServerType standalone',
    'DefaultServer on',
    `Port ${PORTS.proftpd}`,
    'UseIPv6 on',
    'User nobody',
    'Group nogroup',
    `PidFile ${dir}/proftpd.pid`,
    `ScoreboardFile ${dir}/proftpd.scoreboard`,
    'WtmpLog off',
    'UseReverseDNS off',
    'RequireValidShell off',
    'RootLogin off',
    'MaxLoginAttempts 3',
    'DelayEngine off',
    'AuthOrder mod_auth_unix.c',
    'TimesGMT on',
    'SyslogFacility AUTH',
    '<Limit LOGIN>',
    '  DenyUser baduser',
    '</Limit>',
    '',
  ].join('\n');
}

/** The messages each daemon writes for a failed login (the lab's ground truth, not the filters' patterns). */
const FAILURE_MARKS: Record<string, string[]> = {
  vsftpd: ['FAIL LOGIN', 'pam_unix(vsftpd:auth): authentication failure'],
  proftpd: ['(Login failed)', 'no such user found', 'SECURITY VIOLATION', 'Limit access denies login', 'Maximum login attempts'],
  'pure-ftpd': ['Authentication failed for user', 'account disabled', 'Too many authentication failures'],
};

export interface FtpLab {
  net: NetLab;
  episodes: Episode[];
  logs(): CapturedLog[];
  stop(): Promise<void>;
}

// The lab's own reading of the client address of each daemon's lines (not the filters' patterns).
const vsftpdSource = (l: string) => /Client "([^"]+)"/.exec(l)?.[1];
const proftpdSource = (l: string) => /\(([^\s()[\]]*)\[([^\]]+)\]\)/.exec(l)?.[2];
const pureSource = (l: string) => /pure-ftpd(?:\[[0-9]+\])?: \([^@()]*@([^)]+)\)/.exec(l)?.[1];
const pamSource = (l: string) => / rhost=(\S+)/.exec(l)?.[1];

export async function startFtpLab(): Promise<FtpLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-ftp-lab-' });
  const { dir } = net;
  try {
    mkdirSync(join(dir, 'ftproot'), { recursive: true });
    writeFileSync(join(dir, 'banned_emails'), 'scanner@example.com\n');
    writeFileSync(join(dir, 'vsftpd-file.conf'), vsftpdConf(dir, PORTS.vsftpdFile, false));
    writeFileSync(join(dir, 'vsftpd-syslog.conf'), vsftpdConf(dir, PORTS.vsftpdSyslog, true));
    writeFileSync(join(dir, 'proftpd.conf'), proftpdConf(dir));
    for (const f of ['vsftpd.log', 'syslog', 'auth.log']) writeFileSync(join(dir, f), '');
    writeFileSync(
      join(dir, 'servers.sh'),
      [
        '#!/bin/sh',
        `D=${dir}`,
        'mkdir -p /run/vsftpd/empty',
        `${VSFTPD} "$D/vsftpd-file.conf" &`,
        `${VSFTPD} "$D/vsftpd-syslog.conf" &`,
        `LD_LIBRARY_PATH=${LIBS} ${PROFTPD} -n -q -c "$D/proftpd.conf" &`,
        `${PUREFTPD} -S ,${PORTS.pureftpd} -H -l unix -E -A -u 1000 -f ftp &`,
        'wait',
        '',
      ].join('\n'),
    );
    startSyslogServer(net, {
      command: ['sh', join(dir, 'servers.sh')],
      rsyslogRules: [
        `auth,authpriv.* action(type="omfile" file="${dir}/auth.log" fileCreateMode="0644")`,
        `*.*;auth,authpriv.none action(type="omfile" file="${dir}/syslog" fileCreateMode="0644")`,
      ],
      users: [{ ...FTP_USER, home: join(dir, 'ftproot'), shell: '/bin/sh' }],
    });
    const up = await waitFor(() => {
      const s = readFileSync(join(dir, 'syslog'), 'utf8') + readFileSync(join(dir, 'auth.log'), 'utf8');
      return /proftpd\[[0-9]+\][^\n]*STARTUP/.test(s);
    }, 15_000);
    if (!up)
      throw new Error(
        `the FTP servers did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}\n${readFileSync(join(dir, 'syslog'), 'utf8')}`,
      );
    await new Promise((r) => setTimeout(r, 500)); // vsftpd and pure-ftpd listen without saying so
  } catch (err) {
    await net.stop();
    throw err;
  }

  const u = FTP_USER.name;
  const A = (i: number) => `192.0.2.${50 + i}`;
  const login = (from: string, port: number, attempts: [string, string | null][], ns = net.att) => ftpLogin(net, ns, from, SERVER.v4, port, attempts);
  const login6 = (from: string, port: number, attempts: [string, string | null][]) => ftpLogin(net, net.att, from, SERVER.v6, port, attempts);

  const episodes: Episode[] = [
    // vsftpd, own log (PAM's lines go to auth.log)
    {
      name: 'vsftpd: wrong passwords',
      ns: 'att',
      from: A(0),
      expect: { vsftpd: 4 },
      logs: ['vsftpd.log', 'auth.log'],
      run: async () => {
        await login(A(0), PORTS.vsftpdFile, [
          [u, 'x1'],
          [u, 'x2'],
        ]);
        await login(A(0), PORTS.vsftpdFile, [
          [u, 'x3'],
          [u, 'x4'],
        ]);
      },
    },
    // pam_unix logs unknown users too (without user=)
    {
      name: 'vsftpd: unknown users',
      ns: 'att',
      from: A(1),
      expect: { vsftpd: 3 },
      logs: ['vsftpd.log', 'auth.log'],
      run: async () => {
        for (const n of ['admin', 'oracle', 'test']) await login(A(1), PORTS.vsftpdFile, [[n, 'password']]);
      },
    },
    {
      name: 'vsftpd: a banned anonymous password',
      ns: 'att',
      from: A(2),
      expect: { vsftpd: 1 },
      logs: ['vsftpd.log'],
      run: async () => {
        await login(A(2), PORTS.vsftpdFile, [['anonymous', 'scanner@example.com']]);
      },
    },
    {
      name: 'vsftpd (syslog): wrong passwords over IPv6',
      ns: 'att',
      from: '2001:db8::31',
      expect: { vsftpd: 3 },
      logs: ['syslog', 'auth.log'],
      run: async () => {
        await login6('2001:db8::31', PORTS.vsftpdSyslog, [
          [u, 'y1'],
          [u, 'y2'],
          [u, 'y3'],
        ]);
      },
    },
    // ProFTPD through syslog (auth facility)
    {
      name: 'proftpd: wrong passwords up to MaxLoginAttempts',
      ns: 'att',
      from: A(3),
      expect: { proftpd: 4 },
      logs: ['auth.log'],
      // three `Login failed` and the `Maximum login attempts (3) exceeded` that ends the session
      run: async () => {
        await login(A(3), PORTS.proftpd, [
          [u, 'z1'],
          [u, 'z2'],
          [u, 'z3'],
        ]);
      },
    },
    {
      name: 'proftpd: unknown users, root, a denied user',
      ns: 'att',
      from: A(4),
      expect: { proftpd: 3 },
      logs: ['auth.log'],
      marks: { proftpd: ['no such user found', 'SECURITY VIOLATION', 'Limit access denies login'] },
      run: async () => {
        for (const n of ['ghost', 'root', 'baduser']) await login(A(4), PORTS.proftpd, [[n, 'password']]);
      },
    },
    // Pure-FTPd through syslog (ftp facility)
    {
      name: 'pure-ftpd: wrong passwords and unknown users',
      ns: 'att',
      from: A(5),
      expect: { 'pure-ftpd': 3 },
      logs: ['syslog'],
      run: async () => {
        await login(A(5), PORTS.pureftpd, [[u, 'p1']]);
        await login(A(5), PORTS.pureftpd, [['admin', 'p2']]);
        await login(A(5), PORTS.pureftpd, [[u, 'p3']]);
      },
    },
    {
      name: 'pure-ftpd: a system account below the minimum uid',
      ns: 'att',
      from: A(6),
      expect: { 'pure-ftpd': 1 },
      logs: ['syslog'],
      run: async () => {
        await login(A(6), PORTS.pureftpd, [['daemon', 'x']]);
      },
    },
    // the innocent: one typo then a login, on every server
    {
      name: 'innocent: one typo per server, then logged in',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'vsftpd@vsftpd.log': 1, 'vsftpd@auth.log': 1, 'proftpd@auth.log': 1, 'pure-ftpd@syslog': 1 },
      logs: [],
      run: async () => {
        for (const port of [PORTS.vsftpdFile, PORTS.proftpd, PORTS.pureftpd]) {
          await login(
            net.innocent.v4,
            port,
            [
              [u, 'ftp-pass-8'],
              [u, FTP_USER.password],
            ],
            net.inn,
          );
        }
      },
    },
  ];
  // Each server also logs connections, logouts and successes from the same addresses: only its failure
  // messages (as the daemons' sources write them, see CATALOGUE.md) stand for the scripted attempts.
  for (const e of episodes) e.marks = { ...FAILURE_MARKS, ...e.marks };
  await addAddresses(net, net.att, [...new Set(episodes.filter((e) => e.ns === 'att').map((e) => e.from))]);

  const read = (name: string) =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  const source = (l: string) =>
    l.includes(' rhost=') ? pamSource(l) : l.includes('pure-ftpd') ? pureSource(l) : l.includes('proftpd') ? proftpdSource(l) : vsftpdSource(l);
  return {
    net,
    episodes,
    logs: () => [
      { name: 'vsftpd.log', filters: ['vsftpd'], lines: read('vsftpd.log'), sourceOf: vsftpdSource },
      { name: 'syslog', filters: ['vsftpd', 'proftpd', 'pure-ftpd'], lines: read('syslog'), sourceOf: source },
      { name: 'auth.log', filters: ['vsftpd', 'proftpd', 'pure-ftpd'], lines: read('auth.log'), sourceOf: source },
    ],
    stop: () => net.stop(),
  };
}
