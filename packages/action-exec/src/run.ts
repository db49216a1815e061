/**
 * Runs one program: `spawn` with an argument array (never a shell), in a process group of its own
 * (so a timeout kills the program and whatever it started), with exactly the environment it was
 * given, stdin fed or closed, and at most `maxOutput` bytes of each output stream kept.
 */
import { spawn } from 'node:child_process';
import type { Clock, TimerHandle } from '@f2b/core';

export interface RunSpec {
  /** The real path to execute (already checked). */
  file: string;
  /** argv[0] as the program sees it (the configured path). */
  argv0: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Written to stdin, which is then closed; none: stdin is /dev/null. */
  stdin?: string;
  timeoutMs: number;
  maxOutput: number;
  clock: Clock;
}

export interface RunResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Bytes the program wrote beyond what was kept. */
  dropped: number;
  /** The program could not be started (ENOENT, EACCES, …). */
  spawnError?: NodeJS.ErrnoException;
}

/** After SIGTERM to the group, how long before SIGKILL. */
const KILL_GRACE_MS = 1000;
/** After the program exits, how long its output pipes may stay open (a child it left running holds them). */
const CLOSE_GRACE_MS = 200;

class Capped {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = 0;
  constructor(private readonly max: number) {}
  add(d: Buffer): void {
    const room = this.max - this.kept;
    if (room > 0) {
      const part = d.length <= room ? d : d.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, d.length - Math.max(0, room));
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runProgram(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve) => {
    const out = new Capped(spec.maxOutput);
    const err = new Capped(spec.maxOutput);
    let child;
    try {
      child = spawn(spec.file, [...spec.args], {
        argv0: spec.argv0,
        cwd: spec.cwd,
        env: { ...spec.env },
        detached: true, // its own process group: a timeout kills every process in it
        shell: false,
        stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (e) {
      resolve({ code: null, signal: null, timedOut: false, stdout: '', stderr: '', dropped: 0, spawnError: e as NodeJS.ErrnoException });
      return;
    }
    const pid = child.pid;
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const timers: TimerHandle[] = [];
    const killGroup = (signal: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, signal);
      } catch {
        /* the group is gone */
      }
    };
    const finish = (spawnError?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      for (const t of timers) t.cancel();
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        stdout: out.text(),
        stderr: err.text(),
        dropped: out.dropped + err.dropped,
        spawnError,
      });
    };
    timers.push(
      spec.clock.setTimer(spec.timeoutMs, () => {
        timedOut = true;
        killGroup('SIGTERM');
        timers.push(spec.clock.setTimer(KILL_GRACE_MS, () => killGroup('SIGKILL')));
      }),
    );
    child.stdout!.on('data', (d: Buffer) => out.add(d));
    child.stderr!.on('data', (d: Buffer) => err.add(d));
    child.on('error', (e) => {
      if (!exit) finish(e as NodeJS.ErrnoException);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Normally 'close' follows at once; a process it left behind may hold the pipes open.
      timers.push(spec.clock.setTimer(CLOSE_GRACE_MS, () => finish()));
      if (timedOut) killGroup('SIGKILL');
    });
    child.on('close', () => {
      if (exit) finish();
    });
    if (spec.stdin !== undefined) {
      // A program that exits without reading stdin closes the pipe: EPIPE is not the error to report.
      child.stdin!.on('error', () => {});
      child.stdin!.end(spec.stdin);
    }
  });
}
