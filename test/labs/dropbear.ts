/**
 * The Dropbear lab: Debian's dropbear (`-F`, `-T 3`, its own host key) in the server namespace,
 * logging through syslog(3) to the lab's private rsyslogd; a lab user that exists only in the server's
 * mount namespace; scripted attackers (wrong passwords, several in one connection up to MaxAuthTries,
 * unknown users, banner grabbing, IPv6) and an innocent user with one typo.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable, startSyslogServer } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const DROPBEAR = '/usr/sbin/dropbear';
const USER = { name: 'f2blab', password: 'lab-secret-7', uid: 64998, shell: '/bin/sh' };

export function dropbearLabUnavailable(): string | null {
  return netnsUnavailable({
    programs: [DROPBEAR, 'dropbearkey', 'ssh', 'sshpass', 'rsyslogd', 'openssl'],
    hint: 'apt install dropbear-bin openssh-client sshpass rsyslog openssl',
  });
}

/** `Dropbear v2022.83` */
export function dropbearVersion(): string {
  const r = spawnSync(DROPBEAR, ['-V'], { encoding: 'utf8' });
  return /Dropbear v\S+/.exec(r.stderr + r.stdout)?.[0] ?? 'Dropbear (unknown version)';
}

const SSH = [
  '-F',
  '/dev/null',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'PreferredAuthentications=password',
  '-o',
  'PubkeyAuthentication=no',
  '-o',
  'ConnectTimeout=5',
  '-o',
  'LogLevel=ERROR',
];
const A = (i: number) => `192.0.2.${110 + i}`;

export async function startDropbearLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-dropbear-lab-' });
  const { dir } = net;
  const log = join(dir, 'auth.log');
  try {
    spawnSync('dropbearkey', ['-t', 'ed25519', '-f', join(dir, 'host_key')]);
    // several wrong passwords in one connection: ssh asks this program once per prompt
    writeFileSync(join(dir, 'askpass.sh'), '#!/bin/sh\necho wrong-guess\n');
    chmodSync(join(dir, 'askpass.sh'), 0o755);
    writeFileSync(log, '');
    startSyslogServer(net, {
      command: [DROPBEAR, '-F', '-T', '3', '-p', '22', '-r', join(dir, 'host_key'), '-P', join(dir, 'dropbear.pid')],
      rsyslogRules: [`*.* action(type="omfile" file="${log}" fileCreateMode="0644")`],
      users: [USER],
    });
    const up = await waitFor(() => existsSync(join(dir, 'dropbear.pid')), 15_000);
    if (!up) throw new Error(`dropbear did not come up:\n${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  } catch (err) {
    await net.stop();
    throw err;
  }
  const server = (from: string) => (from.includes(':') ? SERVER.v6 : SERVER.v4);
  const login = (ns: string, from: string, user: string, password: string) =>
    net.runIn(ns, 'sshpass', ['-p', password, 'ssh', ...SSH, '-o', 'NumberOfPasswordPrompts=1', '-b', from, `${user}@${server(from)}`, 'true'], {
      timeoutMs: 20_000,
    });
  const guesses = (ns: string, from: string, user: string, n: number) =>
    net.runIn(
      ns,
      'env',
      [
        `SSH_ASKPASS=${join(dir, 'askpass.sh')}`,
        'SSH_ASKPASS_REQUIRE=force',
        'ssh',
        ...SSH,
        '-o',
        `NumberOfPasswordPrompts=${n}`,
        '-b',
        from,
        `${user}@${server(from)}`,
        'true',
      ],
      { timeoutMs: 20_000 },
    );
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  // exit summaries whose fails were all seen, and the connection lines, do not count
  const marks = { dropbear: ['Bad password attempt', 'nonexistent user', 'Max auth tries'] };
  const u = USER.name;
  const episodes: Episode[] = [
    {
      name: 'wrong passwords, one per connection',
      ns: 'att',
      from: A(0),
      expect: { dropbear: 3 },
      marks,
      run: () => times(3, (i) => login(net.att, A(0), u, `guess-${i}`)),
    },
    {
      name: 'wrong passwords in one connection up to MaxAuthTries (-T 3)',
      ns: 'att',
      from: A(1),
      expect: { dropbear: 3 },
      marks,
      run: () => guesses(net.att, A(1), u, 3),
    },
    {
      name: 'unknown users',
      ns: 'att',
      from: A(2),
      expect: { dropbear: 2 },
      marks,
      run: async () => {
        for (const x of ['oracle', 'admin']) await login(net.att, A(2), x, 'x');
      },
    },
    {
      name: 'banner grabbing (not counted)',
      ns: 'att',
      from: A(3),
      expect: {},
      marks,
      run: () => times(2, () => rawSend(net, net.att, A(3), SERVER.v4, 22, Buffer.from('SSH-2.0-scanner\r\n'))),
    },
    {
      name: 'IPv6: wrong passwords',
      ns: 'att',
      from: net.attackerV6,
      expect: { dropbear: 2 },
      marks,
      run: () => times(2, (i) => login(net.att, net.attackerV6, u, `v6-guess-${i}`)),
    },
    {
      name: 'innocent: one typo, then logged in',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { dropbear: 1 },
      marks,
      run: async () => {
        await login(net.inn, net.innocent.v4, u, 'lab-secret-l');
        await login(net.inn, net.innocent.v4, u, USER.password);
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
    logs: () => {
      const lines = read();
      // the lab's own reading: a connection's address is in its `Child connection from` line, by pid
      const byPid = new Map<string, string>();
      for (const l of lines) {
        const m = /dropbear\[([0-9]+)\]: Child connection from (.+):[0-9]+$/.exec(l);
        if (m) byPid.set(m[1]!, m[2]!);
      }
      const sourceOf = (l: string) => {
        const pid = /dropbear\[([0-9]+)\]:/.exec(l)?.[1];
        return pid === undefined ? undefined : byPid.get(pid);
      };
      return [{ name: 'auth.log', filters: ['dropbear'], lines, sourceOf }];
    },
    stop: () => net.stop(),
  };
}
