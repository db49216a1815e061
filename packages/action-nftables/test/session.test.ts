/**
 * The long-lived `nft -i` session (nft-session.ts) against the real nft, in a namespace per test:
 * bans of one tick are one transaction (counted by `nft monitor`'s generation lines), a refused
 * element is located through the session as through `nft -f -`, a large transaction goes through the
 * session as an include of a private file (spawned when there can be no such file), and a session
 * that is killed falls back to spawning (the bans still reach the kernel) and is restarted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester } from '@f2b/core/testing';
import nftablesAction, { type NftablesAction, type NftablesOptions } from '../src/index.js';
import { fromIncludeForm, INCLUDE_MIN_BYTES, NftSession, toScriptForm } from '../src/nft-session.js';
import { ScriptFiles } from '../src/script-files.js';
import { addNetns, delNetns, nftIn, nftUnavailable, setElements, uniqueName, waitFor } from './netns.js';

describe('toScriptForm', () => {
  it("maps nft -i's caret position to the statement and column of the joined script", () => {
    const line = 'add element inet t s { 192.0.2.1 }; add element inet t s { 300.0.0.1 }';
    const at = line.indexOf('300');
    const stderr = `Error: Could not resolve hostname\n${line}\n${' '.repeat(at)}^^^^^^^^^\n`;
    const out = toScriptForm(stderr, line, [0, line.indexOf('add', 1)]);
    const col = at - line.indexOf('add', 1) + 1;
    expect(out.split('\n')[0]).toBe(`/dev/stdin:2:${col}-${col + 8}: Error: Could not resolve hostname`);
  });
});

describe('fromIncludeForm', () => {
  it("gives an error in the included file the form of a spawned nft's, and null for an error of the include itself", () => {
    const file = '/tmp/f2b-nft-abc/elements.nft';
    const stderr = `In file included from <cmdline>:1:1-40:\n${file}:2:26-35: Error: Could not resolve hostname\nadd element inet t s { 10.9.9.300 }\n                         ^^^^^^^^^^\n`;
    expect(fromIncludeForm(stderr, file)).toBe(
      '/dev/stdin:2:26-35: Error: Could not resolve hostname\nadd element inet t s { 10.9.9.300 }\n                         ^^^^^^^^^^\n',
    );
    expect(fromIncludeForm(`Error: Could not process rule: No such file or directory\ninclude "${file}"\n^^^^^\n`, file)).toBeNull();
  });
});

const skip = nftUnavailable();
if (skip) console.log(`skipping @f2b/action-nftables session tests: ${skip}`);

describe.skipIf(skip !== null)('the long-lived nft -i session (real nft, test namespace)', () => {
  let ns: string;
  let table: string;
  const testers: ActionTester[] = [];
  const children: ChildProcess[] = [];

  beforeEach(() => {
    ns = uniqueName('sess');
    table = `t${randomBytes(4).toString('hex')}`;
    addNetns(ns);
  });

  afterEach(async () => {
    for (const t of testers.splice(0)) await t.stop().catch(() => undefined);
    for (const c of children.splice(0)) c.kill();
    delNetns(ns);
  });

  function tester(options: NftablesOptions = {}): ActionTester {
    const t = new ActionTester({
      plugin: nftablesAction(),
      type: 'nftables',
      jail: 'sshd',
      options: { netns: ns, table, checkInterval: 0, monitor: false, ...options } as Record<string, unknown>,
    });
    testers.push(t);
    return t;
  }
  const action = (t: ActionTester) => t.instance as NftablesAction;
  const v4 = () =>
    setElements(ns, 'inet', table, 'f2b_sshd_v4')
      .map((e) => e.value)
      .sort();

  /** `nft monitor` in the namespace (subscribed: a probe was seen); counts the transactions on our elements. */
  async function generations(): Promise<() => number> {
    const child = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (text += d));
    const probe = `probe${randomBytes(3).toString('hex')}`;
    await waitFor('the monitor to see a probe transaction', () => {
      nftIn(ns, ['add', 'table', 'inet', probe]);
      nftIn(ns, ['delete', 'table', 'inet', probe]);
      return text.includes(`table inet ${probe}`);
    });
    // Transactions that touched this table's elements (a late probe transaction is not counted).
    return () => text.split(/^# new generation.*$/m).filter((block) => block.includes(`element inet ${table} `)).length;
  }

  it('bans decided in one tick reach the kernel in ONE transaction of the session, not one process each', async () => {
    const t = tester();
    await t.start();
    const count = await generations();
    const ids = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
    // 40 separate ban() calls in the same tick (as 40 jails' worth of decisions would arrive).
    await Promise.all(ids.map((id) => action(t).ban([t.ban(id)])));
    expect(v4()).toEqual([...ids].sort());
    await waitFor('the transaction in the monitor', () => count() >= 1);
    expect(count()).toBe(1);
    expect(action(t).stats.transactions).toBe(1);
    expect(action(t).sessionInfo()).toMatchObject({ started: 1, commands: 1, fallbacks: 0 });
    expect(t.errors).toEqual([]);
  });

  it('a large transaction (nft -i reads a line a byte at a time) goes through the session as an include of a file: one transaction, no repair', async () => {
    const t = tester({ monitor: true });
    await t.start();
    await waitFor('the monitor to run', () => action(t).monitorRunning(), 5000);
    await action(t).ban([t.ban('192.0.2.1')]);
    const count = await generations();
    const before = action(t).sessionInfo()!;
    const ids = Array.from({ length: 600 }, (_, i) => `2001:db8:5:${i.toString(16)}::1`);
    await action(t).ban(ids.map((id) => t.ban(id)));
    expect(setElements(ns, 'inet', table, 'f2b_sshd_v6').length).toBe(600);
    await waitFor('the transaction in the monitor', () => count() >= 1);
    expect(count()).toBe(1);
    expect(action(t).stats.spawnedLarge).toBe(0);
    expect(action(t).sessionInfo()).toMatchObject({ commands: before.commands + 1, included: before.included + 1, fallbacks: 0 });
    // Small ones keep going as the line; the included transaction is f2b's own: no repair.
    await action(t).ban([t.ban('192.0.2.2')]);
    expect(action(t).sessionInfo()).toMatchObject({ commands: before.commands + 2, included: before.included + 1 });
    expect(v4()).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(action(t).stats).toMatchObject({ monitorEvents: 0, repairs: 0 });
    expect(t.errors).toEqual([]);
  });

  it('a refused element of an included script is located: the others are applied, it is reported once, nothing spawned', async () => {
    const t = tester();
    await t.start();
    nftIn(ns, ['add', 'element', 'inet', table, 'f2b_sshd_v4_net', '{ 203.0.113.0/24 }']); // by hand: overlaps
    const good = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);
    await action(t).ban([...good.slice(0, 50).map((id) => t.ban(id)), t.ban('203.0.113.0/25'), ...good.slice(50).map((id) => t.ban(id))]);
    expect(v4()).toEqual([...good].sort());
    expect((t.errors[0] as Error).message).toContain('203.0.113.0/25');
    expect(t.errors.map((e) => (e as { code?: string }).code)).toEqual(['F2B_ERR_NFT_ELEMENT']);
    expect(action(t).sessionInfo()).toMatchObject({ fallbacks: 0 });
    expect(action(t).sessionInfo()!.included).toBeGreaterThanOrEqual(1);
    expect(action(t).stats.spawnedLarge).toBe(0);
  });

  it('without a private directory for script files, a large script is sent as the line (and the action spawns nft past its limit)', async () => {
    nftIn(ns, ['-f', '-'], `add table inet ${table}\nadd set inet ${table} s { type ipv4_addr; }\n`);
    const open = mkdtempSync(join(tmpdir(), 'f2b-open-'));
    chmodSync(open, 0o777); // writable by anyone, not sticky: never used
    try {
      const files = new ScriptFiles(() => open);
      expect(files.ready()).toBe(false);
      const session = new NftSession({ nftPath: 'nft', ipPath: 'ip', netns: ns }, undefined, files);
      const ids = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);
      const script = `add element inet ${table} s { ${ids.join(', ')} }\n`;
      expect(script.length).toBeGreaterThanOrEqual(INCLUDE_MIN_BYTES);
      await session.run(script, 'apply bans');
      expect(session.takesLargeScripts()).toBe(false);
      session.close();
      expect(session.stats).toMatchObject({ commands: 1, included: 0, fallbacks: 0 });
      expect(setElements(ns, 'inet', table, 's')).toHaveLength(100);
      expect(readdirSync(open)).toEqual([]);
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('a refused element is located through the session: the others are applied, it is reported once', async () => {
    const t = tester();
    await t.start();
    nftIn(ns, ['add', 'element', 'inet', table, 'f2b_sshd_v4_net', '{ 203.0.113.0/24 }']); // by hand: overlaps
    const good = ['198.51.100.7', '198.51.100.8', '198.51.100.128/25'];
    await action(t).ban([t.ban('203.0.113.0/25'), ...good.map((id) => t.ban(id))]);
    const net4 = () =>
      setElements(ns, 'inet', table, 'f2b_sshd_v4_net')
        .map((e) => e.value)
        .sort();
    expect(v4()).toEqual(['198.51.100.7', '198.51.100.8']);
    expect(net4()).toEqual(['198.51.100.128/25', '203.0.113.0/24']);
    expect((t.errors[0] as Error).message).toContain('203.0.113.0/25');
    expect(t.errors.map((e) => (e as { code?: string }).code)).toEqual(['F2B_ERR_NFT_ELEMENT']);
    expect(action(t).sessionInfo()?.fallbacks).toBe(0);
  });

  it('a killed session falls back to spawning (the bans are applied) and is restarted', async () => {
    const t = tester();
    await t.start();
    await action(t).ban([t.ban('198.51.100.1')]);
    const first = action(t).sessionInfo()!;
    expect(first).toMatchObject({ started: 1, commands: 1 });
    process.kill(first.pid!, 'SIGKILL');
    await waitFor('the session to be seen dead', () => action(t).sessionInfo()!.deaths === 1);
    // Within the restart delay: spawned, not lost.
    await action(t).ban([t.ban('198.51.100.2')]);
    expect(v4()).toEqual(['198.51.100.1', '198.51.100.2']);
    // After the delay a new session takes the next transaction.
    await waitFor(
      'a new session',
      async () => {
        await action(t).ban([t.ban(`198.51.100.${10 + action(t).sessionInfo()!.fallbacks}`)]);
        return action(t).sessionInfo()!.started === 2;
      },
      10_000,
      100,
    );
    // Said once (a warning), with what ended it.
    expect(t.logger.records.filter((r) => r.level === 'warn' && /nft -i session .*ended \(killed by SIGKILL\)/.test(r.msg))).toHaveLength(1);
    const after = action(t).sessionInfo()!;
    expect(after.pid).not.toBe(first.pid);
    expect(after.commands).toBe(2);
    expect(v4()).toContain('198.51.100.2');
    expect(v4()).toHaveLength(2 + after.fallbacks);
    expect(t.errors).toEqual([]);
  });

  it('warm() starts nft -i and has it answer one harmless command before the first ban (not counted as one)', async () => {
    nftIn(ns, ['-f', '-'], `add table inet ${table}\nadd set inet ${table} s { type ipv4_addr; }\n`);
    const session = new NftSession({ nftPath: 'nft', ipPath: 'ip', netns: ns });
    session.warm();
    await session.run(`add element inet ${table} s { 198.51.100.41 }\n`, 'apply bans');
    session.close();
    expect(session.stats).toMatchObject({ started: 1, warmUps: 1, commands: 1, fallbacks: 0, deaths: 0 });
    expect(setElements(ns, 'inet', table, 's')).toEqual([{ value: '198.51.100.41' }]);
  });

  it('a session is retired after its byte budget (libedit history) and the next command starts a fresh one', async () => {
    nftIn(ns, ['-f', '-'], `add table inet ${table}\nadd set inet ${table} s { type ipv4_addr; }\n`);
    const session = new NftSession({ nftPath: 'nft', ipPath: 'ip', netns: ns }, 1);
    for (const ip of ['198.51.100.31', '198.51.100.32', '198.51.100.33']) await session.run(`add element inet ${table} s { ${ip} }\n`, 'apply bans');
    session.close();
    // One process per command (each over the 1-byte budget), none lost, none spawned instead.
    expect(session.stats).toMatchObject({ started: 3, commands: 3, fallbacks: 0, deaths: 0 });
    expect(
      setElements(ns, 'inet', table, 's')
        .map((e) => e.value)
        .sort(),
    ).toEqual(['198.51.100.31', '198.51.100.32', '198.51.100.33']);
  });

  it('stop ends the session (its last user gone)', async () => {
    const t = tester();
    await t.start();
    await action(t).ban([t.ban('198.51.100.3')]);
    const pid = action(t).sessionInfo()!.pid!;
    await t.stop();
    await waitFor('nft -i to exit', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
