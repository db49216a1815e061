/**
 * Faults found on real servers (issue 13), against the real nft and kernel in a fresh network
 * namespace per test: bans nft cannot express as a timeout, one element nft refuses among good
 * ones, and the firewall changed behind f2b's back (flush ruleset, deleted table/set/rule, emptied
 * set), repaired from `nft monitor` events without waiting for the periodic check.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester, createTestCore } from '@f2b/core/testing';
import { definePlugin, type FilterDefinition } from '@f2b/core';
import nftablesAction, { MAX_ELEMENT_TIMEOUT_S, type NftablesAction, type NftablesOptions } from '../src/index.js';
import { addNetns, delNetns, nftIn, nftUnavailable, ruleset, setElements, uniqueName, waitFor } from './netns.js';

const skip = nftUnavailable();
if (skip) console.log(`skipping @f2b/action-nftables fault tests: ${skip}`);

const WEEK = 7 * 86400;
/** The real nft program (absolute: the wrapper below runs it). */
const NFT = spawnSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/nft';
const GOOD = ['192.0.2.21', '192.0.2.22', '198.51.100.23', '2001:db8::24', '2001:db8::25'];

describe.skipIf(skip !== null)('@f2b/action-nftables faults (real nft in a test network namespace)', () => {
  let ns: string;
  let table: string;
  const testers: ActionTester[] = [];

  beforeEach(() => {
    ns = uniqueName('fault');
    table = `t${randomBytes(4).toString('hex')}`;
    addNetns(ns);
  });

  afterEach(async () => {
    for (const t of testers.splice(0)) await t.stop().catch(() => undefined);
    delNetns(ns);
  });

  function tester(options: NftablesOptions = {}): ActionTester {
    const t = new ActionTester({
      plugin: nftablesAction(),
      type: 'nftables',
      jail: 'sshd',
      options: { netns: ns, table, checkInterval: 0, ...options } as Record<string, unknown>,
    });
    testers.push(t);
    return t;
  }
  const action = (t: ActionTester) => t.instance as NftablesAction;
  const elements = (v: 4 | 6) => setElements(ns, 'inet', table, `f2b_sshd_v${v}`);
  /** Every element of the four sets (addresses and networks, both families). */
  const inKernel = () =>
    [4, 6]
      .flatMap((v) => [...setElements(ns, 'inet', table, `f2b_sshd_v${v}`), ...setElements(ns, 'inet', table, `f2b_sshd_v${v}_net`)])
      .map((e) => e.value)
      .sort();
  const codes = (t: ActionTester) => t.errors.map((e) => (e as { code?: string }).code);

  describe('bans longer than nft accepts as an element timeout', () => {
    it('nft really refuses a timeout just above the limit f2b assumes, and accepts the limit', () => {
      nftIn(ns, ['-f', '-'], `add table inet ${table}\nadd set inet ${table} s { type ipv4_addr; flags interval, timeout; }\n`);
      nftIn(ns, ['add', 'element', 'inet', table, 's', `{ 192.0.2.1 timeout ${MAX_ELEMENT_TIMEOUT_S}s }`]);
      expect(() => nftIn(ns, ['add', 'element', 'inet', table, 's', `{ 192.0.2.2 timeout ${MAX_ELEMENT_TIMEOUT_S + 1}s }`])).toThrow(/value too large/);
    });

    it('a 200-week ban reaches the kernel without timeout, and the 5 bans after it reach it too', async () => {
      const t = tester();
      await t.start();
      await t.instance.ban([t.ban('203.0.113.200', { bantime: 200 * WEEK })]);
      for (const id of GOOD) await t.instance.ban([t.ban(id)]);
      expect(inKernel()).toEqual([...GOOD, '203.0.113.200'].sort());
      expect(elements(4).find((e) => e.value === '203.0.113.200')).toEqual({ value: '203.0.113.200' });
      expect(elements(4).find((e) => e.value === GOOD[0])?.timeout).toBe(600);
      expect(t.errors).toEqual([]);
      expect(action(t).pending()).toBe(0);
      // Re-banning it (a new end, still too long) keeps one element without timeout.
      await t.instance.ban([t.ban('203.0.113.200', { bantime: 300 * WEEK })]);
      expect(elements(4).filter((e) => e.value === '203.0.113.200')).toEqual([{ value: '203.0.113.200' }]);
    });

    it('a ban whose end cannot be a date (bantimeIncrement overflow) is applied as without timeout', async () => {
      const t = tester();
      await t.start();
      const now = Date.now();
      await t.instance.ban([
        { jail: 'sshd', id: '203.0.113.201', start: now, end: now + 600 * 2 ** 64 * 1000, count: 65, failures: 3 },
        { jail: 'sshd', id: '203.0.113.202', start: now, end: Number.POSITIVE_INFINITY, count: 65, failures: 3 },
      ]);
      expect(elements(4)).toEqual([{ value: '203.0.113.201' }, { value: '203.0.113.202' }]);
      expect(t.errors).toEqual([]);
    });

    it("the daemon lifts a 200-week ban at its end: the core's unban reaches the kernel", async () => {
      const filter: FilterDefinition = { id: 'demo', rules: [{ id: 'fail', pattern: '^auth failure from <HOST>$' }] };
      const demo = definePlugin({
        meta: { name: 'f2b-filter-demo', version: '1.0.0', core: '*' },
        apply(core) {
          core.registerFilter(filter);
        },
      });
      const tc = await createTestCore({
        plugins: [demo, nftablesAction()],
        start: Date.now(),
        name: 'sshd',
        jail: { filter: 'demo', maxretry: 1, findtime: 600, bantime: '200w', actions: [{ type: 'nftables', netns: ns, table, checkInterval: 0 }] },
      });
      try {
        tc.push('auth failure from 192.0.2.77');
        await tc.flush();
        await waitFor('the long ban in the kernel', () => elements(4).some((e) => e.value === '192.0.2.77'), 5000);
        expect(elements(4)).toEqual([{ value: '192.0.2.77' }]);
        tc.clock.advance(200 * WEEK * 1000 - 1000);
        await tc.flush();
        expect(elements(4)).toEqual([{ value: '192.0.2.77' }]);
        tc.clock.advance(1000);
        await tc.flush();
        expect(tc.unbans).toEqual([expect.objectContaining({ id: '192.0.2.77', reason: 'expired' })]);
        await waitFor('the element to leave the kernel', () => elements(4).length === 0, 5000);
      } finally {
        await tc.jail.stop();
      }
    });
  });

  describe('one element nft refuses never blocks the others', () => {
    it("1 refused element + 5 good ones in one batch: the 5 are applied, the refused one is reported once with nft's reason", async () => {
      const t = tester();
      await t.start();
      // An element added by hand as a range, so that f2b's ban of a network around it conflicts.
      nftIn(ns, ['add', 'element', 'inet', table, 'f2b_sshd_v4_net', '{ 203.0.113.5-203.0.113.9 }']);
      await t.instance.ban([t.ban('203.0.113.0/28'), ...GOOD.map((id) => t.ban(id))]);
      expect(inKernel()).toEqual([...GOOD, '203.0.113.5-203.0.113.9'].sort());
      expect(codes(t)).toEqual(['F2B_ERR_NFT_ELEMENT']);
      expect((t.errors[0] as Error).message).toMatch(/203\.0\.113\.0\/28/);
      expect(action(t).pending()).toBe(0);
      // Later bans are not blocked, and the refused element is not reported again.
      await t.applyBans('192.0.2.99');
      expect(inKernel()).toContain('192.0.2.99');
      expect(codes(t)).toEqual(['F2B_ERR_NFT_ELEMENT']);
    });
  });

  describe('a refusal nft does not locate: the transaction is split until the refused element is found', () => {
    /**
     * The real nft, behind a wrapper that refuses any script holding one address with a message that
     * names no element (as nft 1.0.6 does for "value too large"), with a control character in it.
     */
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'f2b-nft-wrap-'));
      writeFileSync(
        join(dir, 'nft'),
        [
          '#!/bin/sh',
          'if [ "$1" = "-f" ]; then',
          '  tmp=$(mktemp); cat > "$tmp"',
          `  if grep -q '203[.]0[.]113[.]66' "$tmp"; then rm -f "$tmp"; printf 'Error: Could not process rule: Invalid argument \\033[31mred\\n' >&2; exit 1; fi`,
          `  exec 3<"$tmp"; rm -f "$tmp"; exec ${NFT} -f - <&3 3<&-`,
          'fi',
          `exec ${NFT} "$@"`,
          '',
        ].join('\n'),
      );
      chmodSync(join(dir, 'nft'), 0o755);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('1 refused element + 5 good ones: the 5 reach the kernel, the refused one is reported once (escaped) and dropped from the queue', async () => {
      const t = tester({ nftPath: join(dir, 'nft'), monitor: false, interactive: false, retryDelay: 0.05 });
      await t.start();
      await t.instance.ban([t.ban('203.0.113.66'), ...GOOD.map((id) => t.ban(id))]);
      expect(inKernel()).toEqual([...GOOD].sort());
      expect(codes(t)).toEqual(['F2B_ERR_NFT_ELEMENT']);
      const message = (t.errors[0] as Error).message;
      expect(message).toContain('203.0.113.66');
      expect(message).toContain('Invalid argument');
      expect(message).toContain('\\x1b[31mred');
      expect(message).not.toContain('\x1b');
      expect(action(t).stats.splits).toBeGreaterThanOrEqual(1);
      expect(action(t).stats.refused).toBe(1);
      expect(action(t).pending()).toBe(0);
      // Later bans are not blocked, and the refused element is not reported again.
      await t.applyBans('192.0.2.98');
      await t.applyBans('192.0.2.99');
      expect(inKernel()).toEqual([...GOOD, '192.0.2.98', '192.0.2.99'].sort());
      expect(codes(t)).toEqual(['F2B_ERR_NFT_ELEMENT']);
    });
  });

  describe("repair: every ban comes back when the firewall is changed behind f2b's back", () => {
    const damage: [string, (t: ActionTester) => void][] = [
      ['nft flush ruleset', () => nftIn(ns, ['flush', 'ruleset'])],
      ['delete table', () => nftIn(ns, ['delete', 'table', 'inet', table])],
      ['delete set', () => nftIn(ns, ['-f', '-'], `flush chain inet ${table} f2b_sshd\ndelete set inet ${table} f2b_sshd_v4\n`)],
      ['flush set', () => nftIn(ns, ['flush', 'set', 'inet', table, 'f2b_sshd_v4'])],
      ['delete one element', () => nftIn(ns, ['delete', 'element', 'inet', table, 'f2b_sshd_v6', '{ 2001:db8::24 }'])],
      [
        'delete rule',
        () => {
          const rule = ruleset(ns).find(([k, o]) => k === 'rule' && o.table === table)![1];
          nftIn(ns, ['delete', 'rule', 'inet', table, 'f2b_sshd', 'handle', String(rule.handle)]);
        },
      ],
    ];
    const ruleCount = () => ruleset(ns).filter(([k, o]) => k === 'rule' && o.table === table).length;

    for (const [what, breakIt] of damage) {
      it(`${what}: repaired from nft monitor events (no periodic check)`, async () => {
        const t = tester({ checkInterval: 0 });
        await t.start();
        await waitFor('the monitor to run', () => action(t).monitorRunning(), 5000);
        await t.instance.ban([...GOOD.map((id) => t.ban(id)), t.ban('203.0.113.50', { bantime: -1 })]);
        const want = [...GOOD, '203.0.113.50'].sort();
        expect(inKernel()).toEqual(want);
        breakIt(t);
        // (The kernel can show the repair before the action has seen nft exit: wait for both.)
        await waitFor(
          `every ban back after ${what}`,
          () => JSON.stringify(inKernel()) === JSON.stringify(want) && ruleCount() === 4 && action(t).stats.repairs >= 1,
          5000,
        );
        expect(elements(4).find((e) => e.value === '203.0.113.50')).toEqual({ value: '203.0.113.50' }); // still permanent
        expect(elements(4).find((e) => e.value === GOOD[0])!.timeout).toBeLessThanOrEqual(600);
        expect(t.errors).toEqual([]);
      });
    }

    it('the periodic check compares elements, not only the table: an emptied set is refilled without the monitor', async () => {
      const t = tester({ checkInterval: 0.2, monitor: false });
      await t.start();
      expect(action(t).monitorRunning()).toBe(false);
      await t.instance.ban(GOOD.map((id) => t.ban(id)));
      nftIn(ns, ['flush', 'set', 'inet', table, 'f2b_sshd_v4']);
      nftIn(ns, ['flush', 'set', 'inet', table, 'f2b_sshd_v6']);
      await waitFor(
        'the periodic check to re-add the elements',
        () => JSON.stringify(inKernel()) === JSON.stringify([...GOOD].sort()) && action(t).stats.repairs >= 1,
        5000,
      );
      expect(t.logger.records.some((r) => r.level === 'warn' && /re-adding 5 active ban/.test(r.msg))).toBe(true);
      expect(t.errors).toEqual([]);
    });

    it('check() reports the elements it re-added', async () => {
      const t = tester({ monitor: false });
      await t.start();
      await t.applyBans('192.0.2.31', '192.0.2.32');
      nftIn(ns, ['delete', 'element', 'inet', table, 'f2b_sshd_v4', '{ 192.0.2.32 }']);
      const r = await action(t).check();
      expect(r).toEqual({ ok: true, repaired: ['elements of f2b_sshd_v4 (1)'] });
      expect(elements(4).map((e) => e.value)).toEqual(['192.0.2.31', '192.0.2.32']);
      expect((await action(t).check()).repaired).toEqual([]);
    });

    it("f2b's own transactions do not trigger repairs (no loop)", async () => {
      const t = tester({ checkInterval: 0 });
      await t.start();
      await waitFor('the monitor to run', () => action(t).monitorRunning(), 5000);
      for (const id of GOOD) await t.applyBans(id);
      await t.applyUnbans(GOOD[0]!, GOOD[3]!);
      await t.instance.ban([t.ban(GOOD[1]!, { bantime: 900 })]); // a refresh: guarded delete + add
      const before = action(t).stats.transactions;
      await new Promise((r) => setTimeout(r, 800));
      expect(action(t).stats.repairs).toBe(0);
      expect(action(t).stats.transactions).toBe(before);
      expect(action(t).stats.monitorEvents).toBe(0);
    });

    it('a monitor that dies is restarted (with backoff) and still repairs; stop kills it', async () => {
      const t = tester({ checkInterval: 0, retryDelay: 0.05 });
      await t.start();
      await t.applyBans(...GOOD);
      const first = await waitFor('the monitor to run', () => action(t).monitorPid(), 5000);
      process.kill(first, 'SIGKILL');
      const second = await waitFor(
        'a new monitor',
        () => {
          const p = action(t).monitorPid();
          return p !== first && p;
        },
        5000,
      );
      expect(action(t).monitorRestarts()).toBeGreaterThanOrEqual(1);
      nftIn(ns, ['flush', 'ruleset']);
      await waitFor('every ban back', () => JSON.stringify(inKernel()) === JSON.stringify([...GOOD].sort()), 5000);
      await t.stop();
      expect(action(t).monitorPid()).toBeUndefined();
      await waitFor(
        'the monitor process to be gone',
        () => {
          try {
            process.kill(second, 0);
            return false;
          } catch {
            return true;
          }
        },
        5000,
      );
    });
  });
});
