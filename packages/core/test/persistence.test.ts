/**
 * State across restarts and the features built on it: bans restored to the actions, bans expired
 * while down unbanned, failures continuing their findtime window, the outbox retrying failed actions,
 * escalating bantime and repeat offenders (recidive). A restart is two Daemons over one store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/daemon.js';
import { resolveConfig, type F2bConfig } from '../src/config.js';
import { MemoryStore } from '../src/store.js';
import { FakeClock } from '../src/testing/fake-clock.js';
import { definePlugin, type SourceContext } from '../src/plugin.js';
import { escalatedBantime } from '../src/tracker.js';
import type { Ban, Unban } from '../src/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function world() {
  const clock = new FakeClock('2024-01-15T12:00:00Z');
  const store = new MemoryStore();
  const sources = new Map<string, SourceContext>();
  const calls: { op: 'ban' | 'unban'; jail: string; items: (Ban | Unban)[] }[] = [];
  let failing = false;
  const plugin = definePlugin({
    meta: { name: 'f2b-test-world', version: '1.0.0', core: '*' },
    apply(core) {
      core.registerFilter({ id: 'demo', rules: [{ id: 'auth-failure', pattern: '^auth failure from <HOST>$' }] });
      core.registerSource({
        type: 'memory',
        create: (_o, ctx) => ({
          start: async () => {
            sources.set(ctx.jail, ctx);
          },
          stop: async () => {
            sources.delete(ctx.jail);
          },
        }),
      });
      core.registerAction({
        type: 'record',
        create: (_o, ctx) => ({
          ban: async (bans) => {
            if (failing) throw new Error('firewall unavailable');
            calls.push({ op: 'ban', jail: ctx.jail, items: [...bans] });
          },
          unban: async (unbans) => {
            if (failing) throw new Error('firewall unavailable');
            calls.push({ op: 'unban', jail: ctx.jail, items: [...unbans] });
          },
        }),
      });
    },
  });
  const searchFrom = mkdtempSync(join(tmpdir(), 'f2b-persist-'));
  dirs.push(searchFrom);
  const daemon = () => new Daemon({ searchFrom: [searchFrom], clock, logLevel: 'silent', plugins: [plugin], store });
  const push = async (jail: string, ...lines: string[]) => {
    await sources.get(jail)!.lines(
      lines.map((l) => Buffer.from(l)),
      'memory',
    );
  };
  const bansOf = (jail: string) => calls.filter((c) => c.op === 'ban' && c.jail === jail).flatMap((c) => c.items as Ban[]);
  const unbansOf = (jail: string) => calls.filter((c) => c.op === 'unban' && c.jail === jail).flatMap((c) => c.items as Unban[]);
  return {
    clock,
    store,
    daemon,
    push,
    calls,
    bansOf,
    unbansOf,
    setFailing: (f: boolean) => {
      failing = f;
    },
  };
}

const jail = (extra: Record<string, unknown> = {}) => ({
  source: { type: 'memory' },
  filter: 'demo',
  actions: ['record'],
  maxretry: 3,
  findtime: 600,
  bantime: 600,
  ignoreself: false,
  ...extra,
});
const config = (jails: F2bConfig['jails'], extra: Partial<F2bConfig> = {}) => resolveConfig({ jails, state: { type: 'memory' }, socket: false, ...extra });

describe('restart', () => {
  it('restores bans in force to the actions and unbans those that expired while down', async () => {
    const w = world();
    let d = w.daemon();
    await d.start(config({ a: jail(), b: jail({ bantime: 60 }) }));
    await w.push('a', ...Array(3).fill('auth failure from 192.0.2.1'));
    await w.push('b', ...Array(3).fill('auth failure from 192.0.2.2'));
    await d.jail('a')!.flush();
    await d.jail('b')!.flush();
    await d.stop();
    w.clock.advance(120_000); // b's ban (60 s) ends while we are down; a's (600 s) does not

    d = w.daemon();
    await d.start(config({ a: jail(), b: jail({ bantime: 60 }) }));
    expect(w.bansOf('a').map((b) => b.id)).toEqual(['192.0.2.1', '192.0.2.1']); // decided, then restored
    expect(w.bansOf('a')[1]).toEqual(w.bansOf('a')[0]); // the same ban: same start and end
    expect(d.jail('a')!.banOf('192.0.2.1')).toBeDefined();
    expect(w.unbansOf('b').map((u) => [u.id, (u as Unban).reason])).toEqual([['192.0.2.2', 'expired']]);
    expect(d.jail('b')!.banOf('192.0.2.2')).toBeUndefined();
    // The restored ban still ends on time.
    w.clock.advance(600_000);
    await d.jail('a')!.flush();
    expect(w.unbansOf('a').map((u) => u.id)).toEqual(['192.0.2.1']);
    await d.stop();
  });

  it('continues findtime windows from stored failures', async () => {
    const w = world();
    let d = w.daemon();
    await d.start(config({ a: jail() }));
    await w.push('a', 'auth failure from 192.0.2.7', 'auth failure from 192.0.2.7');
    await d.stop();
    d = w.daemon();
    await d.start(config({ a: jail() }));
    await w.push('a', 'auth failure from 192.0.2.7');
    await d.jail('a')!.flush();
    expect(w.bansOf('a').map((b) => [b.id, b.failures])).toEqual([['192.0.2.7', 3]]);
    await d.stop();
  });

  it('does not count failures older than findtime after a restart', async () => {
    const w = world();
    let d = w.daemon();
    await d.start(config({ a: jail() }));
    await w.push('a', 'auth failure from 192.0.2.8', 'auth failure from 192.0.2.8');
    await d.stop();
    w.clock.advance(700_000);
    d = w.daemon();
    await d.start(config({ a: jail() }));
    await w.push('a', 'auth failure from 192.0.2.8');
    await d.jail('a')!.flush();
    expect(w.bansOf('a')).toEqual([]);
    await d.stop();
  });
});

describe('outbox', () => {
  it('keeps a ban whose action failed and carries it out when the action works again', async () => {
    const w = world();
    const d = w.daemon();
    await d.start(config({ a: jail() }));
    w.setFailing(true);
    await w.push('a', ...Array(3).fill('auth failure from 198.51.100.9'));
    await d.jail('a')!.flush();
    expect(w.bansOf('a')).toEqual([]);
    expect((await w.store.outboxPending()).map((o) => o.ban?.id)).toEqual(['198.51.100.9']);
    w.setFailing(false);
    await d.retryOutbox();
    expect(w.bansOf('a').map((b) => b.id)).toEqual(['198.51.100.9']);
    expect(await w.store.outboxPending()).toEqual([]);
    await d.stop();
  });

  it('replays in commit order: an unban and a later re-ban of the same address end banned', async () => {
    const w = world();
    const d = w.daemon();
    await d.start(config({ a: jail() }));
    await w.push('a', ...Array(3).fill('auth failure from 198.51.100.11'));
    await d.jail('a')!.flush();
    w.setFailing(true);
    d.jail('a')!.unban('198.51.100.11');
    await d.jail('a')!.flush();
    await w.push('a', ...Array(3).fill('auth failure from 198.51.100.11')); // back again: banned again
    await d.jail('a')!.flush();
    expect((await w.store.outboxPending()).map((o) => o.op)).toEqual(['unban', 'ban']);
    w.setFailing(false);
    await d.retryOutbox();
    // The firewall must end with the address banned: the unban first, then the new ban.
    expect(w.calls.filter((c) => c.jail === 'a').map((c) => c.op)).toEqual(['ban', 'unban', 'ban']);
    expect(await w.store.outboxPending()).toEqual([]);
    await d.stop();
  });

  it('is replayed at start after a crash between commit and action', async () => {
    const w = world();
    const d = w.daemon();
    await d.start(config({ a: jail() }));
    w.setFailing(true);
    await w.push('a', ...Array(3).fill('auth failure from 198.51.100.10'));
    await d.jail('a')!.flush();
    // "crash": no stop; a new daemon over the same store
    w.setFailing(false);
    const d2 = w.daemon();
    await d2.start(config({ a: jail() }));
    expect(w.bansOf('a').filter((b) => b.id === '198.51.100.10').length).toBeGreaterThanOrEqual(1);
    expect(await w.store.outboxPending()).toEqual([]);
    await d2.stop();
  });
});

describe('escalating bans (bantimeIncrement)', () => {
  it('computes factor, multipliers, maxtime and rndtime', () => {
    const inc = { factor: 2, maxtime: 3600, rndtime: 0, overalljails: false };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => escalatedBantime(600, n, inc))).toEqual([600, 1200, 2400, 3600, 3600, 3600, 3600]);
    expect([1, 2, 3, 4].map((n) => escalatedBantime(60, n, { ...inc, multipliers: [1, 5, 30], maxtime: 0 }))).toEqual([60, 300, 1800, 1800]);
    expect(escalatedBantime(600, 3, undefined)).toBe(600);
    expect(escalatedBantime(-1, 3, inc)).toBe(-1);
    const jittered = escalatedBantime(600, 1, { ...inc, rndtime: 100 }, () => 0.5);
    expect(jittered).toBe(650);
  });

  it('bans a returning attacker longer each time, across restarts, per jail or across jails', async () => {
    const w = world();
    const cfg = config({
      a: jail({ bantimeIncrement: { factor: 3, maxtime: '1d' } }),
      b: jail({ bantimeIncrement: { factor: 3, maxtime: '1d', overalljails: true } }),
    });
    let d = w.daemon();
    await d.start(cfg);
    const attack = async (j: string) => {
      await w.push(j, ...Array(3).fill('auth failure from 203.0.113.5'));
      await d.jail(j)!.flush();
    };
    const length = (b: Ban) => (b.end! - b.start) / 1000;
    await attack('a');
    w.clock.advance(601_000);
    await d.jail('a')!.flush();
    await attack('a');
    expect(w.bansOf('a').map((b) => [b.count, length(b)])).toEqual([
      [1, 600],
      [2, 1800],
    ]);
    await d.stop();
    w.clock.advance(1801_000);
    d = w.daemon();
    await d.start(cfg);
    await attack('a');
    expect(w.bansOf('a').map(length).at(-1)).toBe(5400); // third ban: the count survived the restart
    // Jail b counts the address's bans in every jail: three before, so this is its fourth.
    await attack('b');
    expect(w.bansOf('b').map((b) => [b.count, length(b)])).toEqual([[4, 16200]]);
    await d.stop();
  });
});

describe('repeat offenders (recidive)', () => {
  it('bans an address banned maxbans times within findtime in any jail, for the recidive bantime', async () => {
    const w = world();
    const cfg = config(
      { a: jail({ bantime: 60 }), b: jail({ bantime: 60 }) },
      { recidive: { maxbans: 3, findtime: '1h', bantime: '1w', actions: ['record'] } },
    );
    const d = w.daemon();
    await d.start(cfg);
    expect(d.jails.map((j) => j.name)).toEqual(['a', 'b', 'recidive']);
    const attack = async (j: string, ip: string) => {
      await w.push(j, ...Array(3).fill(`auth failure from ${ip}`));
      await d.jail(j)!.flush();
    };
    await attack('a', '192.0.2.66');
    w.clock.advance(61_000);
    await attack('b', '192.0.2.66');
    w.clock.advance(61_000);
    await attack('a', '192.0.2.77'); // someone else: does not count for .66
    expect(w.bansOf('recidive')).toEqual([]);
    await attack('a', '192.0.2.66');
    await d.jail('recidive')!.flush();
    const r = w.bansOf('recidive');
    expect(r.map((b) => b.id)).toEqual(['192.0.2.66']);
    expect((r[0]!.end! - r[0]!.start) / 1000).toBe(7 * 86400);
    expect(r[0]!.rule).toBe('recidive');
    await d.stop();
  });

  it("keeps counting across a restart: the bans it counted are stored like any jail's failures", async () => {
    const w = world();
    const cfg = config({ a: jail({ bantime: 60 }) }, { recidive: { maxbans: 2, findtime: '1h', bantime: '1w', actions: ['record'] } });
    let d = w.daemon();
    await d.start(cfg);
    await w.push('a', ...Array(3).fill('auth failure from 192.0.2.66'));
    await d.jail('a')!.flush();
    await d.jail('recidive')!.flush();
    await d.stop();
    w.clock.advance(120_000);
    d = w.daemon();
    await d.start(cfg);
    expect(w.bansOf('recidive')).toEqual([]);
    await w.push('a', ...Array(3).fill('auth failure from 192.0.2.66'));
    await d.jail('a')!.flush();
    await d.jail('recidive')!.flush();
    expect(w.bansOf('recidive').map((b) => [b.id, b.rule])).toEqual([['192.0.2.66', 'recidive']]);
    await d.stop();
  });

  it('refuses a user jail named recidive next to the built-in one', () => {
    expect(() => config({ recidive: jail() }, { recidive: { maxbans: 3 } })).toThrow(/collides with the built-in repeat-offender jail/);
  });
});
