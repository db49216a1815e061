/**
 * Test helpers: two throw-away network namespaces joined by a veth pair (a "server" the action
 * protects, a "client" that sends real packets to it), documentation addresses only. Nothing here
 * runs ip in the root namespace: every call goes through `ip netns exec` or `ip -n`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const SERVER = { v4: '198.51.100.1', v6: '2001:db8:51::1' };
export const CLIENT = { v4: '198.51.100.2', v6: '2001:db8:51::2' };

function sh(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

export function uniqueName(tag: string): string {
  return `f2b-t-${process.pid}-${randomBytes(3).toString('hex')}-${tag}`.slice(0, 40);
}

/** Why these tests cannot run here (printed when skipping), or null. */
export function netnsUnavailable(programs: string[]): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  for (const p of ['ip', ...programs]) if (sh('sh', ['-c', 'command -v "$1"', 'sh', p]).status !== 0) return `${p} is not installed`;
  const ns = uniqueName('probe');
  if (sh('ip', ['netns', 'add', ns]).status !== 0) return 'cannot create a network namespace';
  sh('ip', ['netns', 'del', ns]);
  return null;
}

export interface Pair { srv: string; cli: string; remove(): void }

/** Server and client namespaces on a veth pair, with SERVER and CLIENT addresses (v4 and v6). */
export function createPair(): Pair {
  const srv = uniqueName('srv'), cli = uniqueName('cli');
  const must = (args: string[]) => {
    const r = sh('ip', args);
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  const remove = () => { for (const ns of [srv, cli]) sh('ip', ['netns', 'del', ns]); };
  try {
    must(['netns', 'add', srv]);
    must(['netns', 'add', cli]);
    must(['-n', srv, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', cli]);
    for (const [ns, a] of [[srv, SERVER], [cli, CLIENT]] as const) {
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
  const r = sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${ns} failed: ${r.stderr}`);
  return r.stdout;
}

/** Like inNs, without blocking the event loop (for polling while the action under test works). */
export function inNsAsync(ns: string, cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args]);
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} in ${ns} failed: ${err}`))));
  });
}

export function tryInNs(ns: string, cmd: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

const PROBE = `
const [host, port, timeout] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
const done = (r) => { process.stdout.write(r); process.exit(0); };
s.setTimeout(Number(timeout), () => done('timeout'));
s.on('connect', () => done('connected'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code));
`;

/**
 * A TCP connection from the client to a closed port of the server: `refused` (the server's kernel
 * answered with a reset: packets get through), or `timeout` (dropped on the way in).
 */
export function probe(cli: string, host: string, port = 9, timeoutMs = 400): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', cli, process.execPath, '-e', PROBE, host, String(port), String(timeoutMs)]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', () => resolve(out));
  });
}
