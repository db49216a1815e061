/**
 * A real SMTP server for tests: Debian postfix's `smtp-sink`, started on a free loopback port with
 * its dump option (`-d DIR/m`: one file per mail transaction: the envelope as X-* lines, then the
 * message), stopped and removed afterwards. Skipped (with the reason) when it is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export function sinkUnavailable(): string | null {
  if (!existsSync(SMTP_SINK)) return `${SMTP_SINK} is not installed (apt install postfix)`;
  return null;
}

export interface SunkMail {
  /** Envelope recipients (X-Rcpt-Args), without angle brackets. */
  rcpt: string[];
  /** Envelope sender (X-Mail-Args). */
  mailFrom: string;
  /** Headers of the message as received (name → values), names lower-case. */
  headers: Map<string, string[]>;
  body: string;
  raw: string;
}

export interface Sink {
  port: number;
  mails(): SunkMail[];
  waitForMails(n: number, timeoutMs?: number): Promise<SunkMail[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('data', (d) => {
      c.destroy();
      resolve(d.toString().startsWith('220'));
    });
    c.once('error', () => resolve(false));
  });
}

export function parseDump(raw: string): SunkMail {
  const lines = raw.split('\n');
  const rcpt: string[] = [];
  let mailFrom = '';
  let i = 0;
  for (; i < lines.length && lines[i]!.startsWith('X-'); i++) {
    const [k, ...v] = lines[i]!.split(': ');
    if (k === 'X-Rcpt-Args') rcpt.push(v.join(': ').replace(/^<|>$/g, ''));
    if (k === 'X-Mail-Args') mailFrom = v.join(': ').replace(/^<|>$/g, '');
  }
  // smtp-sink's Received header (three lines), then the message's own headers.
  const headers = new Map<string, string[]>();
  let last = '';
  for (; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i]!;
    if (/^[ \t]/.test(l)) {
      const v = headers.get(last)!;
      v[v.length - 1] += ` ${l.trim()}`;
      continue;
    }
    const colon = l.indexOf(':');
    last = l.slice(0, colon).toLowerCase();
    headers.set(last, [...(headers.get(last) ?? []), l.slice(colon + 1).trim()]);
  }
  let body = lines.slice(i + 1).join('\n');
  if (headers.get('content-transfer-encoding')?.[0] === 'quoted-printable') {
    body = Buffer.from(
      body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
  return { rcpt, mailFrom, headers, body, raw };
}

export async function startSink(): Promise<Sink> {
  const dir = mkdtempSync(join(tmpdir(), 'f2b-smtp-sink-'));
  // As root, smtp-sink drops to `-u nobody` after binding: the dump directory must be its.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, 65534, 65534);
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt++) {
    port = await freePort();
    const c = spawn(SMTP_SINK, [...(asRoot ? ['-u', 'nobody'] : []), '-d', join(dir, 'm'), `127.0.0.1:${port}`, '20'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let exited = false;
    c.on('exit', () => {
      exited = true;
    });
    for (let i = 0; i < 200 && !exited; i++) {
      if (await answers(port)) {
        child = c;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (child === undefined) c.kill('SIGKILL'); // the port was taken meanwhile: another one
  }
  if (child === undefined) throw new Error('smtp-sink did not start');
  // smtp-sink names its files at random: the order of arrival is the order of first sight, then mtime.
  // A dump file exists from MAIL FROM on and is written as the transaction goes: a mail is there
  // once its file holds the headers and smtp-sink's closing empty line.
  const complete = (f: string) => {
    const text = readFileSync(join(dir, f), 'utf8');
    return text.includes('\nMIME-Version: ') && text.endsWith('\n\n');
  };
  const order: string[] = [];
  const mails = () => {
    const fresh = readdirSync(dir).filter((f) => !order.includes(f) && complete(f));
    const time = (f: string) => statSync(join(dir, f), { bigint: true }).mtimeNs;
    fresh.sort((a, b) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0));
    order.push(...fresh);
    return order.map((f) => parseDump(readFileSync(join(dir, f), 'utf8')));
  };
  return {
    port,
    mails,
    async waitForMails(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = mails();
        if (m.length >= n) return m;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} mail(s); smtp-sink has ${m.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      const c = child!;
      if (c.exitCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
