/**
 * The OpenVPN lab: Debian's openvpn as a UDP server (our own CA, `--tls-auth`, an
 * `--auth-user-pass-verify` script) in the server namespace, logging to its `--log` file; scripted
 * attackers without the tls-auth key, with a wrong one, with a certificate of another CA, with wrong
 * passwords; an innocent user who connects and once mistypes the password. Each client process binds
 * its own local port, so its handshake lines are one attempt.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, must, netnsUnavailable } from '../netns-lab.js';
import { addAddresses, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const OPENVPN = '/usr/sbin/openvpn';
const PORT = 1194;

export function openvpnLabUnavailable(): string | null {
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (the server needs a tun device in its namespace)';
  return netnsUnavailable({ programs: [OPENVPN, 'openssl', 'timeout'], hint: 'apt install openvpn openssl' });
}

/** `OpenVPN 2.6.14` */
export function openvpnVersion(): string {
  const r = spawnSync(OPENVPN, ['--version'], { encoding: 'utf8' });
  return /OpenVPN \S+/.exec(r.stdout)?.[0] ?? 'OpenVPN (unknown version)';
}

/** A CA (`<name>.crt/.key`) and certificates it signs (`<cert>.crt/.key`), ed25519, valid for a day. */
function pki(dir: string, ca: string, certs: [string, string][]): void {
  const p = (f: string) => join(dir, f);
  must('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', p(`${ca}.key`), '-out', p(`${ca}.crt`), '-subj', `/CN=${ca}`, '-days', '1']);
  for (const [name, usage] of certs) {
    must('openssl', ['req', '-newkey', 'ed25519', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`]);
    writeFileSync(p(`${name}.ext`), `extendedKeyUsage=${usage}\nkeyUsage=digitalSignature\n`);
    must('openssl', [
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${ca}.crt`),
      '-CAkey',
      p(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      p(`${name}.crt`),
      '-days',
      '1',
      '-extfile',
      p(`${name}.ext`),
    ]);
  }
}

const A = (i: number) => `192.0.2.${190 + i}`;

export async function startOpenvpnLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-openvpn-lab-' });
  const { dir } = net;
  const log = join(dir, 'openvpn.log');
  const p = (f: string) => join(dir, f);
  try {
    pki(dir, 'lab-ca', [
      ['server', 'serverAuth'],
      ['client', 'clientAuth'],
    ]);
    pki(dir, 'other-ca', [['rogue', 'clientAuth']]);
    must(OPENVPN, ['--genkey', 'secret', p('ta.key')]);
    must(OPENVPN, ['--genkey', 'secret', p('wrong-ta.key')]);
    writeFileSync(
      p('verify.sh'),
      '#!/bin/sh\n# $1: a file with the user name and the password\n[ "$(sed -n 1p "$1")" = alice ] && [ "$(sed -n 2p "$1")" = alice-secret-1 ]\n',
    );
    chmodSync(p('verify.sh'), 0o755);
    for (const [name, pass] of [
      ['right', 'alice-secret-1'],
      ['typo', 'alice-secret-l'],
      ['wrong', 'guess'],
    ])
      writeFileSync(p(`up-${name}`), `alice\n${pass}\n`);
    writeFileSync(
      p('server.conf'),
      [
        `local ${SERVER.v4}`,
        `port ${PORT}`,
        'proto udp',
        'dev tun',
        'topology subnet',
        'server 10.8.0.0 255.255.255.0',
        `ca ${p('lab-ca.crt')}`,
        `cert ${p('server.crt')}`,
        `key ${p('server.key')}`,
        'dh none',
        `tls-auth ${p('ta.key')} 0`,
        `auth-user-pass-verify ${p('verify.sh')} via-file`,
        'script-security 2',
        `tmp-dir ${dir}`,
        'hand-window 5',
        'verb 3',
        `log ${log}`,
        `writepid ${p('openvpn.pid')}`,
        '',
      ].join('\n'),
    );
    net.spawnInServer([OPENVPN, '--config', p('server.conf')], { log: p('server.out') });
    const up = await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('Initialization Sequence Completed'), 20_000);
    if (!up)
      throw new Error(
        `openvpn did not come up:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}${existsSync(p('server.out')) ? readFileSync(p('server.out'), 'utf8') : ''}`,
      );
  } catch (err) {
    await net.stop();
    throw err;
  }
  let nextPort = 40000;
  /** One client process from `from` (its own local port), stopped after `seconds`. */
  const client = (ns: string, from: string, args: string[], seconds = 5) =>
    net.runIn(
      ns,
      'timeout',
      [
        String(seconds),
        OPENVPN,
        '--client',
        '--dev',
        'null',
        '--proto',
        'udp',
        '--remote',
        SERVER.v4,
        String(PORT),
        '--local',
        from,
        '--lport',
        String(nextPort++),
        '--ca',
        p('lab-ca.crt'),
        '--verb',
        '1',
        '--connect-retry-max',
        '1',
        '--resolv-retry',
        '0',
        '--hand-window',
        '4',
        ...args,
      ],
      { timeoutMs: (seconds + 10) * 1000 },
    );
  const good = ['--cert', p('client.crt'), '--key', p('client.key'), '--tls-auth', p('ta.key'), '1'];
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  const marks = {
    openvpn: [
      'TLS handshake failed',
      'TLS key negotiation failed',
      'VERIFY ERROR',
      'TLS Auth Error',
      'cannot locate HMAC',
      'incoming packet authentication failed',
    ],
  };
  const episodes: Episode[] = [
    {
      name: 'no tls-auth key',
      ns: 'att',
      from: A(0),
      expect: { openvpn: 2 },
      marks,
      run: () => times(2, () => client(net.att, A(0), ['--cert', p('client.crt'), '--key', p('client.key'), '--auth-user-pass', p('up-right')], 3)),
    },
    {
      name: 'a wrong tls-auth key',
      ns: 'att',
      from: A(1),
      expect: { openvpn: 2 },
      marks,
      run: () =>
        times(2, () =>
          client(
            net.att,
            A(1),
            ['--cert', p('client.crt'), '--key', p('client.key'), '--tls-auth', p('wrong-ta.key'), '1', '--auth-user-pass', p('up-right')],
            3,
          ),
        ),
    },
    {
      name: 'a certificate of another CA',
      ns: 'att',
      from: A(2),
      expect: { openvpn: 2 },
      marks,
      run: () =>
        times(2, () =>
          client(net.att, A(2), ['--cert', p('rogue.crt'), '--key', p('rogue.key'), '--tls-auth', p('ta.key'), '1', '--auth-user-pass', p('up-right')], 3),
        ),
    },
    {
      name: 'wrong passwords',
      ns: 'att',
      from: A(3),
      expect: { openvpn: 3 },
      marks,
      run: () => times(3, () => client(net.att, A(3), [...good, '--auth-user-pass', p('up-wrong')], 3)),
    },
    {
      name: 'innocent: connected, later one typo',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { openvpn: 1 },
      marks,
      run: async () => {
        await client(net.inn, net.innocent.v4, [...good, '--auth-user-pass', p('up-right')], 3);
        await client(net.inn, net.innocent.v4, [...good, '--auth-user-pass', p('up-typo')], 3);
      },
    },
  ];
  await addAddresses(
    net,
    net.att,
    episodes.filter((e) => e.ns === 'att').map((e) => e.from),
  );
  const read = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  // the lab's own reading: `date time [CN/]ip:port …` or `… from [AF_INET]ip:port`
  const sourceOf = (l: string) => /^\S+ \S+ (?:[^ /]+\/)?([0-9.]+):[0-9]+ /.exec(l)?.[1] ?? /from \[AF_INET\]([0-9.]+):[0-9]+/.exec(l)?.[1];
  return {
    episodes,
    logs: () => [{ name: 'openvpn.log', filters: ['openvpn'], lines: read(), sourceOf }],
    stop: () => net.stop(),
  };
}
