/**
 * The BIND lab: Debian's named (our own config: an authoritative zone without transfers and updates,
 * a zone only 10.0.0.0/8 may query, a secondary zone, recursion for nobody) in the server namespace,
 * logging to stderr (`named -g`, BIND's own channel format); scripted attackers asking for recursion,
 * zone transfers and updates, and innocent clients asking what the server is authoritative for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER, createNetLab, netnsUnavailable } from '../netns-lab.js';
import { addAddresses, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const NAMED = '/usr/sbin/named';

export function bindLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [NAMED, 'dig', 'nsupdate'], hint: 'apt install bind9 bind9-dnsutils' });
}

/** `BIND 9.18.49-1~deb12u3-Debian` */
export function bindVersion(): string {
  const r = spawnSync(NAMED, ['-v'], { encoding: 'utf8' });
  return r.stdout.trim().split(' (')[0] || 'BIND (unknown version)';
}

const ZONE = `$TTL 300
@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
@ IN NS ns.example.test.
ns IN A ${SERVER.v4}
www IN A 192.0.2.80
`;

function config(dir: string): string {
  return `
options {
  directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key"; managed-keys-directory "${dir}";
  listen-on { ${SERVER.v4}; }; listen-on-v6 { ${SERVER.v6}; };
  recursion yes; allow-recursion { none; }; dnssec-validation no;
};
zone "example.test" { type primary; file "${dir}/example.test.db"; allow-transfer { none; }; allow-update { none; }; };
zone "private.test" { type primary; file "${dir}/private.test.db"; allow-query { 10.0.0.0/8; }; allow-update { 10.0.0.0/8; }; };
zone "fwd.test" { type secondary; primaries { 127.0.0.2; }; file "${dir}/fwd.test.db"; };
key "lab-key" { algorithm hmac-sha256; secret "${LAB_KEY}"; };
zone "dyn.test" { type primary; file "${dir}/dyn.test.db"; allow-update { key lab-key; }; };
`;
}

const A = (i: number) => `192.0.2.${90 + i}`;
const LAB_KEY = Buffer.from('f2b lab tsig key, 32 bytes long!').toString('base64');
const WRONG_KEY = Buffer.from('not the lab key, also 32 bytes..').toString('base64');

export async function startBindLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-bind-lab-' });
  const { dir } = net;
  const log = join(dir, 'named.log');
  try {
    writeFileSync(join(dir, 'example.test.db'), ZONE);
    writeFileSync(join(dir, 'private.test.db'), ZONE);
    writeFileSync(join(dir, 'dyn.test.db'), ZONE);
    writeFileSync(join(dir, 'named.conf'), config(dir));
    // -g: foreground, every message to stderr in BIND's own format (date, then the message)
    net.spawnInServer([NAMED, '-g', '-n', '1', '-c', join(dir, 'named.conf')], { log });
    const up = await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('running'), 20_000);
    if (!up) throw new Error(`named did not come up:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
  } catch (err) {
    await net.stop();
    throw err;
  }
  const dig = (ns: string, from: string, args: string[]) =>
    net.runIn(ns, 'dig', ['-b', from, `@${from.includes(':') ? SERVER.v6 : SERVER.v4}`, '+time=3', '+tries=1', ...args], { timeoutMs: 15_000 });
  const update = (ns: string, from: string, zone: string, key?: string) =>
    net.runIn(ns, 'nsupdate', key ? ['-y', key] : [], {
      timeoutMs: 15_000,
      input: `server ${SERVER.v4}\nlocal ${from}\nzone ${zone}\nupdate add lab.${zone} 300 A 192.0.2.99\nsend\n`,
    });
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  // named also writes `query failed (REFUSED)` and querylog lines for the same requests: only these count
  const marks = { 'named-refused': [' denied', '(NOTAUTH)', ' invalid signature: '] };
  const episodes: Episode[] = [
    {
      name: 'open-resolver probes (recursion refused)',
      ns: 'att',
      from: A(0),
      expect: { 'named-refused': 4 },
      marks,
      run: () => times(4, (i) => dig(net.att, A(0), [`probe${i}.example.org`, 'A'])),
    },
    {
      name: 'zone transfers of a zone without transfers',
      ns: 'att',
      from: A(1),
      expect: { 'named-refused': 3 },
      marks,
      run: async () => {
        await times(2, () => dig(net.att, A(1), ['example.test', 'AXFR']));
        await dig(net.att, A(1), ['example.test', 'IXFR=0']);
      },
    },
    {
      name: 'zone transfers of zones the server does not serve',
      ns: 'att',
      from: A(2),
      expect: { 'named-refused': 2 },
      marks,
      run: () => times(2, (i) => dig(net.att, A(2), [`nx${i}.invalid`, 'AXFR'])),
    },
    {
      name: 'dynamic updates (denied, denied due to allow-query, forwarding denied)',
      ns: 'att',
      from: A(3),
      expect: { 'named-refused': 3 },
      marks,
      run: async () => {
        for (const z of ['example.test', 'private.test', 'fwd.test']) await update(net.att, A(3), z);
      },
    },
    {
      name: 'TSIG: updates signed with a wrong secret and an unknown key',
      ns: 'att',
      from: A(4),
      expect: { 'named-refused': 2 },
      marks,
      run: async () => {
        await update(net.att, A(4), 'dyn.test', `hmac-sha256:lab-key:${WRONG_KEY}`);
        await update(net.att, A(4), 'dyn.test', `hmac-sha256:guessed-key:${WRONG_KEY}`);
      },
    },
    {
      name: 'IPv6: queries of a zone it may not query',
      ns: 'att',
      from: net.attackerV6,
      expect: { 'named-refused': 2 },
      marks,
      run: () => times(2, () => dig(net.att, net.attackerV6, ['www.private.test', 'A'])),
    },
    {
      name: 'innocent: authoritative answers, one mistaken recursive query',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'named-refused': 1 },
      marks,
      run: async () => {
        const inn = net.innocent.v4;
        await times(3, () => dig(net.inn, inn, ['www.example.test', 'A', '+norec']));
        await dig(net.inn, inn, ['ns.example.test', 'A']);
        await dig(net.inn, inn, ['www.example.net', 'A']);
      },
    },
    {
      name: 'innocent (IPv6): authoritative answers',
      ns: 'inn',
      from: net.innocent.v6,
      expect: {},
      run: () => times(2, () => dig(net.inn, net.innocent.v6, ['example.test', 'SOA'])),
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
    logs: () => [
      { name: 'named.log', filters: ['named-refused'], lines: read(), sourceOf: (l) => / client (?:@0x[0-9a-f]+ )?([0-9a-fA-F.:]+)#[0-9]+/.exec(l)?.[1] },
    ],
    stop: () => net.stop(),
  };
}
