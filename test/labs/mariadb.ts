/**
 * The MariaDB lab: Debian's mariadbd (a fresh data directory of its own, `skip-name-resolve`,
 * `log_warnings=4`, the error log in a file) in the server namespace; scripted attackers (wrong
 * passwords, unknown users, no password, port scans, IPv6) and an innocent user with one typo who then
 * asks for a database it has no grant for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER, createNetLab, netnsUnavailable } from '../netns-lab.js';
import { addAddresses, rawSend, waitFor, type Episode } from './ground-truth.js';
import type { RunningLab } from './service-lab.js';

const MARIADBD = '/usr/sbin/mariadbd';
const PORT = 3306;

export function mariadbLabUnavailable(): string | null {
  return netnsUnavailable({ programs: [MARIADBD, 'mariadb-install-db', 'mariadb'], hint: 'apt install mariadb-server mariadb-client' });
}

/** `MariaDB 10.11.19` */
export function mariadbVersion(): string {
  const r = spawnSync(MARIADBD, ['--version'], { encoding: 'utf8' });
  return /Ver (\S+?)-/.exec(r.stdout)?.[1]?.replace(/^/, 'MariaDB ') ?? 'MariaDB (unknown version)';
}

const A = (i: number) => `192.0.2.${170 + i}`;

export async function startMariadbLab(): Promise<RunningLab> {
  const net = await createNetLab({ dirPrefix: 'f2b-mariadb-lab-' });
  const { dir } = net;
  const run = join(dir, 'run');
  const log = join(run, 'error.log');
  const sock = join(run, 'mysqld.sock');
  try {
    mkdirSync(join(dir, 'data'));
    mkdirSync(run);
    spawnSync('chown', ['-R', 'mysql:mysql', join(dir, 'data'), run]);
    const init = spawnSync(
      'mariadb-install-db',
      ['--no-defaults', '--user=mysql', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=socket', '--skip-test-db'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
    net.spawnInServer(
      [
        MARIADBD,
        '--no-defaults',
        '--user=mysql',
        `--datadir=${join(dir, 'data')}`,
        `--socket=${sock}`,
        `--pid-file=${join(run, 'mysqld.pid')}`,
        `--port=${PORT}`,
        '--bind-address=*',
        `--log-error=${log}`,
        '--skip-name-resolve',
        '--log-warnings=4',
        '--innodb-buffer-pool-size=16M',
      ],
      { log: join(dir, 'server.out') },
    );
    const up = await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('ready for connections'), 30_000);
    if (!up)
      throw new Error(
        `mariadbd did not come up:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}${existsSync(join(dir, 'server.out')) ? readFileSync(join(dir, 'server.out'), 'utf8') : ''}`,
      );
    const sql = ["CREATE USER 'app'@'%' IDENTIFIED BY 'app-secret-1';", 'CREATE DATABASE appdb;', "GRANT ALL ON appdb.* TO 'app'@'%';"].join(' ');
    const setup = spawnSync('mariadb', [`--socket=${sock}`, '-uroot', '-e', sql], { encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`creating the lab user failed: ${setup.stderr}`);
  } catch (err) {
    await net.stop();
    throw err;
  }
  const client = join(dirname(fileURLToPath(import.meta.url)), 'mysql-client.mjs');
  const login = (ns: string, from: string, user: string, password: string | null, db?: string) =>
    net.runIn(ns, process.execPath, [client, from.includes(':') ? SERVER.v6 : SERVER.v4, String(PORT), from, user, password ?? '-', ...(db ? [db] : [])], {
      timeoutMs: 15_000,
    });
  const times = async (n: number, f: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < n; i++) await f(i);
  };
  const marks = { 'mysqld-auth': ['Access denied for user '] };
  const episodes: Episode[] = [
    {
      name: 'wrong passwords',
      ns: 'att',
      from: A(0),
      expect: { 'mysqld-auth': 4 },
      marks,
      run: () => times(4, (i) => login(net.att, A(0), 'app', `guess-${i}`)),
    },
    {
      name: 'unknown users',
      ns: 'att',
      from: A(1),
      expect: { 'mysqld-auth': 3 },
      marks,
      run: async () => {
        for (const u of ['root', 'admin', 'sa']) await login(net.att, A(1), u, 'password');
      },
    },
    { name: 'no password', ns: 'att', from: A(2), expect: { 'mysqld-auth': 2 }, marks, run: () => times(2, () => login(net.att, A(2), 'app', null)) },
    {
      name: 'port scans and garbage (aggressive only)',
      ns: 'att',
      from: A(3),
      expect: {},
      marks,
      run: async () => {
        await rawSend(net, net.att, A(3), SERVER.v4, PORT, Buffer.alloc(0));
        await rawSend(net, net.att, A(3), SERVER.v4, PORT, Buffer.from('GET / HTTP/1.0\r\n\r\n'));
      },
    },
    {
      name: 'IPv6: wrong passwords',
      ns: 'att',
      from: net.attackerV6,
      expect: { 'mysqld-auth': 2 },
      marks,
      run: () => times(2, (i) => login(net.att, net.attackerV6, 'app', `v6-${i}`)),
    },
    {
      name: 'innocent: one typo, logged in, a database without a grant',
      ns: 'inn',
      from: net.innocent.v4,
      expect: { 'mysqld-auth': 1 },
      marks: { 'mysqld-auth': ['(using password: '] },
      run: async () => {
        await login(net.inn, net.innocent.v4, 'app', 'app-secret-l');
        await login(net.inn, net.innocent.v4, 'app', 'app-secret-1', 'appdb');
        await login(net.inn, net.innocent.v4, 'app', 'app-secret-1', 'mysql');
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
    logs: () => [{ name: 'error.log', filters: ['mysqld-auth'], lines: read(), sourceOf: (l) => /(?:'@'|host: ')([0-9a-fA-F.:]+)'/.exec(l)?.[1] }],
    stop: () => net.stop(),
  };
}
