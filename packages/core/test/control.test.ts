/**
 * The control socket end to end inside one process: a real Daemon (inline plugins, memory store), the
 * real server on a temp Unix socket, the real client library — every command, and the protocol's
 * failure modes (the server must answer them with errors and keep serving).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig, type F2bConfig, type ResolvedConfig } from '../src/config.js';
import { MemoryStore } from '../src/store.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import { ControlServer, assertSocketFree } from '../src/control/server.js';
import { ControlCommands } from '../src/control/handler.js';
import { ControlClient, controlRequest } from '../src/control/client.js';
import { LineDecoder, MAX_REQUEST_BYTES, errorBody, errorFromBody } from '../src/control/protocol.js';
import { F2bError } from '../src/errors.js';
import type { Ban, Unban } from '../src/types.js';
import { rejected } from './helpers.js';

const ATTACKER = '192.0.2.10';

function fixture() {
  const sources = new Map<string, SourceContext>();
  const calls: { jail: string; op: 'ban' | 'unban'; ids: string[] }[] = [];
  const filterPlugin = definePlugin({
    meta: { name: 'f2b-filter-ctl', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
    },
  });
  const sourcePlugin = definePlugin({
    meta: { name: 'f2b-source-ctl', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerSource({
        type: 'memory',
        create(_options, ctx) {
          return {
            start: async () => {
              sources.set(ctx.jail, ctx);
            },
            stop: async () => {
              if (sources.get(ctx.jail) === ctx) sources.delete(ctx.jail);
            },
          };
        },
      });
    },
  });
  const actionPlugin = definePlugin({
    meta: { name: 'f2b-action-ctl', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerAction({
        type: 'record',
        create(_options, ctx) {
          return {
            ban: async (bans: readonly Ban[]) => {
              calls.push({ jail: ctx.jail, op: 'ban', ids: bans.map((b) => b.id) });
            },
            unban: async (unbans: readonly Unban[]) => {
              calls.push({ jail: ctx.jail, op: 'unban', ids: unbans.map((u) => u.id) });
            },
          };
        },
      });
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'f2b-ctl-'));
  const daemon = new Daemon({
    searchFrom: [dir],
    logLevel: 'silent',
    store: new MemoryStore(),
    plugins: [filterPlugin, sourcePlugin, actionPlugin],
  });
  const push = async (jail: string, ...lines: string[]) => {
    const ctx = sources.get(jail);
    if (!ctx) throw new Error(`no running source for ${jail}`);
    ctx.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
    await daemon.jail(jail)!.flush();
  };
  return { daemon, push, calls, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const jail = (extra: Record<string, unknown> = {}) => ({
  source: { type: 'memory' },
  filter: 'demo',
  actions: ['record'],
  maxretry: 3,
  findtime: 600,
  bantime: 3600,
  ...extra,
});
const config = (jails: F2bConfig['jails']) => resolveConfig({ jails, state: { type: 'memory' }, socket: false });

/** A raw connection: write bytes, read response lines. */
function raw(path: string) {
  const sock: Socket = createConnection({ path });
  const decoder = new LineDecoder();
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  sock.on('data', (c: Buffer) => {
    lines.push(...decoder.push(c).lines);
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<void>((resolve) =>
    sock.on('close', () => {
      ended = true;
      waiters.splice(0).forEach((w) => w());
      resolve();
    }),
  );
  sock.on('error', () => {});
  return {
    sock,
    closed,
    send: (text: string | Buffer) => new Promise<void>((resolve) => sock.write(text, () => resolve())),
    async next(timeoutMs = 5000): Promise<Record<string, unknown>> {
      const deadline = Date.now() + timeoutMs;
      while (lines.length === 0) {
        if (ended) throw new Error('connection closed');
        if (Date.now() > deadline) throw new Error('no answer');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return JSON.parse(lines.shift()!);
    },
    close: () => sock.destroy(),
  };
}

describe('control socket over a real daemon', () => {
  const f = fixture();
  const sockPath = join(f.dir, 'run', 'sub', 'f2b.sock'); // parent directories do not exist yet
  let reloads = 0;
  let next: ResolvedConfig = config({ a: jail(), b: jail() });
  let server: ControlServer;
  let client: ControlClient;

  beforeAll(async () => {
    await f.daemon.start(config({ a: jail(), b: jail() }));
    const commands = new ControlCommands({
      daemon: f.daemon,
      reloadConfig: async () => {
        reloads++;
        return next;
      },
    });
    server = new ControlServer({ path: sockPath, handler: commands });
    await server.listen();
    client = await ControlClient.connect(sockPath);
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
    await f.daemon.stop();
    f.cleanup();
  });

  it('creates the socket mode 0600 in a new directory mode 0700', () => {
    expect(lstatSync(sockPath).isSocket()).toBe(true);
    expect(statSync(sockPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(f.dir, 'run', 'sub')).mode & 0o777).toBe(0o700);
  });

  it('ping', async () => {
    const r = await client.request<Record<string, unknown>>('ping');
    expect(r).toMatchObject({ pong: true, pid: process.pid, protocol: [1] });
    expect(typeof r.version).toBe('string');
    expect(typeof r.uptime).toBe('number');
  });

  it('status without a jail: names, count, state', async () => {
    expect(await client.request('status')).toEqual({
      jails: ['a', 'b'],
      count: 2,
      state: { kind: 'memory', location: ':memory:', available: true, pendingCheckpoints: 0, unsavedDecisions: 0, failedWrites: 0 },
      notWatching: [],
    });
  });

  it('status of a jail: counters, banned and failing ids', async () => {
    await f.push('a', `auth failure from ${ATTACKER}`, `auth failure from ${ATTACKER}`, `auth failure from ${ATTACKER}`, 'auth failure from 198.51.100.7');
    const s = await client.request<Record<string, unknown>>('status', { jail: 'a' });
    expect(s).toMatchObject({
      name: 'a',
      filter: 'demo',
      currentlyFailed: 1,
      totalFailed: 4,
      currentlyBanned: 1,
      totalBanned: 1,
      banned: [ATTACKER],
      failing: [{ id: '198.51.100.7', attempts: 1 }],
    });
    expect(typeof s.mode).toBe('string');
    const err = await rejected(client.request('status', { jail: 'nope' }));
    expect(err.code).toBe('F2B_ERR_CONTROL_UNKNOWN_JAIL');
    expect(err.fix).toContain('a, b');
  });

  it('ban: validated address, unknown jail, already banned', async () => {
    const r = await client.request<{ already: boolean; ban: Record<string, unknown> }>('ban', { jail: 'b', ip: '2001:DB8:0::5' });
    expect(r.already).toBe(false);
    expect(r.ban).toMatchObject({ jail: 'b', id: '2001:db8::5', rule: 'manual', count: 1 });
    expect((r.ban.end as number) - (r.ban.start as number)).toBe(3600_000);
    expect(f.calls).toContainEqual({ jail: 'b', op: 'ban', ids: ['2001:db8::5'] });
    expect((await client.request<{ already: boolean }>('ban', { jail: 'b', ip: '2001:db8::5' })).already).toBe(true);
    expect((await rejected(client.request('ban', { jail: 'b', ip: '300.1.2.3' }))).code).toBe('F2B_ERR_ADDRESS_INVALID');
    expect((await rejected(client.request('ban', { jail: 'zz', ip: '192.0.2.1' }))).code).toBe('F2B_ERR_CONTROL_UNKNOWN_JAIL');
    expect((await rejected(client.request('ban', { jail: 'b' }))).code).toBe('F2B_ERR_CONTROL_BAD_ARGS');
    expect((await rejected(client.request('ban', { jail: 'b', ip: 5 }))).code).toBe('F2B_ERR_CONTROL_BAD_ARGS');
  });

  it('banned: every ban in force', async () => {
    const list = await client.request<Record<string, unknown>[]>('banned');
    expect(list.map((b) => [b.jail, b.id, b.rule])).toEqual([
      ['a', ATTACKER, 'auth-failure'],
      ['b', '2001:db8::5', 'manual'],
    ]);
    expect(list[0]).toMatchObject({ count: 1 });
    expect(typeof list[0]!.start).toBe('number');
  });

  it('banned <ip>: which jails, since, until, why (rule and lines)', async () => {
    const r = await client.request<{ ip: string; banned: boolean; jails: string[]; bans: Record<string, unknown>[] }>('banned', { ip: ATTACKER });
    expect(r).toMatchObject({ ip: ATTACKER, banned: true, jails: ['a'] });
    expect(r.bans).toHaveLength(1);
    expect(r.bans[0]).toMatchObject({ jail: 'a', id: ATTACKER, rule: 'auth-failure', active: true, failures: 3 });
    expect(r.bans[0]!.lines).toContain(`auth failure from ${ATTACKER}`);
    const none = await client.request<{ banned: boolean; bans: unknown[] }>('banned', { ip: '203.0.113.99' });
    expect(none).toMatchObject({ banned: false, bans: [] });
    expect((await rejected(client.request('banned', { ip: 'not-an-ip' }))).code).toBe('F2B_ERR_ADDRESS_INVALID');
  });

  it('unban one address, then all; bad combinations are refused', async () => {
    expect((await rejected(client.request('unban', {}))).code).toBe('F2B_ERR_CONTROL_BAD_ARGS');
    expect((await rejected(client.request('unban', { ip: ATTACKER, all: true }))).code).toBe('F2B_ERR_CONTROL_BAD_ARGS');
    expect((await rejected(client.request('unban', { all: true, jail: 'zz' }))).code).toBe('F2B_ERR_CONTROL_UNKNOWN_JAIL');
    expect(await client.request('unban', { ip: ATTACKER })).toEqual({ unbanned: [{ jail: 'a', id: ATTACKER }] });
    expect(f.calls).toContainEqual({ jail: 'a', op: 'unban', ids: [ATTACKER] });
    expect(await client.request('unban', { ip: ATTACKER })).toEqual({ unbanned: [] });
    const past = await client.request<{ banned: boolean; bans: { active: boolean }[] }>('banned', { ip: ATTACKER });
    expect(past.banned).toBe(false);
    expect(past.bans.map((b) => b.active)).toEqual([false]);
    await client.request('ban', { jail: 'a', ip: '192.0.2.50' });
    await client.request('ban', { jail: 'a', ip: '192.0.2.51' });
    expect(await client.request('unban', { all: true, jail: 'a' })).toEqual({
      unbanned: [
        { jail: 'a', id: '192.0.2.50' },
        { jail: 'a', id: '192.0.2.51' },
      ],
    });
    expect(await client.request('unban', { all: true })).toEqual({ unbanned: [{ jail: 'b', id: '2001:db8::5' }] });
    expect(await client.request('banned')).toEqual([]);
  });

  it('reload re-reads the config (one jail name reloads all; unknown names are refused)', async () => {
    await client.request('ban', { jail: 'a', ip: '192.0.2.60' });
    next = config({ a: jail({ maxretry: 2 }), c: jail() });
    expect(await client.request('reload')).toEqual({ reloaded: ['a', 'c'], requested: null });
    expect(reloads).toBe(1);
    expect(f.daemon.jail('a')!.config.maxretry).toBe(2);
    expect((await client.request<{ banned: string[] }>('status', { jail: 'a' })).banned).toEqual(['192.0.2.60']); // bans survive
    expect(await client.request('reload', { jail: 'c' })).toEqual({ reloaded: ['a', 'c'], requested: 'c' });
    expect((await rejected(client.request('reload', { jail: 'zz' }))).code).toBe('F2B_ERR_CONTROL_UNKNOWN_JAIL');
    next = config({ a: jail(), b: jail() });
    await client.request('reload');
  });

  it('a failing reload answers with the config error and keeps the jails', async () => {
    const commands = new ControlCommands({
      daemon: f.daemon,
      reloadConfig: async () => resolveConfig({ jails: { a: { source: 'x', maxretry: 0 } } }, '/etc/f2b/f2b.config.json'),
    });
    const err = await rejected(commands.handle('reload', {}, { afterResponse: () => {} }));
    expect(err.code).toBe('F2B_ERR_CONFIG_INVALID');
    expect(f.daemon.jails.map((j) => j.name)).toEqual(['a', 'b']);
  });

  it('malformed JSON, unknown version/command, bad args: errors, and the connection keeps serving', async () => {
    const c = raw(sockPath);
    try {
      await c.send('{"v":1,"id":1,"cmd":\n');
      expect(await c.next()).toMatchObject({ v: 1, id: null, ok: false, error: { code: 'F2B_ERR_CONTROL_MALFORMED' } });
      await c.send('[1,2]\n');
      expect((await c.next()).error.code).toBe('F2B_ERR_CONTROL_MALFORMED');
      await c.send('{"v":2,"id":2,"cmd":"ping"}\n');
      const v = await c.next();
      expect(v).toMatchObject({ v: 1, id: 2, ok: false, error: { code: 'F2B_ERR_CONTROL_VERSION' } });
      expect(v.error.message).toContain('supports version(s) 1');
      await c.send('{"v":1,"id":3,"cmd":"explode"}\n');
      const u = await c.next();
      expect(u).toMatchObject({ id: 3, ok: false, error: { code: 'F2B_ERR_CONTROL_UNKNOWN_COMMAND' } });
      expect(u.error.fix).toContain('ping, status, ban, unban, banned, explain, reload, stop');
      await c.send('{"v":1,"id":4,"cmd":"status","args":[]}\n');
      expect((await c.next()).error.code).toBe('F2B_ERR_CONTROL_MALFORMED');
      await c.send('{"v":1,"id":5,"cmd":"status","args":{"jial":"a"}}\n');
      expect(await c.next()).toMatchObject({ id: 5, ok: false, error: { code: 'F2B_ERR_CONTROL_BAD_ARGS' } });
      await c.send('{"v":1,"id":"six","cmd":"ban","args":{"jail":"a","ip":"999.1.1.1"}}\n');
      expect(await c.next()).toMatchObject({ id: 'six', ok: false, error: { code: 'F2B_ERR_ADDRESS_INVALID' } });
      // Two requests in one write, one split across writes: answered in order.
      await c.send('{"v":1,"id":7,"cmd":"ping"}\n{"v":1,"id":8,"cmd":"status"}\n{"v":1,"id":9,');
      await c.send('"cmd":"ping"}\r\n');
      expect((await c.next()).id).toBe(7);
      expect((await c.next()).result.count).toBe(2);
      expect(await c.next()).toMatchObject({ id: 9, ok: true, result: { pong: true } });
    } finally {
      c.close();
    }
  });

  it('an oversized request gets an error and the connection is closed; the server still answers', async () => {
    const c = raw(sockPath);
    await c.send(Buffer.alloc(MAX_REQUEST_BYTES + 1024, 0x61));
    expect(await c.next()).toMatchObject({ ok: false, error: { code: 'F2B_ERR_CONTROL_TOO_LARGE' } });
    await c.closed;
    // Also a complete line that is too long.
    const d = raw(sockPath);
    await d.send(`{"v":1,"id":1,"cmd":"ping","args":{"x":"${'y'.repeat(MAX_REQUEST_BYTES)}"}}\n`);
    expect((await d.next()).error.code).toBe('F2B_ERR_CONTROL_TOO_LARGE');
    await d.closed;
    expect(await controlRequest(sockPath, 'ping')).toMatchObject({ pong: true });
  });

  it('answers a client that sends its request and closes its side', async () => {
    const c = raw(sockPath);
    c.sock.end('{"v":1,"id":1,"cmd":"ping"}\n');
    expect(await c.next()).toMatchObject({ id: 1, ok: true });
    await c.closed;
  });

  it('serves 50 concurrent clients', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => controlRequest<Record<string, unknown>>(sockPath, i % 2 === 0 ? 'ping' : 'status')));
    expect(results.filter((r) => r.pong === true)).toHaveLength(25);
    expect(results.filter((r) => r.count === 2)).toHaveLength(25);
    // And 50 clients connected at once, each with several requests in flight.
    const clients = await Promise.all(Array.from({ length: 50 }, () => ControlClient.connect(sockPath)));
    try {
      const answers = await Promise.all(clients.flatMap((c) => [c.request('ping'), c.request('banned'), c.request('status', { jail: 'a' })]));
      expect(answers).toHaveLength(150);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('refuses to start a second server on a live socket', async () => {
    const second = new ControlServer({ path: sockPath, handler: new ControlCommands({ daemon: f.daemon }) });
    const err = await rejected(second.listen());
    expect(err.code).toBe('F2B_ERR_CONTROL_IN_USE');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(await controlRequest(sockPath, 'ping')).toMatchObject({ pong: true }); // the first one is untouched
  });

  it('refuses reload and stop when not given the means', async () => {
    const commands = new ControlCommands({ daemon: f.daemon });
    const ctx = { afterResponse: () => {} };
    expect((await rejected(commands.handle('reload', {}, ctx))).code).toBe('F2B_ERR_CONTROL_UNSUPPORTED');
    expect((await rejected(commands.handle('stop', {}, ctx))).code).toBe('F2B_ERR_CONTROL_UNSUPPORTED');
  });
});

describe('control socket lifecycle', () => {
  it('stop answers first, then runs the stop callback; later commands are refused; close removes the socket', async () => {
    const f = fixture();
    const path = join(f.dir, 'f2b.sock');
    try {
      await f.daemon.start(config({ a: jail() }));
      let server: ControlServer;
      const stopped = new Promise<void>((resolve) => {
        server = new ControlServer({ path, handler: new ControlCommands({ daemon: f.daemon, stop: () => resolve() }) });
      });
      await server!.listen();
      const c = await ControlClient.connect(path);
      expect(await c.request('stop')).toEqual({ stopping: true, pid: process.pid });
      await stopped;
      expect((await rejected(c.request('ping'))).code).toBe('F2B_ERR_CONTROL_STOPPING');
      await server!.close();
      expect(existsSync(path)).toBe(false);
      expect((await rejected(c.request('ping'))).code).toMatch(/F2B_ERR_CONTROL_(CLOSED|NOT_RUNNING)/);
      c.close();
    } finally {
      await f.daemon.stop();
      f.cleanup();
    }
  });

  it('removes a stale socket file left by a crash', async () => {
    const f = fixture();
    const path = join(f.dir, 'f2b.sock');
    try {
      // A process that dies (SIGKILL) while listening leaves its socket file behind.
      spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      expect(lstatSync(path).isSocket()).toBe(true);
      expect((await rejected(controlRequest(path, 'ping'))).code).toBe('F2B_ERR_CONTROL_NOT_RUNNING');
      const server = new ControlServer({ path, handler: new ControlCommands({ daemon: f.daemon }) });
      await server.listen();
      expect(await controlRequest(path, 'ping')).toMatchObject({ pong: true });
      await server.close();
    } finally {
      f.cleanup();
    }
  });

  it('does not remove a file that is not a socket', async () => {
    const f = fixture();
    const path = join(f.dir, 'f2b.sock');
    try {
      writeFileSync(path, 'precious');
      const err = await rejected(assertSocketFree(path));
      expect(err.code).toBe('F2B_ERR_CONTROL_SOCKET');
      expect(existsSync(path)).toBe(true);
    } finally {
      f.cleanup();
    }
  });

  it('refuses a directory that other users may write to (they could replace the socket)', async () => {
    const f = fixture();
    const dir = join(f.dir, 'open');
    try {
      mkdirSync(dir, { mode: 0o777 });
      chmodSync(dir, 0o777);
      const err = await rejected(new ControlServer({ path: join(dir, 'f2b.sock'), handler: new ControlCommands({ daemon: f.daemon }) }).listen());
      expect(err.code).toBe('F2B_ERR_CONTROL_SOCKET');
      expect(err.message).toContain('is writable by its group and others (mode 0777); another user could replace the socket');
      chmodSync(dir, 0o1777); // sticky, like /tmp: fine
      const server = new ControlServer({ path: join(dir, 'f2b.sock'), handler: new ControlCommands({ daemon: f.daemon }) });
      await server.listen();
      await server.close();
    } finally {
      f.cleanup();
    }
  });

  it('closes idle connections', async () => {
    const f = fixture();
    const path = join(f.dir, 'f2b.sock');
    const server = new ControlServer({ path, handler: new ControlCommands({ daemon: f.daemon }), idleTimeoutMs: 200 });
    try {
      await server.listen();
      const c = raw(path);
      const t0 = Date.now();
      await c.closed;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
      for (let i = 0; i < 50 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.connections).toBe(0);
    } finally {
      await server.close();
      f.cleanup();
    }
  });

  it('drops a client that sends without reading its answers; others are still served', async () => {
    const f = fixture();
    const path = join(f.dir, 'f2b.sock');
    const server = new ControlServer({ path, handler: new ControlCommands({ daemon: f.daemon }), idleTimeoutMs: 300 });
    try {
      await server.listen();
      const c = raw(path);
      c.sock.pause(); // never reads
      void c.send('{"v":1,"id":1,"cmd":"ping"}\n'.repeat(40_000));
      await c.closed;
      expect(await controlRequest(path, 'ping')).toMatchObject({ pong: true });
    } finally {
      await server.close();
      f.cleanup();
    }
  });

  it('a socket path that is too long is refused with a clear error', async () => {
    const err = await rejected(new ControlServer({ path: `/tmp/${'x'.repeat(120)}/f2b.sock`, handler: { handle: async () => null } }).listen());
    expect(err.code).toBe('F2B_ERR_CONTROL_SOCKET');
    expect(err.message).toContain('longer than 107 bytes');
  });

  it('client errors: no socket → not running', async () => {
    const err = await rejected(controlRequest('/tmp/f2b-no-such-dir-xyz/f2b.sock', 'ping'));
    expect(err.code).toBe('F2B_ERR_CONTROL_NOT_RUNNING');
    expect(err.message).toContain('/tmp/f2b-no-such-dir-xyz/f2b.sock');
    expect(err.fix).toContain('f2b start');
  });
});

describe('error bodies on the wire', () => {
  it('carry the exit class, so a client that never loaded the code still exits as it deserves', () => {
    const body = errorBody(new F2bError('F2B_ERR_SOME_PLUGIN_THING', 'It went wrong.', { fix: 'Fix it.', exit: 'usage' }));
    expect(body).toEqual({ code: 'F2B_ERR_SOME_PLUGIN_THING', message: 'It went wrong.', fix: 'Fix it.', exit: 'usage' });
    expect(errorFromBody(body).exit).toBe('usage');
    // An older daemon sends no exit (or a client sees nonsense): the code's table decides, else failure.
    expect(errorFromBody({ code: 'F2B_ERR_SOME_PLUGIN_THING', message: 'x' }).exit).toBe('failure');
    expect(errorFromBody({ code: 'F2B_ERR_SOME_PLUGIN_THING', message: 'x', exit: 'bogus' as never }).exit).toBe('failure');
  });
});
