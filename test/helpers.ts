/**
 * Helpers for end-to-end tests that run the real `f2b` binary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const F2B = join(ROOT, 'packages/cli/bin/f2b.js');
export const SHARED = resolve(ROOT, '..', 'shared');

export function tempDir(prefix = 'f2b-e2e-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run f2b to completion. */
export function f2b(args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const r = spawnSync(process.execPath, [F2B, ...args], {
    input: opts.input,
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs,
    env: { ...process.env, ...opts.env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface RunningF2b {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start a long-running f2b (e.g. `start --foreground`). */
export function startF2b(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): RunningF2b {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), F2B, ...args], {
    cwd: opts.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, stream = 'stdout', timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = (stream === 'stdout' ? out : err).match(pattern);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`f2b exited (${child.exitCode}) before ${pattern}:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on ${stream}.\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** An sshd log line stamped now (RFC 3339, as rsyslog on Debian 12 writes), or at `time`. */
export function sshdLine(message: string, opts: { pid?: number; time?: Date; program?: string } = {}): string {
  const time = (opts.time ?? new Date()).toISOString().replace('Z', '+00:00');
  return `${time} testhost ${opts.program ?? 'sshd'}[${opts.pid ?? 4242}]: ${message}\n`;
}

/**
 * An `f2b` entry point that the user `uid` can run, for tests that run the client as another user.
 * The clone may live where that user cannot enter (e.g. /root, mode 0700): then the built packages
 * and node_modules are hard-linked (`cp -al`, no data copied) into a temp directory it can read.
 * Returns the path, or the reason it cannot be done (to skip with).
 */
export function f2bRunnableBy(uid: number): { bin: string; cleanup(): void } | { skip: string } {
  const probe = (bin: string) => spawnSync(process.execPath, [bin, '--version'], { cwd: '/', uid, gid: uid, encoding: 'utf8', timeout: 30_000 });
  if (probe(F2B).status === 0) return { bin: F2B, cleanup: () => {} };
  if (spawnSync(process.execPath, ['-e', ''], { cwd: '/', uid, gid: uid }).status !== 0) {
    return { skip: `uid ${uid} cannot run ${process.execPath} itself` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'f2b-uid-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  chmodSync(dir, 0o755);
  const link = (from: string, to: string) => spawnSync('cp', ['-al', from, to], { encoding: 'utf8' });
  const failed = link(join(ROOT, 'node_modules'), join(dir, 'node_modules')).status !== 0;
  for (const p of failed ? [] : readdirSync(join(ROOT, 'packages'))) {
    mkdirSync(join(dir, 'packages', p), { recursive: true, mode: 0o755 });
    for (const part of ['package.json', 'dist', 'bin']) {
      if (existsSync(join(ROOT, 'packages', p, part))) link(join(ROOT, 'packages', p, part), join(dir, 'packages', p, part));
    }
  }
  const bin = join(dir, 'packages/cli/bin/f2b.js');
  const r = failed ? null : probe(bin);
  if (r?.status === 0) return { bin, cleanup };
  cleanup();
  return {
    skip: `uid ${uid} cannot read the clone at ${ROOT}, and a hard-linked copy in ${tmpdir()} did not run either (${failed ? 'cp -al failed: another file system?' : (r?.stderr ?? '').trim().split('\n')[0]})`,
  };
}

/**
 * Run f2b to completion, asynchronously (a daemon started by the test is our child, and a blocking
 * spawnSync would keep us from reaping it), without colour.
 */
export function runF2b(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [F2B, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env } });
    let stdout = '',
      stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Polls `fn` every 50 ms until it returns something truthy (which it returns), failing after `ms`. */
export async function until<T>(what: string, fn: () => T | Promise<T>, ms = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
