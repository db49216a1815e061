/**
 * The client side of the control protocol: connect to a daemon's socket, send commands, get results
 * (or the daemon's error, as an `F2bError` with its code and fix). Connection problems become
 * F2B_ERR_CONTROL_NOT_RUNNING (no socket, stale socket) or F2B_ERR_CONTROL_PERMISSION (root-only
 * socket), so callers can tell people what to do.
 */
import { createConnection, type Socket } from 'node:net';
import type { F2bError } from '../errors.js';
import { controlErrors } from './errors.js';
import { socketProblem } from './path-check.js';
import { encodeLine, errorFromBody, LineDecoder, PROTOCOL_VERSION, type ControlResponse } from './protocol.js';

export interface ControlClientOptions {
  /** Give up on an answer after this long (default 60 s). */
  timeoutMs?: number;
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number;
}

interface Pending {
  cmd: string;
  resolve(result: unknown): void;
  reject(err: F2bError): void;
  timer: NodeJS.Timeout;
}

export class ControlClient {
  readonly path: string;
  private readonly socket: Socket;
  private readonly timeoutMs: number;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: F2bError | null = null;

  private constructor(path: string, socket: Socket, opts: ControlClientOptions) {
    this.path = path;
    this.socket = socket;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    const decoder = new LineDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const line of decoder.push(chunk).lines) if (line.trim() !== '') this.onLine(line);
    });
    socket.on('error', (err) => this.fail(connectError(path, err)));
    socket.on('close', () => this.fail(controlErrors.F2B_ERR_CONTROL_CLOSED(path)));
  }

  /** Connect to the daemon's socket. */
  static connect(path: string, opts: ControlClientOptions = {}): Promise<ControlClient> {
    const problem = socketProblem(path);
    if (problem) return Promise.reject(controlErrors.F2B_ERR_CONTROL_UNTRUSTED(path, problem));
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(controlErrors.F2B_ERR_CONTROL_TIMEOUT(path, 'connect', opts.connectTimeoutMs ?? 5000));
      }, opts.connectTimeoutMs ?? 5000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(connectError(path, err));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ControlClient(path, socket, opts));
      });
    });
  }

  /** Send a command; resolves with its result, rejects with the daemon's error. */
  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(controlErrors.F2B_ERR_CONTROL_TIMEOUT(this.path, cmd, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { cmd, resolve: resolve as (r: unknown) => void, reject, timer });
      this.socket.write(encodeLine({ v: PROTOCOL_VERSION, id, cmd, args }));
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let res: ControlResponse;
    try {
      res = JSON.parse(line) as ControlResponse;
    } catch {
      this.fail(controlErrors.F2B_ERR_CONTROL_PROTOCOL(this.path, 'it is not JSON'));
      return;
    }
    if (!res || typeof res !== 'object' || typeof res.ok !== 'boolean') {
      this.fail(controlErrors.F2B_ERR_CONTROL_PROTOCOL(this.path, 'it is not a response object'));
      return;
    }
    // An answer without our id (a request the daemon could not read) belongs to the oldest request.
    const id = typeof res.id === 'number' && this.pending.has(res.id) ? res.id : this.pending.keys().next().value;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (res.ok) p.resolve(res.result);
    else p.reject(errorFromBody(res.error ?? { code: 'F2B_ERR_CONTROL_PROTOCOL', message: 'The daemon answered with an error without details.' }));
  }

  private fail(err: F2bError): void {
    this.failure ??= err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}

/** Connect, send one command, close. */
export async function controlRequest<T = unknown>(path: string, cmd: string, args: Record<string, unknown> = {}, opts: ControlClientOptions = {}): Promise<T> {
  const client = await ControlClient.connect(path, opts);
  try {
    return await client.request<T>(cmd, args);
  } finally {
    client.close();
  }
}

function connectError(path: string, err: NodeJS.ErrnoException): F2bError {
  if (err.code === 'EACCES' || err.code === 'EPERM') return controlErrors.F2B_ERR_CONTROL_PERMISSION(path, err);
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTDIR' || err.code === 'ENOTSOCK')
    return controlErrors.F2B_ERR_CONTROL_NOT_RUNNING(path, err);
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return controlErrors.F2B_ERR_CONTROL_CLOSED(path);
  return controlErrors.F2B_ERR_CONTROL_NOT_RUNNING(path, err);
}
