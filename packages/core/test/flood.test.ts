/**
 * Bounded under a flood: a jail tracks at most `maxTracked` sources (forgetting the one that failed
 * least recently, never a banned one), says so, answers `status` with counts and the first addresses
 * (the rest paged), and drops stored failures once they left findtime.
 */
import { describe, expect, it } from 'vitest';
import { DefaultTracker } from '../src/tracker.js';
import { parseIp } from '../src/ip.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { Daemon } from '../src/daemon.js';
import { resolveConfig } from '../src/config.js';
import { MemoryStore } from '../src/store.js';
import { ControlCommands } from '../src/control/handler.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import type { Failure } from '../src/types.js';

const START = Date.UTC(2024, 0, 15, 12, 0, 0);

function tracker(maxTracked?: number) {
  const clock = new FakeClock(START);
  const evicted: string[] = [];
  const t = new DefaultTracker({
    jail: 'sshd',
    findtime: 600,
    maxretry: 3,
    bantime: 600,
    clock,
    maxTracked,
    onExpire: () => undefined,
    onEvict: (id) => evicted.push(id),
  });
  const fail = (id: string, lines = [`line for ${id}`]) => {
    const outcome = t.add({ id, ip: parseIp(id)!, time: clock.now(), attempts: 1, rule: 'r', captures: {}, lines, filter: 'sshd' } as Failure & {
      ip: NonNullable<Failure['ip']>;
    });
    return outcome.kind === 'banned' ? outcome.ban : null;
  };
  return { clock, t, fail, evicted };
}

describe('Tracker under a flood', () => {
  it('forgets the source that failed least recently once maxTracked is reached, never a banned one', () => {
    const { t, fail, evicted, clock } = tracker(3);
    fail('198.51.100.1');
    fail('198.51.100.1');
    fail('198.51.100.1'); // banned
    fail('198.51.100.2');
    clock.advance(1000);
    fail('198.51.100.3');
    fail('198.51.100.2'); // .2 failed again: now .3 is the least recent
    fail('198.51.100.4'); // 1 ban + 3 failing > 3: one failing source goes
    expect(evicted).toEqual(['198.51.100.3']);
    expect(t.banOf(parseIp('198.51.100.1')!)).toBeDefined();
    expect([...t.failing().keys()].sort()).toEqual(['198.51.100.2', '198.51.100.4']);
    // A forgotten source starts again from zero.
    fail('198.51.100.3');
    expect(t.failing().get('198.51.100.3')).toBe(1);
  });

  it('top failing, counts and a live listing, without building the whole list', () => {
    const { t, fail } = tracker();
    for (let i = 0; i < 50; i++) fail(`203.0.113.${i}`);
    fail('203.0.113.7');
    fail('203.0.113.9');
    expect(t.failingSummary(3)).toEqual({
      count: 50,
      top: [
        { id: '203.0.113.7', attempts: 2 },
        { id: '203.0.113.9', attempts: 2 },
        { id: '203.0.113.0', attempts: 1 },
      ],
    });
    expect([...t.failingEntries()]).toHaveLength(50);
  });

  it('a window keeps the lines of its failures in the window, also after the first expired', () => {
    const { t, fail, clock } = tracker();
    fail('192.0.2.99', ['a']);
    clock.advance(500_000);
    fail('192.0.2.99', ['b']);
    clock.advance(200_000); // 'a' left the window
    const ban = fail('192.0.2.99', ['c', 'd']);
    expect(ban).toBeNull(); // 2 attempts in the window: b and c+d's one failure
    expect(t.failing().get('192.0.2.99')).toBe(2);
    const banned = fail('192.0.2.99', ['e']);
    expect(banned!.lines).toEqual(['b', 'c', 'd', 'e']);
  });
});

describe('a jail under a flood', () => {
  const flooder = { contexts: new Map<string, SourceContext>(), plugin: undefined as unknown as ReturnType<typeof definePlugin> };
  function fixture(jail: Record<string, unknown>) {
    const contexts = flooder.contexts;
    const plugin = definePlugin({
      meta: { name: 'f2b-plugin-flood-test', version: '1.0.0', core: '*' },
      apply(core) {
        core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
        core.registerSource({
          type: 'memory',
          create: (_o, ctx) => ({
            start: async () => {
              contexts.set(ctx.jail, ctx);
            },
            stop: async () => undefined,
          }),
        });
        core.registerAction({ type: 'none', create: () => ({ ban: async () => undefined, unban: async () => undefined }) });
      },
    });
    flooder.plugin = plugin;
    const clock = new FakeClock(START);
    const store = new MemoryStore();
    const daemon = new Daemon({ searchFrom: [], clock, logLevel: 'silent', plugins: [plugin], store });
    const warnings: string[] = [];
    const config = resolveConfig({
      jails: { web: { source: { type: 'memory' }, filter: 'demo', actions: ['none'], ignoreself: false, ...jail } },
      socket: false,
    });
    const push = async (lines: string[]) => {
      await contexts.get('web')!.lines(
        lines.map((l) => Buffer.from(l)),
        'memory',
      );
    };
    return { daemon, clock, store, warnings, config, push };
  }
  const ip = (i: number) => `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;

  it('counts and warns (rate-limited) when it forgets sources, and status stays small', async () => {
    const f = fixture({ maxTracked: 1000, maxretry: 5 });
    await f.daemon.start(f.config);
    const warn = f.daemon.core.logger.warn.bind(f.daemon.core.logger);
    f.daemon.core.logger.warn = (msg: string, fields?: Record<string, unknown>) => {
      f.warnings.push(msg);
      warn(msg, fields);
    };
    await f.push(Array.from({ length: 3000 }, (_, i) => `auth failure from ${ip(i)}`));
    const jail = f.daemon.jail('web')!;
    expect(jail.stats.evicted).toBe(2000);
    expect(f.warnings.filter((w) => w.includes('maxTracked'))).toHaveLength(1);
    const status = jail.status(10);
    expect(status).toMatchObject({ currentlyFailed: 1000, evicted: 2000, maxTracked: 1000, more: { failing: 990, banned: 0 } });
    expect(status.failing).toHaveLength(10);
    // The newest 1000 sources are the ones still tracked.
    expect(status.failing.every((x) => Number.parseInt(x.id.split(':').pop()!, 16) >= 2000)).toBe(true);
    await f.daemon.stop();
  });

  it('pages through every failing address with cursors', async () => {
    const f = fixture({ maxretry: 5 });
    await f.daemon.start(f.config);
    await f.push(Array.from({ length: 2500 }, (_, i) => `auth failure from ${ip(i)}`));
    const commands = new ControlCommands({ daemon: f.daemon });
    const ctx = { afterResponse: () => undefined };
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = (await commands.handle('status', { jail: 'web', list: 'failing', limit: 1000, ...(cursor ? { cursor } : {}) }, ctx)) as {
        items: { id: string }[];
        cursor: string | null;
      };
      seen.push(...page.items.map((x) => x.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(2500);
    await expect(commands.handle('status', { jail: 'web', list: 'failing', cursor: 'nope' }, ctx)).rejects.toMatchObject({ code: 'F2B_ERR_CONTROL_BAD_ARGS' });
    const small = (await commands.handle('status', { jail: 'web' }, ctx)) as { failing: unknown[]; more: { failing: number } };
    expect(small.failing).toHaveLength(100);
    expect(small.more.failing).toBe(2400);
    await f.daemon.stop();
  });

  it('a ban record has the lines of its whole window from the store, also those read before a restart (the tracker keeps none)', async () => {
    const f = fixture({ maxretry: 3, findtime: '10m' });
    await f.daemon.start(f.config);
    await f.push(['auth failure from 192.0.2.7', 'auth failure from 2001:db8::1']);
    await f.daemon.jail('web')!.flush();
    await f.daemon.stop();
    // A new daemon on the same store: the window comes back from the failure rows.
    const again = new Daemon({ searchFrom: [], clock: f.clock, logLevel: 'silent', plugins: [flooder.plugin], store: f.store });
    flooder.contexts.clear();
    await again.start(f.config);
    f.clock.advance(1000);
    const ctx = flooder.contexts.get('web')!;
    await ctx.lines([Buffer.from('auth failure from 192.0.2.7')], 'memory');
    await ctx.lines([Buffer.from('auth failure from 192.0.2.7')], 'memory');
    const jail = again.jail('web')!;
    await jail.flush();
    const lines = ['auth failure from 192.0.2.7', 'auth failure from 192.0.2.7', 'auth failure from 192.0.2.7'];
    expect((await f.store.bansOf('192.0.2.7'))[0]!.lines).toEqual(lines);
    // The jail's own record of the ban in force has them too (what a reload hands to new actions).
    expect(jail.banOf('192.0.2.7')!.lines).toEqual(lines);
    await again.stop();
  });

  it('back-pressure: while checkpoints lag, lines() returns a promise that resolves once the batch is written', async () => {
    const f = fixture({ maxretry: 5 });
    let release: () => void = () => undefined;
    let gate: Promise<void> | null = null;
    const checkpoint = f.store.checkpoint.bind(f.store);
    f.store.checkpoint = async (c) => {
      if (gate) await gate;
      return checkpoint(c);
    };
    await f.daemon.start(f.config);
    const ctx = flooder.contexts.get('web')!;
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`auth failure from ${ip(from + i)}`));
    // A few lines: no waiting.
    expect(ctx.lines(batch(0, 100), 'memory')).toBeUndefined();
    await f.daemon.jail('web')!.flush();
    // The store stalls; a flood beyond the high-water mark is asked to wait.
    gate = new Promise<void>((r) => {
      release = r;
    });
    expect(ctx.lines(batch(100, 15_000), 'memory')).toBeUndefined();
    await new Promise((r) => setImmediate(r)); // the batch of those 15,000 is now being written (stalled)
    const wait = ctx.lines(batch(15_100, 25_000), 'memory');
    expect(wait).toBeInstanceOf(Promise);
    let resolved = false;
    void (wait as Promise<void>).then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false); // still waiting for the store
    gate = null;
    release();
    await wait;
    await f.daemon.jail('web')!.flush();
    expect(await f.store.failuresSince('web', 0)).toHaveLength(40_100);
    await f.daemon.stop();
  });

  it('drops stored failures once they left findtime, not at purgeAge', async () => {
    const f = fixture({ maxretry: 5, findtime: '10m' });
    await f.daemon.start(f.config);
    await f.push(Array.from({ length: 12_000 }, (_, i) => `auth failure from ${ip(i)}`));
    await f.daemon.jail('web')!.flush();
    expect(await f.store.failuresSince('web', 0)).toHaveLength(12_000);
    f.clock.advance(11 * 60_000); // findtime is over (the minute's purge runs on the clock's timer)
    await f.daemon.purgeFailures();
    expect(await f.store.failuresSince('web', 0)).toHaveLength(0);
    await f.daemon.stop();
  });
});
