/**
 * The OpenSSH lab: Debian's sshd in the server namespace (UsePAM yes: Debian's pam_unix stack), logging
 * through a private rsyslogd; a lab user that exists only there; scripted attackers (wrong passwords
 * over IPv4 and IPv6, guessing until MaxAuthTries, invalid users, a user AllowUsers refuses, an HTTP request, an SSH-1 banner, a
 * scanner's `Probe-` banner, a client offering only an old key exchange) and an innocent user with one
 * typo. Read in aggressive mode, so the probes count too.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, SSH_OPTS, USER, PASSWORD, createNetLab, netnsUnavailable, startSyslogServer, type NetLab } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type CapturedLog, type Episode } from './ground-truth.js';
import { debianVersion } from './lab-kit.js';

const SSHD = '/usr/sbin/sshd';

export function sshdLabUnavailable(): string | null {
  return netnsUnavailable({
    programs: [SSHD, 'ssh', 'sshpass', 'ssh-keygen', 'rsyslogd', 'openssl'],
    hint: 'apt install openssh-server openssh-client sshpass rsyslog openssl',
  });
}

export function sshdVersion(): string {
  return `OpenSSH ${debianVersion('openssh-server') ?? '?'} (Debian)`;
}

// The lab's own reading of the client address of a line: the last address in it (not the filter's
// patterns; the lab's user names and banners name no address, and sshd writes no other).
const ADDRESS = /(?:^|[\s[=])((?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9a-f]*:[0-9a-f:]+)(?=[\s\]:]|$)/g;
const sourceOf = (l: string) => [...l.replace(/^\S+ \S+ /, '').matchAll(ADDRESS)].at(-1)?.[1];

export interface SshdLab {
  net: NetLab;
  episodes: Episode[];
  logs(): CapturedLog[];
  stop(): Promise<void>;
}

export async function startSshdLab(): Promise<SshdLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-sshd-lab-' });
  const { dir } = net;
  const authLog = join(dir, 'auth.log');
  try {
    const key = join(dir, 'ssh_host_ed25519_key');
    const r = await net.runIn(net.srv, 'ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    if (r.code !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        'Port 22',
        'ListenAddress 0.0.0.0',
        'ListenAddress ::',
        `HostKey ${key}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PasswordAuthentication yes',
        'KbdInteractiveAuthentication no',
        'UsePAM yes',
        `AllowUsers ${USER}`,
        'AuthorizedKeysFile none',
        'UseDNS no',
        'SyslogFacility AUTH',
        'LogLevel INFO',
        'MaxStartups 100:30:200',
        'MaxAuthTries 3',
        '',
      ].join('\n'),
    );
    writeFileSync(authLog, '');
    // ssh asks this for every password prompt (sshpass answers only the first).
    writeFileSync(join(dir, 'askpass'), '#!/bin/sh\necho wrong-again\n');
    chmodSync(join(dir, 'askpass'), 0o755);
    startSyslogServer(net, {
      command: ['sh', '-c', `mkdir -m 755 /run/sshd && exec ${SSHD} -D -f ${join(dir, 'sshd_config')}`],
      rsyslogRules: [`auth,authpriv.* action(type="omfile" file="${authLog}" fileCreateMode="0644")`],
      users: [{ name: USER, password: PASSWORD, uid: 64997 }],
    });
    const up = await waitFor(() => /sshd\[[0-9]+\]: Server listening on :: port 22/.test(readFileSync(authLog, 'utf8')), 20_000);
    if (!up) throw new Error(`sshd did not come up:\n${readFileSync(join(dir, 'server.out'), 'utf8')}`);
  } catch (err) {
    await net.stop();
    throw err;
  }

  const ssh = (ns: string, from: string, user: string, password: string, extra: string[] = [], server = SERVER.v4) =>
    net.runIn(ns, 'sshpass', ['-p', password, 'ssh', ...SSH_OPTS, ...extra, '-b', from, `${user}@${server}`, 'echo ok'], { timeoutMs: 15_000 });
  // One connection that keeps guessing until sshd's MaxAuthTries (3) ends it.
  const guessOn = (from: string) =>
    net.runIn(
      net.att,
      'env',
      [
        `SSH_ASKPASS=${join(dir, 'askpass')}`,
        'SSH_ASKPASS_REQUIRE=force',
        'DISPLAY=none',
        'ssh',
        ...SSH_OPTS.filter((o, i, a) => o !== 'NumberOfPasswordPrompts=1' && !(o === '-o' && a[i + 1] === 'NumberOfPasswordPrompts=1')),
        '-o',
        'NumberOfPasswordPrompts=10',
        '-b',
        from,
        `${USER}@${SERVER.v4}`,
        'true',
      ],
      { timeoutMs: 20_000 },
    );
  const raw = (from: string, text: string) => rawSend(net, net.att, from, SERVER.v4, 22, Buffer.from(text));
  const A = (i: number) => `192.0.2.${60 + i}`;
  const V6 = '2001:db8::61';
  // What sshd writes for the connections an episode makes (OpenSSH's messages, CATALOGUE.md), where the
  // same connections also write lines no filter mode counts.
  const CLOSE = ['Connection closed by authenticating user', 'Connection closed by invalid user'];
  const episodes: Episode[] = [
    {
      name: 'wrong passwords, three connections',
      ns: 'att',
      from: A(0),
      expect: { sshd: 3 },
      marks: { sshd: ['Failed password', ...CLOSE] },
      run: async () => {
        for (const p of ['a1', 'a2', 'a3']) await ssh(net.att, A(0), USER, p);
      },
    },
    {
      name: 'wrong passwords over IPv6',
      ns: 'att',
      from: V6,
      expect: { sshd: 2 },
      marks: { sshd: ['Failed password', ...CLOSE] },
      run: async () => {
        for (const p of ['b1', 'b2']) await ssh(net.att, V6, USER, p, [], SERVER.v6);
      },
    },
    {
      name: 'invalid users',
      ns: 'att',
      from: A(1),
      expect: { sshd: 2 },
      marks: { sshd: ['Invalid user', 'Failed password', ...CLOSE] },
      run: async () => {
        for (const u of ['admin', 'oracle']) await ssh(net.att, A(1), u, 'password');
      },
    },
    {
      name: 'a user AllowUsers refuses',
      ns: 'att',
      from: A(2),
      expect: { sshd: 2 },
      marks: { sshd: ['not allowed because', 'Failed password', ...CLOSE] },
      run: async () => {
        for (const p of ['root', 'toor']) await ssh(net.att, A(2), 'root', p);
      },
    },
    {
      name: 'password guessing until MaxAuthTries',
      ns: 'att',
      from: A(7),
      expect: { sshd: 3 },
      marks: { sshd: ['Failed password', 'maximum authentication attempts exceeded', 'more authentication failures'] },
      run: async () => {
        await guessOn(A(7));
      },
    },
    {
      name: 'an HTTP request on the SSH port',
      ns: 'att',
      from: A(3),
      expect: { sshd: 1 },
      marks: { sshd: ['banner exchange'] },
      run: async () => {
        await raw(A(3), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      },
    },
    {
      name: 'an SSH-1 client',
      ns: 'att',
      from: A(4),
      expect: { sshd: 1 },
      marks: { sshd: ['banner exchange'] },
      run: async () => {
        await raw(A(4), 'SSH-1.5-x\r\n');
      },
    },
    {
      name: "a scanner's Probe- banner",
      ns: 'att',
      from: A(5),
      expect: { sshd: 1 },
      marks: { sshd: ['probed from'] },
      run: async () => {
        await raw(A(5), 'SSH-2.0-Probe-f2b\r\n');
      },
    },
    {
      name: 'a client offering only diffie-hellman-group1-sha1',
      ns: 'att',
      from: A(6),
      expect: { sshd: 1 },
      marks: { sshd: ['Unable to negotiate'] },
      run: async () => {
        await ssh(net.att, A(6), USER, 'x', ['-o', 'KexAlgorithms=diffie-hellman-group1-sha1']);
      },
    },
    {
      name: 'innocent: one typo, then logged in',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { sshd: 1 },
      marks: { sshd: ['Failed password', 'Connection closed by authenticating user'] },
      run: async () => {
        await ssh(net.inn, net.innocent.v4, USER, 'correct-horse-41');
        const ok = await ssh(net.inn, net.innocent.v4, USER, PASSWORD);
        if (!ok.stdout.includes('ok')) throw new Error(`the innocent could not log in: ${ok.stderr}`);
      },
    },
  ];
  await addAddresses(net, net.att, [...new Set(episodes.filter((e) => e.ns === 'att').map((e) => e.from))]);
  const read = () =>
    readFileSync(authLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !/ sshd\[[0-9]+\]: Server listening /.test(l));
  return {
    net,
    episodes,
    logs: () => [{ name: 'auth.log', filters: ['sshd'], lines: read(), sourceOf }],
    stop: () => net.stop(),
  };
}
