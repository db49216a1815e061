/**
 * Running ip: always `spawn` with an argument array (no shell), batches on stdin (`ip -batch -`),
 * inside a named network namespace with `ip -n NAME`. A run that exits resolves with its status
 * and output (a batch run with `-force` reports each failed line, which the caller sorts out); one
 * that cannot run at all, or names no line, rejects with an IpError.
 */
import { spawn } from 'node:child_process';
import type { F2bError } from '@f2b/kit';
import { ipMessage, routeErrors } from './errors.js';
import type { RouteConfig } from './options.js';

export interface IpResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class IpError extends Error {
  readonly error: F2bError;
  readonly stderr: string;
  constructor(error: F2bError, stderr = '') {
    super(error.message);
    this.name = 'IpError';
    this.error = error;
    this.stderr = stderr;
  }
}

export function ipArgs(cfg: Pick<RouteConfig, 'netns'>, args: readonly string[]): string[] {
  return cfg.netns !== undefined ? ['-n', cfg.netns, ...args] : [...args];
}

export function runIp(cfg: Pick<RouteConfig, 'netns' | 'ipPath'>, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<IpResult> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cfg.ipPath, ipArgs(cfg, args), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (err) {
      reject(spawnError(cfg.ipPath, err));
      return;
    }
    const out: Buffer[] = [],
      err: Buffer[] = [];
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    // eslint-disable-next-line no-restricted-globals -- a kill guard on a real child process: Node's timer, so it fires even under a FakeClock
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(() => reject(new IpError(routeErrors.F2B_ERR_ROUTE_FAILED('finish', `killed after ${timeoutMs} ms`))));
    }, timeoutMs);
    timer.unref?.();
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => done(() => reject(spawnError(cfg.ipPath, e))));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString(),
        stderr = Buffer.concat(err).toString();
      const early = code === 0 ? null : classify(cfg.netns, stderr);
      done(() => (early ? reject(early) : resolve({ code, stdout, stderr })));
    });
    child.stdin.on('error', () => {
      /* reported through the exit status */
    });
    child.stdin.end(input ?? '');
  });
}

/** Failures that are not about a line: the namespace missing, no permission. */
function classify(netns: string | undefined, stderr: string): IpError | null {
  if (/Cannot open network namespace|setting the network namespace|Invalid netns name/i.test(stderr))
    return new IpError(routeErrors.F2B_ERR_ROUTE_NETNS(netns, ipMessage(stderr)), stderr);
  if (/Operation not permitted|Permission denied/i.test(stderr)) return new IpError(routeErrors.F2B_ERR_ROUTE_PERMISSION(ipMessage(stderr)), stderr);
  return null;
}

function spawnError(program: string, err: unknown): IpError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT') return new IpError(routeErrors.F2B_ERR_ROUTE_NOT_FOUND(program));
  if (code === 'EACCES' || code === 'EPERM') return new IpError(routeErrors.F2B_ERR_ROUTE_PERMISSION(text));
  return new IpError(routeErrors.F2B_ERR_ROUTE_FAILED('start', text));
}
