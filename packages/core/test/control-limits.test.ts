/**
 * Attack 6 of issue 12: 256 slow clients (one byte a second, never a whole request) must not lock
 * anyone out — a new client always gets a slot, and a request must arrive whole within its deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../src/control/server.js';
import { controlRequest } from '../src/control/client.js';
import type { ControlHandler } from '../src/control/handler.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-ctl-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const handler: ControlHandler = { handle: async (cmd) => (cmd === 'ping' ? { pong: true } : null) };

function slowClient(path: string): Promise<{ sock: Socket; closed: Promise<void>; stop(): void }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => { /* closed by the server */ });
    let timer: NodeJS.Timeout | undefined;
    sock.once('connect', () => {
      sock.write('{');
      timer = setInterval(() => { if (sock.writable) sock.write(' '); }, 1000);
      resolve({ sock, closed, stop: () => { clearInterval(timer); sock.destroy(); } });
    });
    sock.once('error', reject);
    closed.then(() => clearInterval(timer));
  });
}

describe('control server limits (issue 12, attack 6)', () => {
  it('256 clients sending a byte a second: ping still answers, and the slow ones are dropped', async () => {
    const path = join(dir, 'f2b.sock');
    const server = new ControlServer({ path, handler });
    await server.listen();
    const slow: Awaited<ReturnType<typeof slowClient>>[] = [];
    try {
      for (let i = 0; i < 256; i++) slow.push(await slowClient(path));
      await new Promise((r) => setTimeout(r, 1500)); // they are all trickling now
      const pong = await controlRequest<{ pong: boolean }>(path, 'ping', {}, { timeoutMs: 20_000, connectTimeoutMs: 20_000 });
      expect(pong).toEqual({ pong: true });
      // Every slow client is closed (evicted or past its deadline), without any request being answered.
      await Promise.all(slow.map((s) => s.closed));
    } finally {
      for (const s of slow) s.stop();
      await server.close();
    }
  }, 60_000);
});
