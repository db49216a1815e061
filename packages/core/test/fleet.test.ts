/**
 * The fleet hook point of the core, with an inline fleet plugin that records what it is handed:
 * the config shape (`fleet`, `jails.*.fleet`, `${env:…}` in the URL), local bans/unbans/counted
 * failures handed to the fleet, received bans applied through the jail with their origin and never
 * handed back, the receiving host's ignoreip respected, expired bans not applied, and a decision of
 * the fleet-wide count banning here.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { loadConfig, resolveConfig } from '../src/config.js';
import { definePlugin } from '../src/plugin.js';
import { MemoryStore } from '../src/store.js';
import type { FleetContext, FleetInstance, FleetJail } from '../src/fleet.js';
import type { Ban, Failure, Unban } from '../src/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function recordingFleet() {
  const handed: { op: 'ban' | 'unban' | 'failure'; id: string; jail: FleetJail }[] = [];
  let ctx!: FleetContext;
  const plugin = definePlugin({
    meta: { name: 'f2b-fleet-record', version: '1.0.0', core: '*' },
    apply(api) {
      api.registerFleet({
        type: 'record',
        schema: { type: 'object', additionalProperties: false, properties: { url: { type: 'string' } } },
        create(_options, c): FleetInstance {
          ctx = c;
          return {
            start: async () => {},
            stop: async () => {},
            ban: (b: Ban, jail) => {
              handed.push({ op: 'ban', id: b.id, jail });
            },
            unban: (u: Unban, jail) => {
              handed.push({ op: 'unban', id: u.id, jail });
            },
            failure: (f, jail) => {
              handed.push({ op: 'failure', id: f.id, jail });
            },
            status: () => ({
              type: 'record',
              name: 'n',
              host: c.host,
              connected: true,
              hosts: [],
              queued: 0,
              lag: { lastMs: null, maxMs: null },
              received: 0,
              published: 0,
              refused: 0,
            }),
          };
        },
      });
    },
  });
  const source = definePlugin({
    meta: { name: 'f2b-source-none', version: '1.0.0', core: '*' },
    apply(api) {
      api.registerFilter({ id: 'demo', rules: [{ id: 'auth', pattern: '^auth failure from <HOST>$' }] });
      api.registerSource({ type: 'none', create: () => ({ start: async () => {}, stop: async () => {} }) });
      api.registerAction({ type: 'nop', create: () => ({ ban: async () => {}, unban: async () => {} }) });
      // What a dry run puts in place of every action.
      api.registerAction({ type: 'log', create: () => ({ ban: async () => {}, unban: async () => {} }) });
    },
  });
  return { handed, plugins: [plugin, source], ctx: () => ctx };
}

const failure = (id: string): Failure => ({
  id,
  time: Date.now(),
  attempts: 1,
  rule: 'auth',
  captures: {},
  lines: [`auth failure from ${id}`],
  filter: 'demo',
});

describe('config: fleet', () => {
  it("resolves the fleet (type, host, the plugin's options) and each jail's sharing, on by default", () => {
    const c = resolveConfig({
      state: { type: 'memory' },
      socket: false,
      fleet: { type: 'redis', url: 'redis://127.0.0.1:6379/0', name: 'prod', host: 'web-1' },
      jails: { a: { source: 'x.log', filter: 'demo' }, b: { source: 'y.log', filter: 'demo', fleet: { failures: false } } },
    });
    expect(c.fleet).toEqual({ type: 'redis', host: 'web-1', options: { url: 'redis://127.0.0.1:6379/0', name: 'prod' } });
    expect(c.jails.map((j) => j.fleet)).toEqual([
      { failures: true, bans: true },
      { failures: false, bans: true },
    ]);
    expect(resolveConfig({ state: { type: 'memory' }, socket: false, jails: { a: { source: 'x', filter: 'demo' } } }).fleet).toBeNull();
    expect(() => resolveConfig({ socket: false, fleet: { type: 'redis', host: 'bad host' }, jails: {} })).toThrow(/fleet\.host/);
    expect(() => resolveConfig({ socket: false, jails: { a: { source: 'x', fleet: { everything: true } as never } } })).toThrow(/jails\.a\.fleet/);
  });

  it('takes the password of the URL from the environment (${env:NAME})', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-fleet-cfg-'));
    dirs.push(dir);
    const file = join(dir, 'f2b.config.json');
    writeFileSync(file, JSON.stringify({ socket: false, fleet: { type: 'redis', url: 'redis://f2b:${env:F2B_TEST_FLEET_PW}@127.0.0.1:6379/0' }, jails: {} }));
    process.env.F2B_TEST_FLEET_PW = 'from-the-env';
    try {
      const loaded = await loadConfig(file, dir);
      expect(resolveConfig(loaded!.config, file).fleet!.options.url).toBe('redis://f2b:from-the-env@127.0.0.1:6379/0');
    } finally {
      delete process.env.F2B_TEST_FLEET_PW;
    }
  });
});

describe('the fleet hook point', () => {
  async function daemon(dryRun = false) {
    const rec = recordingFleet();
    const d = new Daemon({ searchFrom: [], plugins: rec.plugins, store: new MemoryStore(), logLevel: 'error', dryRun });
    await d.start(
      resolveConfig({
        socket: false,
        state: { type: 'memory' },
        fleet: { type: 'record', host: 'here', url: 'x' },
        jails: {
          sshd: { source: { type: 'none' }, filter: 'demo', actions: ['nop'], maxretry: 3, ignoreself: false, ignoreip: ['198.51.100.0/24'] },
          quiet: { source: { type: 'none' }, filter: 'demo', actions: ['nop'], maxretry: 3, ignoreself: false, fleet: { bans: false, failures: false } },
        },
      }),
    );
    return { d, ...rec };
  }

  it('hands local bans, unbans by hand and counted failures to the fleet; not those of a jail that shares nothing', async () => {
    const { d, handed } = await daemon();
    try {
      const sshd = d.jail('sshd')!;
      sshd.failure(failure('203.0.113.1'));
      sshd.ban('203.0.113.2');
      await sshd.flush();
      sshd.unban('203.0.113.2');
      await sshd.flush();
      d.jail('quiet')!.ban('203.0.113.3');
      d.jail('quiet')!.failure(failure('203.0.113.4'));
      await d.jail('quiet')!.flush();
      expect(handed.map((h) => `${h.op} ${h.id}`)).toEqual(['failure 203.0.113.1', 'ban 203.0.113.2', 'unban 203.0.113.2']);
      expect(handed[0]!.jail).toMatchObject({ name: 'sshd', maxretry: 3, failures: true, bans: true });
      expect(d.fleet!.status()!.host).toBe('here');
    } finally {
      await d.stop();
    }
  });

  it("a dry run receives the fleet's bans and publishes nothing of its own", async () => {
    const { d, handed, ctx } = await daemon(true);
    try {
      const sshd = d.jail('sshd')!;
      sshd.failure(failure('203.0.113.1'));
      sshd.ban('203.0.113.2');
      await sshd.flush();
      expect(ctx().applyBan({ jail: 'sshd', id: '203.0.113.3', end: Date.now() + 60_000, origin: 'web-2' })).toBe('applied');
      await sshd.flush();
      expect(handed).toEqual([]);
    } finally {
      await d.stop();
    }
  });

  it('applies received bans with their origin and end, never hands them back; refuses ignored addresses and expired bans', async () => {
    const { d, handed, ctx } = await daemon();
    try {
      const end = Date.now() + 600_000;
      expect(ctx().applyBan({ jail: 'sshd', id: '203.0.113.9', end, origin: 'web-2', failures: 5 })).toBe('applied');
      expect(ctx().applyBan({ jail: 'sshd', id: '203.0.113.9', end, origin: 'web-3' })).toBe('known');
      expect(ctx().applyBan({ jail: 'sshd', id: '198.51.100.9', end, origin: 'web-2' })).toBe('refused');
      expect(ctx().applyBan({ jail: 'sshd', id: '127.0.0.1', end, origin: 'web-2' })).toBe('refused');
      expect(ctx().applyBan({ jail: 'sshd', id: '203.0.113.10', end: Date.now() - 1, origin: 'web-2' })).toBe('expired');
      expect(ctx().applyBan({ jail: 'quiet', id: '203.0.113.11', end, origin: 'web-2' })).toBe('ignored');
      expect(ctx().applyBan({ jail: 'nosuch', id: '203.0.113.11', end, origin: 'web-2' })).toBe('ignored');
      const jail = d.jail('sshd')!;
      await jail.flush();
      const ban = jail.banOf('203.0.113.9')!;
      expect(ban).toMatchObject({ origin: 'web-2', rule: 'fleet:web-2', end, failures: 5 });
      expect(ctx().applyUnban({ jail: 'sshd', id: '203.0.113.9', origin: 'web-2' })).toBe(true);
      await jail.flush();
      expect(jail.banOf('203.0.113.9')).toBeUndefined();
      // Nothing received went back to the fleet.
      expect(handed).toEqual([]);
      // The fleet-wide count decided here: a ban of this host, which the fleet then shares.
      const decided = ctx().decideBan('sshd', '203.0.113.12', 3)!;
      expect(decided.rule).toBe('fleet-count');
      expect(ctx().decideBan('sshd', '203.0.113.12', 3)).toBeNull();
      expect(ctx().decideBan('sshd', '198.51.100.12', 3)).toBeNull();
      await jail.flush();
      expect(handed.map((h) => `${h.op} ${h.id}`)).toEqual(['ban 203.0.113.12']);
    } finally {
      await d.stop();
    }
  });
});

describe('the fleet across reloads', () => {
  /** A fleet plugin that keeps every instance it made: its options, host, what it was handed, when it stopped. */
  function instancesFleet() {
    const made: { url: unknown; host: string; handed: string[]; started: boolean; stopped: boolean }[] = [];
    let gate: Promise<void> | null = null;
    let stopping: (() => void) | null = null;
    const plugin = definePlugin({
      meta: { name: 'f2b-fleet-instances', version: '1.0.0', core: '*' },
      apply(api) {
        api.registerFleet({
          type: 'inst',
          schema: { type: 'object', additionalProperties: false, properties: { url: { type: 'string' } } },
          create(options, c): FleetInstance {
            const me = { url: options.url, host: c.host, handed: [] as string[], started: false, stopped: false };
            made.push(me);
            return {
              start: async () => {
                me.started = true;
              },
              stop: async () => {
                stopping?.();
                await gate;
                me.stopped = true;
              },
              ban: (b: Ban) => {
                me.handed.push(`ban ${b.id}`);
              },
              unban: (u: Unban) => {
                me.handed.push(`unban ${u.id}`);
              },
              failure: () => {},
              status: () => ({
                type: 'inst',
                name: String(options.url),
                host: c.host,
                connected: true,
                hosts: [],
                queued: 0,
                lag: { lastMs: null, maxMs: null },
                received: 0,
                published: 0,
                refused: 0,
              }),
            };
          },
        });
      },
    });
    const rec = recordingFleet();
    return {
      made,
      plugins: [plugin, rec.plugins[1]!],
      /** The next stop waits until `release()`; resolves when it has begun. */
      holdStop(): { begun: Promise<void>; release(): void } {
        let release!: () => void;
        gate = new Promise((r) => (release = r));
        const begun = new Promise<void>((r) => (stopping = r));
        return {
          begun,
          release: () => {
            stopping = null;
            release();
          },
        };
      },
    };
  }

  const config = (fleet: Record<string, unknown> | undefined) =>
    resolveConfig({
      socket: false,
      state: { type: 'memory' },
      ...(fleet ? { fleet: { type: 'inst', ...fleet } } : {}),
      jails: { sshd: { source: { type: 'none' }, filter: 'demo', actions: ['nop'], maxretry: 3, ignoreself: false } },
    });

  it('the same section keeps its instance; another one replaces it, and what is decided during the switch goes to the new one', async () => {
    const f = instancesFleet();
    const d = new Daemon({ searchFrom: [], plugins: f.plugins, store: new MemoryStore(), logLevel: 'error' });
    await d.start(config({ host: 'web-1', url: 'a' }));
    try {
      await d.reload(config({ host: 'web-1', url: 'a' }));
      expect(f.made).toHaveLength(1);
      expect(f.made[0]!.stopped).toBe(false);

      const hold = f.holdStop();
      const reloading = d.reload(config({ host: 'web-1b', url: 'b' }));
      await hold.begun;
      // The old instance is stopping, the new one not attached yet: this ban is held for it.
      d.jail('sshd')!.ban('203.0.113.40');
      await d.jail('sshd')!.flush();
      hold.release();
      await reloading;
      expect(f.made).toHaveLength(2);
      expect(f.made[0]).toMatchObject({ stopped: true, handed: [] });
      expect(f.made[1]).toMatchObject({ url: 'b', host: 'web-1b', started: true, stopped: false, handed: ['ban 203.0.113.40'] });
      expect(d.fleet!.status()!.host).toBe('web-1b');
      // Handed once, to the running instance only (the hooks are not tapped twice).
      d.jail('sshd')!.ban('203.0.113.41');
      await d.jail('sshd')!.flush();
      expect(f.made[1]!.handed).toEqual(['ban 203.0.113.40', 'ban 203.0.113.41']);
    } finally {
      await d.stop();
    }
    expect(f.made[1]!.stopped).toBe(true);
  });

  it('removed: the instance stops and later bans stay local; added again: a new instance, nothing from meanwhile', async () => {
    const f = instancesFleet();
    const d = new Daemon({ searchFrom: [], plugins: f.plugins, store: new MemoryStore(), logLevel: 'error' });
    await d.start(config({ url: 'a' }));
    try {
      await d.reload(config(undefined));
      expect(f.made[0]!.stopped).toBe(true);
      expect(d.fleet).toBeNull();
      d.jail('sshd')!.ban('203.0.113.42');
      await d.jail('sshd')!.flush();
      await d.reload(config({ url: 'a' }));
      expect(f.made).toHaveLength(2);
      d.jail('sshd')!.ban('203.0.113.43');
      await d.jail('sshd')!.flush();
      expect(f.made.map((m) => m.handed)).toEqual([[], ['ban 203.0.113.43']]);
    } finally {
      await d.stop();
    }
  });

  it('a section that cannot work fails the reload and leaves the running jails and instance alone', async () => {
    const f = instancesFleet();
    const d = new Daemon({ searchFrom: [], plugins: f.plugins, store: new MemoryStore(), logLevel: 'error' });
    await d.start(config({ url: 'a' }));
    try {
      const jail = d.jail('sshd');
      await expect(d.reload(config({ url: 'a', nonsense: 1 }))).rejects.toThrow(/nonsense/);
      expect(d.jail('sshd')).toBe(jail); // the running jails were not replaced either
      expect(f.made).toHaveLength(1);
      expect(f.made[0]!.stopped).toBe(false);
      d.jail('sshd')!.ban('203.0.113.44');
      await d.jail('sshd')!.flush();
      expect(f.made[0]!.handed).toEqual(['ban 203.0.113.44']);
    } finally {
      await d.stop();
    }
  });
});
