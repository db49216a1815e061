/**
 * The PAM lab: OpenSSH's sshd from Debian (UsePAM, password authentication through the host's
 * /etc/pam.d/sshd, i.e. Linux-PAM's pam_unix) in a server namespace with a private rsyslogd and a lab
 * user that exists only there; scripted ssh clients (several wrong passwords in one connection,
 * unknown users, IPv6) and an innocent user with one typo. It captures what pam_unix itself writes
 * (`authentication failure; … rhost=…`, the `PAM N more authentication failures` summary at pam_end)
 * for the `pam-generic` filter of @f2b/filter-misc.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable, startSyslogServer, type NetLab } from '../netns-lab.js';
import { addAddresses, waitFor, type CapturedLog, type Episode } from './ground-truth.js';

const SSHD = '/usr/sbin/sshd';
export const PAM_USER = { name: 'f2bpam', password: 'pam-pass-3', uid: 64997 };

export function pamLabUnavailable(): string | null {
  return netnsUnavailable({
    programs: [SSHD, 'ssh', 'ssh-keygen', 'rsyslogd', 'openssl'],
    hint: 'apt install openssh-server openssh-client rsyslog openssl',
  });
}

export function pamVersions(): string {
  const v = (pkg: string) => spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).stdout || '?';
  return `Linux-PAM ${v('libpam-modules')} (pam_unix, Debian) through OpenSSH sshd ${v('openssh-server')}`;
}

function sshdConf(dir: string): string {
  return [
    'Port 22',
    'ListenAddress 0.0.0.0',
    'ListenAddress ::',
    `HostKey ${dir}/host_ed25519`,
    `PidFile ${dir}/sshd.pid`,
    'UsePAM yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication no',
    'PermitRootLogin no',
    'MaxAuthTries 6',
    'UseDNS no',
    'SyslogFacility AUTH',
    'LogLevel INFO',
    'PrintMotd no',
    '',
  ].join('\n');
}

export interface PamLab {
  net: NetLab;
  episodes: Episode[];
  logs(): CapturedLog[];
  stop(): Promise<void>;
}

// The lab's own reading of the client address of pam_unix's lines (not the filter's pattern).
const pamSource = (l: string) => / rhost=(\S+)/.exec(l)?.[1];

export async function startPamLab(): Promise<PamLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-pam-lab-' });
  const { dir } = net;
  try {
    const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')], { encoding: 'utf8' });
    if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
    writeFileSync(join(dir, 'sshd_config'), sshdConf(dir));
    // The client's password prompts are answered by SSH_ASKPASS: one password per line of $PASSWORDS_FILE, in turn.
    writeFileSync(
      join(dir, 'askpass.sh'),
      '#!/bin/sh\nn=$(cat "$ASKPASS_COUNTER" 2>/dev/null || echo 0)\nn=$((n+1)); echo $n > "$ASKPASS_COUNTER"\nsed -n "${n}p" "$PASSWORDS_FILE"\n',
    );
    chmodSync(join(dir, 'askpass.sh'), 0o755);
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(join(dir, 'servers.sh'), ['#!/bin/sh', 'mkdir -p /run/sshd && chmod 755 /run/sshd', `exec ${SSHD} -D -f ${dir}/sshd_config`, ''].join('\n'));
    startSyslogServer(net, {
      command: ['sh', join(dir, 'servers.sh')],
      rsyslogRules: [`auth,authpriv.* action(type="omfile" file="${dir}/auth.log" fileCreateMode="0644")`],
      users: [{ ...PAM_USER, home: '/nonexistent', shell: '/bin/sh' }],
    });
    const up = await waitFor(() => /sshd\[[0-9]+\]: Server listening on 0\.0\.0\.0/.test(readFileSync(join(dir, 'auth.log'), 'utf8')), 15_000);
    if (!up)
      throw new Error(
        `sshd did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}\n${readFileSync(join(dir, 'auth.log'), 'utf8')}`,
      );
  } catch (err) {
    await net.stop();
    throw err;
  }

  let session = 0;
  /** One ssh connection from `from` in `ns` as `user`, answering its password prompts with `passwords` in turn. */
  const ssh = async (ns: string, from: string, user: string, passwords: string[]) => {
    const id = ++session;
    const file = join(dir, `passwords-${id}`);
    writeFileSync(file, `${passwords.join('\n')}\n`);
    const host = from.includes(':') ? SERVER.v6 : SERVER.v4;
    await net.runIn(
      ns,
      'env',
      [
        `SSH_ASKPASS=${join(dir, 'askpass.sh')}`,
        'SSH_ASKPASS_REQUIRE=force',
        `PASSWORDS_FILE=${file}`,
        `ASKPASS_COUNTER=${file}.n`,
        'DISPLAY=:0',
        'ssh',
        '-F',
        '/dev/null',
        '-n',
        '-T',
        '-b',
        from,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'PreferredAuthentications=password',
        '-o',
        `NumberOfPasswordPrompts=${passwords.length}`,
        '-o',
        'ConnectTimeout=10',
        '-o',
        'LogLevel=ERROR',
        `${user}@${host}`,
        'true',
      ],
      { timeoutMs: 30_000 },
    );
  };

  const u = PAM_USER.name;
  const A = (i: number) => `192.0.2.${60 + i}`;
  const episodes: Episode[] = [
    // pam_unix logs the first failure of the PAM session, and `PAM 2 more authentication failures` at its end
    {
      name: 'three wrong passwords in one connection',
      ns: 'att',
      from: A(0),
      expect: { 'pam-generic': 3 },
      run: async () => {
        await ssh(net.att, A(0), u, ['x1', 'x2', 'x3']);
      },
    },
    {
      name: 'two connections, two wrong passwords each',
      ns: 'att',
      from: A(1),
      expect: { 'pam-generic': 4 },
      run: async () => {
        await ssh(net.att, A(1), u, ['y1', 'y2']);
        await ssh(net.att, A(1), u, ['y3', 'y4']);
      },
    },
    // pam_unix also writes the failure of a user it does not know (without user=)
    {
      name: 'unknown users',
      ns: 'att',
      from: A(2),
      expect: { 'pam-generic': 2 },
      run: async () => {
        await ssh(net.att, A(2), 'oracle', ['password']);
        await ssh(net.att, A(2), 'admin', ['admin']);
      },
    },
    {
      name: 'wrong passwords over IPv6',
      ns: 'att',
      from: '2001:db8::61',
      expect: { 'pam-generic': 2 },
      run: async () => {
        await ssh(net.att, '2001:db8::61', u, ['z1', 'z2']);
      },
    },
    // the innocent: one typo, then the right password in the same connection, then a clean login
    {
      name: 'innocent: one typo, then logged in',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'pam-generic': 1 },
      run: async () => {
        await ssh(net.inn, net.innocent.v4, u, ['pam-pass-4', PAM_USER.password]);
        await ssh(net.inn, net.innocent.v4, u, [PAM_USER.password]);
      },
    },
  ];
  await addAddresses(net, net.att, [...new Set(episodes.filter((e) => e.ns === 'att').map((e) => e.from))]);

  const read = (name: string) =>
    readFileSync(join(dir, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  return {
    net,
    episodes,
    logs: () => [{ name: 'auth.log', filters: ['pam-generic'], lines: read('auth.log'), sourceOf: pamSource }],
    stop: () => net.stop(),
  };
}
