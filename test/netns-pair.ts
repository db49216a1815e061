/**
 * Two throw-away network namespaces on a veth pair for end-to-end tests of kernel actions: a
 * "server" the action protects and a "client" that sends real packets to it (documentation
 * addresses only; unique names per call; removed by `remove()`). The root namespace is not touched:
 * every command runs through `ip netns exec` / `ip -n`. The package tests of the ipset and route
 * actions use it too.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { netnsUnavailable } from './netns-lab.js';

export const PAIR_SERVER = { v4: '198.51.100.1', v6: '2001:db8:51::1' };
export const PAIR_CLIENT = { v4: '198.51.100.2', v6: '2001:db8:51::2' };

export { netnsUnavailable };

export interface Pair {
  srv: string;
  cli: string;
  remove(): void;
}

function must(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

export function createPair(): Pair {
  const tag = `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}`;
  const srv = `${tag}-srv`,
    cli = `${tag}-cli`;
  const remove = () => {
    for (const ns of [srv, cli]) spawnSync('ip', ['netns', 'del', ns]);
  };
  try {
    must(['netns', 'add', srv]);
    must(['netns', 'add', cli]);
    must(['-n', srv, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', cli]);
    for (const [ns, a] of [
      [srv, PAIR_SERVER],
      [cli, PAIR_CLIENT],
    ] as const) {
      must(['-n', ns, 'link', 'set', 'lo', 'up']);
      must(['-n', ns, 'addr', 'add', `${a.v4}/24`, 'dev', 'veth0']);
      must(['-n', ns, 'addr', 'add', `${a.v6}/64`, 'dev', 'veth0', 'nodad']);
      must(['-n', ns, 'link', 'set', 'veth0', 'up']);
    }
  } catch (err) {
    remove();
    throw err;
  }
  return { srv, cli, remove };
}

/** A command inside a namespace; throws on failure. */
export function inNs(ns: string, cmd: string, args: string[], input?: string): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns} failed: ${r.stderr}${r.error ? String(r.error) : ''}`);
  return r.stdout;
}

/** Like inNs, without blocking the event loop (for polling while the action under test works). */
export function inNsAsync(ns: string, cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args]);
    let out = '',
      err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} in ${ns} failed: ${err}`))));
  });
}

/** A command inside a namespace, whether or not it succeeds. */
export function tryInNs(ns: string, cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** A command's output inside a namespace ('' when it fails). */
export function outputIn(ns: string, cmd: string, args: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout : '';
}

const PROBE = `
const [host, port, timeout] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
const done = (r) => { process.stdout.write(r); process.exit(0); };
s.setTimeout(Number(timeout), () => done('timeout'));
s.on('connect', () => done('connected'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code));
`;

/** A TCP connection from the client to a closed port of `host`: `refused` (packets get through) or `timeout` (blocked). */
export function probe(cli: string, host: string, port = 9, timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', cli, process.execPath, '-e', PROBE, host, String(port), String(timeoutMs)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('close', () => resolve(out));
  });
}
