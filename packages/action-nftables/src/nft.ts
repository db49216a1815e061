/**
 * Running nft: always `spawn` with an argument array (no shell), scripts on stdin (`nft -f -`), and
 * inside a named network namespace through `ip netns exec NAME nft …` when asked. Failures become
 * F2bErrors with a code that says what is wrong (binary missing, no permission, no nf_tables, …).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import type { F2bError } from '@f2b/core';
import { nftErrors, nftMessage } from './errors.js';

export interface NftRunOptions {
  nftPath: string;
  ipPath: string;
  netns?: string;
  /** Kill nft after this long (ms). */
  timeoutMs?: number;
}

export interface NftResult {
  stdout: string;
  stderr: string;
}

/** A failed nft run: `error` is what to report; `stderr` is nft's full output (to locate elements). */
export class NftRunError extends Error {
  readonly error: F2bError;
  readonly stderr: string;
  readonly exitCode: number | null;
  /** True when nft itself ran and rejected the script (as opposed to not running at all). */
  readonly rejected: boolean;

  constructor(error: F2bError, stderr: string, exitCode: number | null, rejected: boolean) {
    super(error.message);
    this.name = 'NftRunError';
    this.error = error;
    this.stderr = stderr;
    this.exitCode = exitCode;
    this.rejected = rejected;
  }
}

/**
 * Process ids of the nft runs of this process, most recent last (bounded): the kernel names the
 * process behind each transaction in `nft monitor`'s generation lines, so the monitor can tell our
 * own transactions from someone else's. (Inside a PID namespace other than the kernel's view the
 * ids do not match: every transaction then counts as foreign, which costs a check, never a loop.)
 */
const ownPids: number[] = [];
const OWN_PIDS_MAX = 256;

function rememberPid(pid: number | undefined): void {
  if (pid === undefined) return;
  ownPids.push(pid);
  if (ownPids.length > OWN_PIDS_MAX) ownPids.splice(0, ownPids.length - OWN_PIDS_MAX);
}

/** Long-lived `nft -i` sessions (nft-session.ts): their transactions are ours for as long as they run. */
const livePids = new Set<number>();

export function rememberLivePid(pid: number): void {
  livePids.add(pid);
}

export function forgetLivePid(pid: number): void {
  livePids.delete(pid);
  rememberPid(pid); // its last transactions may still be reported
}

/** True when `pid` is (or recently was) one of this process's nft runs. */
export function isOwnNft(pid: number): boolean {
  return livePids.has(pid) || ownPids.includes(pid);
}

/** The argv that runs nft with `args` (through `ip netns exec` for a namespace). */
export function nftCommand(opts: NftRunOptions, args: readonly string[]): [string, string[]] {
  return opts.netns !== undefined ? [opts.ipPath, ['netns', 'exec', opts.netns, opts.nftPath, ...args]] : [opts.nftPath, [...args]];
}

/**
 * util-linux's setpriv, root's (Debian installs it in every system): it sets the parent-death signal
 * before exec'ing the command, which keeps it across the exec's of `ip netns exec` and nft.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => rootOwnedExecutable(p));

/**
 * `command` made to die with this process: a long-lived child that never reads its stdin (`nft
 * monitor`) would otherwise outlive a daemon killed by SIGKILL, and keep running forever. Without
 * setpriv, the command as it is (stop() still ends it on a clean exit).
 */
export function diesWithParent([cmd, argv]: [string, string[]]): [string, string[]] {
  return SETPRIV === undefined ? [cmd, argv] : [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...argv]];
}

function rootOwnedExecutable(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && st.uid === 0 && (st.mode & 0o022) === 0 && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Maps a non-zero exit of nft (or of `ip netns exec`) to the error to report. */
export function classifyFailure(opts: NftRunOptions, what: string, stderr: string, exitCode: number | null): NftRunError {
  const msg = nftMessage(stderr);
  let error: F2bError;
  let rejected = false;
  if (/exec of "[^"]*" failed: No such file or directory/.test(stderr)) error = nftErrors.F2B_ERR_NFT_NOT_FOUND(opts.nftPath);
  else if (/Cannot open network namespace|setting the network namespace|Invalid netns name/i.test(stderr)) error = nftErrors.F2B_ERR_NFT_NETNS(opts.netns, msg);
  else if (/Operation not permitted|Permission denied/i.test(stderr)) error = nftErrors.F2B_ERR_NFT_PERMISSION(msg);
  else if (/Protocol not supported|Address family not supported|Operation not supported|Could not receive.*Protocol|nf_tables.*not/i.test(stderr))
    error = nftErrors.F2B_ERR_NFT_UNSUPPORTED(msg);
  else {
    error = nftErrors.F2B_ERR_NFT_FAILED(what, msg);
    rejected = true;
  }
  return new NftRunError(error, stderr, exitCode, rejected);
}

/**
 * Runs nft with `args`, feeding `input` on stdin. Resolves with its output on exit 0; rejects with an
 * NftRunError otherwise (spawn errors included).
 */
export function runNft(opts: NftRunOptions, args: readonly string[], input: string | undefined, what: string): Promise<NftResult> {
  const [cmd, argv] = nftCommand(opts, args);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    } catch (err) {
      reject(spawnError(opts, cmd, err));
      return;
    }
    rememberPid(child.pid);
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
      done(() => reject(new NftRunError(nftErrors.F2B_ERR_NFT_FAILED({ ms: timeoutMs }), Buffer.concat(err).toString(), null, false)));
    }, timeoutMs);
    timer.unref?.();
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => done(() => reject(spawnError(opts, cmd, e))));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code === 0) done(() => resolve({ stdout, stderr }));
      else done(() => reject(classifyFailure(opts, what, stderr, code)));
    });
    // nft may exit before reading all of stdin (a usage error); that EPIPE is not the error to report.
    child.stdin.on('error', () => {
      /* reported through the exit status */
    });
    child.stdin.end(input ?? '');
  });
}

function spawnError(opts: NftRunOptions, cmd: string, err: unknown): NftRunError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  let error: F2bError;
  if (code === 'ENOENT' && opts.netns !== undefined && cmd === opts.ipPath)
    error = nftErrors.F2B_ERR_NFT_NETNS(opts.netns, `the program ${JSON.stringify(cmd)} was not found`);
  else if (code === 'ENOENT') error = nftErrors.F2B_ERR_NFT_NOT_FOUND(cmd);
  else if (code === 'EACCES' || code === 'EPERM') error = nftErrors.F2B_ERR_NFT_PERMISSION(text);
  else error = nftErrors.F2B_ERR_NFT_FAILED('start', text);
  return new NftRunError(error, '', null, false);
}
