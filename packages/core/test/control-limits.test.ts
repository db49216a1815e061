/**
 * Attack 6 of issue 12: 256 slow clients (one byte a second, never a whole request) must not lock
 * anyone out — a new client always gets a slot, and a request must arrive whole within its deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../src/control/server.js';
import { controlRequest } from '../src/control/client.js';
import type { ControlHandler } from '../src/control/handler.js';
import { loadPeerUid } from '../src/control/peer.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-ctl-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const handler: ControlHandler = { handle: async (cmd) => (cmd === 'ping' ? { pong: true } : null) };

function slowClient(path: string): Promise<{ sock: Socket; closed: Promise<void>; stop(): void }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => {
      /* closed by the server */
    });
    let timer: NodeJS.Timeout | undefined;
    sock.once('connect', () => {
      sock.write('{');
      timer = setInterval(() => {
        if (sock.writable) sock.write(' ');
      }, 1000);
      resolve({
        sock,
        closed,
        stop: () => {
          clearInterval(timer);
          sock.destroy();
        },
      });
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

/** A client that sends a request the handler never finishes (until `release`). */
function hangingClient(path: string): Promise<{ sock: Socket; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ path });
    let data = '';
    const answer = new Promise<string>((r) => {
      sock.on('data', (c) => {
        data += c;
      });
      sock.on('close', () => r(data));
    });
    sock.on('error', () => {
      /* closed by the server */
    });
    sock.once('connect', () => {
      sock.write('{"v":1,"id":1,"cmd":"hang","args":{}}\n');
      resolve({ sock, answer });
    });
    sock.once('error', reject);
  });
}

describe('control server: connections per user (issue 12)', () => {
  it('a user whose every connection is carrying out a request is refused another, with a clear error', async () => {
    const path = join(dir, 'per-user.sock');
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const hang: ControlHandler = {
      handle: async (cmd) => {
        if (cmd !== 'hang') return { pong: true };
        started++;
        await released;
        return { done: true };
      },
    };
    // One user for everyone (as without SO_PEERCRED), with room for two.
    const server = new ControlServer({ path, handler: hang, maxConnectionsPerUser: 2, peerUid: () => 1000 });
    await server.listen();
    try {
      const busy = [await hangingClient(path), await hangingClient(path)];
      await expect.poll(() => started).toBe(2);
      const third = await hangingClient(path);
      const refused = JSON.parse((await third.answer).trim()) as { ok: boolean; error: { code: string; message: string } };
      expect(refused.ok).toBe(false);
      expect(refused.error.code).toBe('F2B_ERR_CONTROL_TOO_MANY_CONNECTIONS');
      expect(refused.error.message).toContain('uid 1000 already holds 2 control connections');
      expect(started).toBe(2); // the refused client's request was never carried out
      release();
      for (const b of busy) expect(JSON.parse((await (b.sock.end(), b.answer)).trim()).ok).toBe(true);
    } finally {
      release();
      await server.close();
    }
  });

  it("another uid flooding the socket evicts only its own connections, never root's", async (ctx) => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: needs root to connect as another uid (65534)');
      ctx.skip();
    }
    const { available } = await import('@f2b/peercred');
    if (!available) {
      console.log('skipped: @f2b/peercred is not built here, so the daemon cannot tell users apart');
      ctx.skip();
    }
    const peer = await loadPeerUid();
    const floodDir = mkdtempSync(join(tmpdir(), 'f2b-ctl-uid-'));
    chmodSync(floodDir, 0o711);
    const path = join(floodDir, 'f2b.sock');
    const script = join(floodDir, 'flood.mjs');
    // The flooder: 40 connections that each start a request and never finish it.
    writeFileSync(
      script,
      `
      import { createConnection } from 'node:net';
      const socks = [];
      let open = 0;
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => {
          const s = createConnection({ path: process.argv[2] });
          s.on('connect', () => { open++; s.write('{'); r(); });
          s.on('error', () => r());
          s.on('close', () => { open--; });
          socks.push(s);
        });
      }
      await new Promise((r) => setTimeout(r, 300));
      process.stdout.write(JSON.stringify({ stillOpen: open }) + '\\n');
      await new Promise((r) => process.stdin.on('end', r).resume());
      for (const s of socks) s.destroy();
    `,
    );
    chmodSync(script, 0o644);
    const seen: number[] = [];
    const server = new ControlServer({
      path,
      handler,
      maxConnections: 20,
      maxConnectionsPerUser: 8,
      requestDeadlineMs: 60_000,
      peerUid: (s) => {
        const uid = peer(s);
        if (uid !== null) seen.push(uid);
        return uid;
      },
    });
    await server.listen();
    chmodSync(path, 0o666); // the test lets uid 65534 connect; the daemon's socket stays 0600
    const rootSlow: Awaited<ReturnType<typeof slowClient>>[] = [];
    try {
      for (let i = 0; i < 4; i++) rootSlow.push(await slowClient(path));
      const child = spawn(process.execPath, [script, path], { uid: 65534, gid: 65534, stdio: ['pipe', 'pipe', 'inherit'] });
      const report = await new Promise<string>((r) => child.stdout.once('data', (d) => r(String(d))));
      expect(seen).toContain(0);
      expect(seen).toContain(65534);
      // The flooder keeps at most its cap; root's four are all still there.
      expect(JSON.parse(report).stillOpen).toBeLessThanOrEqual(8);
      expect(server.connections).toBeLessThanOrEqual(12); // 8 + root's 4, under the overall 20
      expect(rootSlow.every((s) => !s.sock.destroyed)).toBe(true);
      chmodSync(path, 0o600); // back to the daemon's mode (its clients refuse anything else); connected stay
      // At the overall limit, root's new client makes room at the expense of the user holding the most.
      const pong = await controlRequest<{ pong: boolean }>(path, 'ping', {}, { timeoutMs: 10_000 });
      expect(pong).toEqual({ pong: true });
      expect(rootSlow.every((s) => !s.sock.destroyed)).toBe(true);
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    } finally {
      for (const s of rootSlow) s.stop();
      await server.close();
      rmSync(floodDir, { recursive: true, force: true });
    }
  }, 60_000);
});
