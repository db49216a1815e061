/**
 * Helpers for end-to-end tests that run the real `f2b` binary.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
    input: opts.input, cwd: opts.cwd ?? ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs,
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
export function startF2b(args: string[], opts: { cwd?: string } = {}): RunningF2b {
  const child = spawn(process.execPath, [F2B, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
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
