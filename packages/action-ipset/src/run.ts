/**
 * Running ipset and iptables: always `spawn` with an argument array (no shell), scripts on stdin
 * (`ipset restore`), inside a named network namespace through `ip netns exec NAME …` when asked.
 * A run that exits resolves with its status (the caller knows which statuses mean "absent");
 * one that cannot run at all (program missing, no namespace, killed) rejects with a ToolError.
 */
import { spawn } from 'node:child_process';
import type { F2bError } from '@f2b/kit';
import { ipsetErrors, toolMessage } from './errors.js';

export interface RunTarget {
  netns?: string;
  ipPath: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A run that failed in a way to report: `error` is the F2bError; `rejected` when the program ran and said no. */
export class ToolError extends Error {
  readonly error: F2bError;
  readonly stderr: string;
  readonly rejected: boolean;
  constructor(error: F2bError, stderr = '', rejected = false) {
    super(error.message);
    this.name = 'ToolError';
    this.error = error;
    this.stderr = stderr;
    this.rejected = rejected;
  }
}

export function command(target: RunTarget, program: string, args: readonly string[]): [string, string[]] {
  return target.netns !== undefined ? [target.ipPath, ['netns', 'exec', target.netns, program, ...args]] : [program, [...args]];
}

export function run(target: RunTarget, program: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<RunResult> {
  const [cmd, argv] = command(target, program, args);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (err) {
      reject(spawnError(target, cmd, program, err));
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
      done(() => reject(new ToolError(ipsetErrors.F2B_ERR_IPSET_FAILED(program, 'finish', `killed after ${timeoutMs} ms`))));
    }, timeoutMs);
    timer.unref?.();
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => done(() => reject(spawnError(target, cmd, program, e))));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString(),
        stderr = Buffer.concat(err).toString();
      if (code !== 0) {
        const early = classify(target, program, stderr);
        if (early) return done(() => reject(early));
      }
      done(() => resolve({ code, stdout, stderr }));
    });
    child.stdin.on('error', () => {
      /* reported through the exit status */
    });
    child.stdin.end(input ?? '');
  });
}

/** Runs and rejects (ToolError, rejected) unless the exit status is 0. */
export async function runOk(target: RunTarget, program: string, args: readonly string[], what: string, input?: string): Promise<RunResult> {
  const r = await run(target, program, args, input);
  if (r.code !== 0) throw new ToolError(ipsetErrors.F2B_ERR_IPSET_FAILED(program, what, toolMessage(r.stderr)), r.stderr, true);
  return r;
}

/** Failures that are not about what was asked: the program or namespace missing, no permission. */
function classify(target: RunTarget, program: string, stderr: string): ToolError | null {
  if (/exec of "[^"]*" failed: No such file or directory/.test(stderr)) return new ToolError(ipsetErrors.F2B_ERR_IPSET_NOT_FOUND(program), stderr);
  if (/Cannot open network namespace|setting the network namespace|Invalid netns name/i.test(stderr))
    return new ToolError(ipsetErrors.F2B_ERR_IPSET_NETNS(target.netns, toolMessage(stderr)), stderr);
  if (/Operation not permitted|Permission denied|must be root|you must be root/i.test(stderr))
    return new ToolError(ipsetErrors.F2B_ERR_IPSET_PERMISSION(program, toolMessage(stderr)), stderr);
  return null;
}

function spawnError(target: RunTarget, cmd: string, program: string, err: unknown): ToolError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT' && target.netns !== undefined && cmd === target.ipPath)
    return new ToolError(ipsetErrors.F2B_ERR_IPSET_NETNS(target.netns, `the program ${JSON.stringify(cmd)} was not found`));
  if (code === 'ENOENT') return new ToolError(ipsetErrors.F2B_ERR_IPSET_NOT_FOUND(cmd));
  if (code === 'EACCES' || code === 'EPERM') return new ToolError(ipsetErrors.F2B_ERR_IPSET_PERMISSION(program, text));
  return new ToolError(ipsetErrors.F2B_ERR_IPSET_FAILED(program, 'start', text));
}
