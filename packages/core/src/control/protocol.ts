/**
 * The control protocol spoken on the daemon's Unix socket (`f2b status`, `f2b ban`, …): newline-
 * delimited JSON, one request per line, one response per request, in order.
 *
 *   → {"v":1,"id":7,"cmd":"status","args":{"jail":"sshd"}}
 *   ← {"v":1,"id":7,"ok":true,"result":{…}}
 *   ← {"v":1,"id":7,"ok":false,"error":{"code":"F2B_ERR_…","message":"…","fix":"…"}}
 *
 * `v` is the protocol version; a daemon answers a version it does not speak with an error that names
 * the versions it does. A request line may be at most `MAX_REQUEST_BYTES` long.
 */
import { F2bError, isF2bError, type ExitClass } from '@f2b/kit/client';

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];
/** Longest request line the daemon accepts (without its newline). */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Connections idle this long are closed by the daemon. */
export const IDLE_TIMEOUT_MS = 30_000;
/** A request must arrive whole (from its first byte to its newline) within this long. */
export const REQUEST_DEADLINE_MS = 5_000;

export type RequestId = number | string | null;

export interface ControlRequest {
  v: number;
  id?: RequestId;
  cmd: string;
  args?: Record<string, unknown>;
}

export interface ControlErrorBody {
  code: string;
  message: string;
  fix?: string;
  /** Config key path and file, when the error is about the config (e.g. a failed reload). */
  path?: string;
  file?: string;
  /**
   * The error's exit class, so the client exits as the daemon's error deserves without loading the
   * table that defines the code (a client command loads no errors table; a plugin's it never has).
   */
  exit?: ExitClass;
}

export type ControlResponse = { v: number; id: RequestId; ok: true; result: unknown } | { v: number; id: RequestId; ok: false; error: ControlErrorBody };

/** The error body of a response, from any thrown value (non-f2b errors become F2B_ERR_CONTROL_INTERNAL). */
export function errorBody(err: unknown): ControlErrorBody {
  if (isF2bError(err)) {
    const body: ControlErrorBody = { code: err.code, message: err.message };
    if (err.fix) body.fix = err.fix;
    if (err.path) body.path = err.path;
    if (err.file) body.file = err.file;
    body.exit = err.exit;
    return body;
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'F2B_ERR_CONTROL_INTERNAL',
    message: `The daemon failed to carry out the command: ${message.replace(/\.$/, '')}.`,
    fix: "This is a bug in f2b; the daemon's log has details. Please report it.",
  };
}

/** An `F2bError` again, from a response's error body (client side); its exit class comes back with its code. */
export function errorFromBody(body: ControlErrorBody): F2bError {
  const exit = body.exit === 'usage' || body.exit === 'failure' ? body.exit : undefined; // an older daemon sends none
  return new F2bError(body.code, body.message, { fix: body.fix, path: body.path, file: body.file, exit });
}

/** One line of the protocol (JSON + newline). */
export function encodeLine(message: ControlRequest | ControlResponse): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Splits a byte stream into lines without decoding partial UTF-8 sequences, refusing to buffer more
 * than `maxBytes` for one line (a client that never sends a newline cannot exhaust memory).
 */
export class LineDecoder {
  private readonly maxBytes: number;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(maxBytes = Infinity) {
    this.maxBytes = maxBytes;
  }

  /** Bytes of an incomplete line held so far. */
  get buffered(): number {
    return this.size;
  }

  /** The complete lines in `chunk` (and before it); `overflow` when a line grew past the limit. */
  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.maxBytes) return this.overflow(lines);
      const line = this.size === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.size = 0;
      lines.push(line.toString('utf8').replace(/\r$/, ''));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.size + rest.length > this.maxBytes) return this.overflow(lines);
      // Copy: the caller's chunk buffer may be reused.
      this.parts.push(Buffer.from(rest));
      this.size += rest.length;
    }
    return { lines, overflow: false };
  }

  private overflow(lines: string[]): { lines: string[]; overflow: boolean } {
    this.parts = [];
    this.size = 0;
    return { lines, overflow: true };
  }
}
