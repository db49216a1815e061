/**
 * The daemon's control socket: a Unix socket speaking the protocol of protocol.ts, answering with a
 * `ControlHandler` (handler.ts).
 *
 * Access control: the socket is created mode 0600 (under a umask of 0177, then chmod-ed again), owned
 * by the daemon's user — root, for a system daemon — inside a directory created mode 0700. Only that
 * user (and root) can connect; everyone who can connect may run every command. The read-only socket
 * is a second server with `mode`/`gid` (0660 for a group, its directory 0755) and a handler that
 * refuses what changes state (read-only.ts). Who is connecting is
 * asked of the kernel (SO_PEERCRED, through the optional native `@f2b/peercred`) to count connections
 * per uid: a daemon run by a user cannot have that user's clients lock root out, nor the reverse.
 *
 * Robustness: a request line is at most 64 KiB (longer: error, then the connection is closed);
 * malformed JSON, unknown versions, commands and arguments get an error response; idle connections
 * are closed after 30 s, and a request must arrive whole within 5 s of its first byte; at 256
 * connections a new client replaces the longest-waiting idle one of the user holding the most, and a
 * user holds at most 32 (beyond that, that user's own longest-waiting idle one makes room), so that
 * slow clients cannot lock others out; a client that does not read its answers is dropped once 1 MiB piles up; each
 * connection's requests are answered in order, one at a time, so one client cannot flood the daemon.
 */
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../logger.js';
import { isF2bError } from '../errors.js';
import { controlErrors } from './errors.js';
import { socketBoundary } from './path-check.js';
import type { ControlHandler } from './handler.js';
import { loadPeerUid, type PeerUid } from './peer.js';
import {
  encodeLine,
  errorBody,
  IDLE_TIMEOUT_MS,
  LineDecoder,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  REQUEST_DEADLINE_MS,
  type ControlResponse,
  type RequestId,
} from './protocol.js';

export interface ControlServerOptions {
  path: string;
  handler: ControlHandler;
  logger?: Logger;
  /** Close connections idle this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Longest request line (default 64 KiB). */
  maxRequestBytes?: number;
  /** Open connections at most (default 256); a new client then replaces the longest-waiting idle one. */
  maxConnections?: number;
  /** A request must arrive whole within this long of its first byte (default 5 s). */
  requestDeadlineMs?: number;
  /**
   * Open connections per peer uid at most (default 32); a user's new client then replaces that user's
   * longest-waiting idle one, or is refused when all of them are carrying out requests.
   */
  maxConnectionsPerUser?: number;
  /** Who is at the other end of a connection (default: SO_PEERCRED via @f2b/peercred, when built). */
  peerUid?: (socket: Socket) => number | null;
  /**
   * Permissions of the socket file (default 0600). The read-only socket is 0660 with `gid`: its
   * group may connect. The file is still born 0600 and given its group before it is opened up.
   */
  mode?: number;
  /** Group of the socket file (default: the daemon's). */
  gid?: number | null;
  /** Mode of the directory when it has to be created (default 0700; the read-only socket's 0755). */
  directoryMode?: number;
  /** What this socket is, for the log ("Control socket", "Read-only control socket"). */
  label?: string;
}

/** The key under which connections of an unknown peer (no @f2b/peercred) are counted. */
const UNKNOWN_PEER = -1;

/** Unix socket paths are limited to 108 bytes (sun_path), including the final NUL. */
const MAX_SOCKET_PATH = 107;
/** Answers a client has not read, beyond which it is dropped. */
const MAX_UNREAD_BYTES = 1024 * 1024;
/** Requests read ahead per connection before reading pauses. */
const MAX_QUEUED = 16;

export class ControlServer {
  readonly path: string;
  private readonly opts: ControlServerOptions;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** Per connection: is a request being carried out (such connections are never evicted)? */
  private readonly busy = new Map<Socket, () => boolean>();
  /** Open connections by peer uid, each set in arrival order. */
  private readonly byUser = new Map<number, Set<Socket>>();
  private inode: number | null = null;
  private peerUid: PeerUid = () => null;
  private closing = false;

  constructor(opts: ControlServerOptions) {
    this.opts = opts;
    this.path = opts.path;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * Create the socket: the parent directory (0700) if missing; refuse if another daemon answers on
   * the path; remove a stale socket file; listen with mode 0600.
   */
  async listen(): Promise<void> {
    const path = this.path;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { occupied: `the path is longer than ${MAX_SOCKET_PATH} bytes, the limit of Unix sockets` });
    }
    const dir = dirname(path);
    if (!existsSync(dir)) {
      try {
        const dirMode = this.opts.directoryMode ?? 0o700;
        mkdirSync(dir, { recursive: true, mode: dirMode });
        chmodSync(dir, dirMode);
      } catch (err) {
        throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { cause: err });
      }
    }
    assertSafeDirectory(dir, path);
    await assertSocketFree(path);
    this.peerUid = this.opts.peerUid ?? (await loadPeerUid());
    const server = createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(controlErrors.F2B_ERR_CONTROL_SOCKET(path, { cause: err })));
      // The socket file is created by bind(), synchronously inside listen(): under this umask it is
      // born 0600, with no moment in which others could connect.
      let umask: number | null = null;
      try {
        umask = process.umask(0o177);
      } catch {
        /* worker threads cannot set it: chmod below */
      }
      try {
        server.listen({ path, exclusive: true }, () => resolve());
      } finally {
        if (umask !== null) process.umask(umask);
      }
    });
    const label = this.opts.label ?? 'Control socket';
    server.on('error', (err) => this.opts.logger?.error(`${label} error: ${err.message}`));
    const mode = this.opts.mode ?? 0o600;
    try {
      // The group first, then the mode: no moment in which the wrong group could connect.
      if (this.opts.gid !== undefined && this.opts.gid !== null) chownSync(path, process.geteuid?.() ?? 0, this.opts.gid);
      chmodSync(path, mode);
      this.inode = statSync(path).ino;
    } catch (err) {
      server.close();
      throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { cause: err });
    }
    this.server = server;
    this.opts.logger?.info(
      `${label} listening on ${path} (mode ${mode.toString(8).padStart(4, '0')}${this.opts.gid != null ? `, group ${this.opts.gid}` : ''}).`,
    );
  }

  /** Stop listening, drop every connection, remove the socket file (if it is still ours). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    try {
      // libuv unlinks the path when it closes the listening socket; a socket file with another inode
      // belongs to someone else (a daemon started meanwhile) and stays.
      if (this.inode !== null && lstatSync(this.path).ino === this.inode) unlinkSync(this.path);
    } catch {
      /* gone already */
    }
  }

  private onConnection(sock: Socket): void {
    if (this.closing) {
      sock.destroy();
      return;
    }
    sock.on('error', () => {
      /* the client went away; nothing to do */
    });
    const peer = this.peerUid(sock);
    const uid = peer ?? UNKNOWN_PEER;
    if (!this.makeRoomForUser(uid)) {
      this.opts.logger?.warn(
        `Control clients of uid ${uid} hold ${this.opts.maxConnectionsPerUser ?? 32} connections, all carrying out requests; refusing another.`,
      );
      const line = encodeLine(response(null, controlErrors.F2B_ERR_CONTROL_TOO_MANY_CONNECTIONS(uid, this.opts.maxConnectionsPerUser ?? 32)));
      sock.end(line, () => sock.destroy());
      return;
    }
    this.makeRoom();
    this.sockets.add(sock);
    let mine = this.byUser.get(uid);
    if (!mine) this.byUser.set(uid, (mine = new Set()));
    mine.add(sock);
    sock.on('close', () => {
      this.sockets.delete(sock);
      this.busy.delete(sock);
      const set = this.byUser.get(uid);
      set?.delete(sock);
      if (set?.size === 0) this.byUser.delete(uid);
    });
    const decoder = new LineDecoder(this.opts.maxRequestBytes ?? MAX_REQUEST_BYTES);
    let queue: Promise<void> = Promise.resolve();
    let queued = 0;
    let done = false;
    this.busy.set(sock, () => queued > 0);
    // Slow clients (a byte a second) must not hold a connection: a request arrives whole in time.
    const deadlineMs = this.opts.requestDeadlineMs ?? REQUEST_DEADLINE_MS;
    let deadline: NodeJS.Timeout | null = null;
    const watchDeadline = () => {
      if (decoder.buffered === 0) {
        if (deadline) clearTimeout(deadline);
        deadline = null;
      } else if (!deadline) {
        deadline = setTimeout(() => {
          this.opts.logger?.warn(`A control client did not finish its request within ${deadlineMs} ms; dropping it.`);
          sock.destroy();
        }, deadlineMs);
        deadline.unref();
      }
    };
    sock.on('close', () => {
      if (deadline) clearTimeout(deadline);
    });
    const enqueue = (job: () => Promise<void>) => {
      queued++;
      if (queued >= MAX_QUEUED) sock.pause();
      queue = queue
        .then(job)
        .catch((err) => this.opts.logger?.error(`Control request failed: ${String(err)}`))
        .finally(() => {
          queued--;
          if (queued < MAX_QUEUED && !done && sock.isPaused()) sock.resume();
        });
    };
    // Nothing received or sent for a while: idle (no request in progress), or stuck on an answer the
    // client does not read. A request still being carried out (a long reload) keeps the connection.
    sock.setTimeout(this.opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => {
      if (queued === 0 || sock.writableLength > 0) sock.destroy();
    });
    // A client may send its requests and close its side (`… | socat - UNIX-CONNECT:…`): answer, then close ours.
    sock.on('end', () => {
      if (done) return;
      done = true;
      enqueue(async () => {
        if (sock.writable) sock.end();
      });
    });
    sock.on('data', (chunk: Buffer) => {
      if (done) return;
      const { lines, overflow } = decoder.push(chunk);
      watchDeadline();
      for (const line of lines) {
        if (line.trim() === '') continue;
        enqueue(() => this.answer(sock, line, peer));
      }
      if (overflow) {
        done = true;
        sock.pause();
        enqueue(async () => {
          this.opts.logger?.warn('Control request too large; closing the connection.');
          const line = encodeLine(response(null, controlErrors.F2B_ERR_CONTROL_TOO_LARGE(this.opts.maxRequestBytes ?? MAX_REQUEST_BYTES)));
          if (sock.writable) sock.end(line, () => sock.destroy());
          else sock.destroy();
        });
      }
    });
  }

  /**
   * A user below its cap gets a slot; at the cap, that user's connection that has waited longest
   * without a request in progress is closed to make room. False: every one of them is busy.
   */
  private makeRoomForUser(uid: number): boolean {
    const max = this.opts.maxConnectionsPerUser ?? 32;
    const mine = this.byUser.get(uid);
    if (!mine || mine.size < max) return true;
    return this.evictIdle(mine);
  }

  /**
   * Always a slot for a new client: at the overall limit, the longest-waiting idle connection of the
   * user holding the most connections is closed, so that a flooding user pays first.
   */
  private makeRoom(): void {
    const max = this.opts.maxConnections ?? 256;
    while (this.sockets.size >= max) {
      const users = [...this.byUser.values()].sort((a, b) => b.size - a.size);
      if (!users.some((set) => this.evictIdle(set))) return; // everyone busy: a short overshoot
    }
  }

  /** Close the longest-waiting connection of `set` without a request in progress (kept in arrival order). */
  private evictIdle(set: Set<Socket>): boolean {
    for (const s of set) {
      if (this.busy.get(s)?.()) continue;
      set.delete(s);
      this.sockets.delete(s);
      s.destroy();
      return true;
    }
    return false;
  }

  private async answer(sock: Socket, line: string, uid: number | null): Promise<void> {
    const after: (() => void)[] = [];
    const res = await this.dispatch(line, after, uid);
    let text: string;
    try {
      text = encodeLine(res);
    } catch (err) {
      text = encodeLine(response(res.id, err));
    }
    const runAfter = () => {
      for (const fn of after) fn();
    };
    if (!sock.writable) {
      runAfter();
      return;
    }
    if (sock.writableLength > MAX_UNREAD_BYTES) {
      this.opts.logger?.warn('A control client does not read its answers; dropping it.');
      sock.destroy();
      runAfter();
      return;
    }
    // Wait until the answer is handed to the kernel: "stop" must be said before it is done.
    await new Promise<void>((resolve) => sock.write(text, () => resolve()));
    runAfter();
  }

  private async dispatch(line: string, after: (() => void)[], uid: number | null): Promise<ControlResponse> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return response(null, controlErrors.F2B_ERR_CONTROL_MALFORMED('it is not valid JSON'));
    }
    if (!req || typeof req !== 'object' || Array.isArray(req)) return response(null, controlErrors.F2B_ERR_CONTROL_MALFORMED('it is not a JSON object'));
    const r = req as Record<string, unknown>;
    const id: RequestId = typeof r.id === 'number' || typeof r.id === 'string' ? r.id : null;
    if (r.v !== PROTOCOL_VERSION)
      return response(
        id,
        r.v === undefined ? controlErrors.F2B_ERR_CONTROL_MALFORMED('it has no protocol version "v"') : controlErrors.F2B_ERR_CONTROL_VERSION(r.v),
      );
    if (typeof r.cmd !== 'string' || r.cmd === '') return response(id, controlErrors.F2B_ERR_CONTROL_MALFORMED('"cmd" must be a command name'));
    if (r.args !== undefined && (r.args === null || typeof r.args !== 'object' || Array.isArray(r.args))) {
      return response(id, controlErrors.F2B_ERR_CONTROL_MALFORMED('"args" must be an object'));
    }
    if (this.closing) return response(id, controlErrors.F2B_ERR_CONTROL_STOPPING());
    const cmd = r.cmd;
    try {
      const result = await this.opts.handler.handle(cmd, (r.args ?? {}) as Record<string, unknown>, { afterResponse: (fn) => after.push(fn), uid });
      this.opts.logger?.debug(`Control command ${JSON.stringify(cmd)} done.`);
      return { v: PROTOCOL_VERSION, id, ok: true, result: result ?? null };
    } catch (err) {
      if (!isF2bError(err))
        this.opts.logger?.error(`Control command ${JSON.stringify(cmd)} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return response(id, err);
    }
  }
}

function response(id: RequestId, err: unknown): ControlResponse {
  return { v: PROTOCOL_VERSION, id, ok: false, error: errorBody(err) };
}

/**
 * What is at a socket path: nothing, a stale socket file (no one listens), a live f2b daemon (answers
 * ping; its pid), or something else that accepts connections but does not answer.
 */
export async function probeSocket(path: string, timeoutMs = 2000): Promise<{ state: 'none' | 'stale' | 'live' | 'silent'; pid?: number }> {
  if (!existsSync(path)) return { state: 'none' };
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const decoder = new LineDecoder(1024 * 1024);
    const finish = (r: { state: 'none' | 'stale' | 'live' | 'silent'; pid?: number }) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ state: 'silent' }), timeoutMs);
    sock.on('error', (err: NodeJS.ErrnoException) => {
      finish({ state: err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK' ? 'stale' : err.code === 'ENOENT' ? 'none' : 'silent' });
    });
    sock.on('connect', () => sock.write(encodeLine({ v: PROTOCOL_VERSION, id: 0, cmd: 'ping', args: {} })));
    sock.on('data', (chunk: Buffer) => {
      const line = decoder.push(chunk).lines[0];
      if (line === undefined) return;
      let pid: number | undefined;
      try {
        const res = JSON.parse(line) as { ok?: boolean; result?: { pid?: unknown } };
        if (res.ok && typeof res.result?.pid === 'number') pid = res.result.pid;
      } catch {
        /* not ours, but alive */
      }
      finish({ state: 'live', pid });
    });
    sock.on('close', () => finish({ state: 'silent' }));
  });
}

/**
 * Throw unless `path` may become our socket: a live daemon → F2B_ERR_CONTROL_IN_USE; something that
 * is not a socket, or a socket that accepts but does not answer → F2B_ERR_CONTROL_SOCKET. A stale
 * socket file (left by a crash) is removed.
 */
export async function assertSocketFree(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { occupied: 'a file that is not a socket is in the way, and f2b does not remove it' });
  const probe = await probeSocket(path);
  if (probe.state === 'live') throw controlErrors.F2B_ERR_CONTROL_IN_USE(path, probe.pid);
  if (probe.state === 'silent')
    throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { occupied: 'a process accepts connections on it but does not answer a ping' });
  if (probe.state === 'stale') {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { cause: err });
    }
  }
}

/**
 * The socket's directory, and every one above it, must not let other users replace the socket (and so
 * stand in for the daemon towards clients): see path-check.ts.
 */
function assertSafeDirectory(dir: string, path: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { cause: err });
  }
  if (!st.isDirectory()) throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { occupied: `${dir} is not a directory` });
  const problem = socketBoundary().problem(dir);
  if (problem) throw controlErrors.F2B_ERR_CONTROL_SOCKET(path, { occupied: `${problem}; another user could replace the socket` });
}
