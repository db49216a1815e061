/**
 * How `nft monitor`'s output is read into transactions (monitor-events.ts): own transactions are
 * never reported, however the output is split across reads and however late its end line comes.
 * The lines are the ones nft 1.0 prints (seen with Debian's nft in the tests of nftables.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LATE_END_MS, MonitorEvents, ORPHAN_MS } from '../src/monitor-events.js';
import type { MonitorWatcher } from '../src/monitor.js';

const OWN = 4242;
const FOREIGN = 777;

function setup() {
  const damage: string[][] = [];
  const watcher: MonitorWatcher = { family: 'inet', table: 'f2b', onDamage: (l) => damage.push([...l]), onReady: () => {}, warn: () => {} };
  const events = new MonitorEvents(new Set([watcher]), (pid) => pid === OWN);
  return { damage, events };
}

const replaceChain = ['delete chain inet f2b f2b_sshd', 'add chain inet f2b f2b_sshd { type filter hook forward priority -5; policy accept; }'];
const generation = (n: number, pid: number) => `# new generation ${n} by process ${pid} (nft)`;

describe('nft monitor output', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports someone else's deletion in a watched table, and not one in another table", () => {
    const { damage, events } = setup();
    events.data(`${replaceChain.join('\n')}\n${generation(7, FOREIGN)}\n`);
    events.data(`delete chain inet other c\n${generation(8, FOREIGN)}\n`);
    expect(damage).toEqual([[replaceChain[0]]]);
  });

  it('never reports its own transaction, even when its end line comes in a later read, seconds later', () => {
    const { damage, events } = setup();
    events.data(`add element inet f2b s { 192.0.2.1 }\n${generation(1, OWN)}\n`); // the monitor writes end lines
    events.data(`${replaceChain[0]}\n${replaceChain[1]!.slice(0, 20)}`);
    vi.advanceTimersByTime(LATE_END_MS / 2);
    events.data(`${replaceChain[1]!.slice(20)}\n# new generation 2 by pro`);
    vi.advanceTimersByTime(1_000);
    events.data(`cess ${OWN} (nft)\n`);
    vi.advanceTimersByTime(LATE_END_MS * 2);
    expect(damage).toEqual([]);
  });

  it('a foreign transaction whose end line comes late is reported when it comes', () => {
    const { damage, events } = setup();
    events.data(`${generation(1, OWN)}\n${replaceChain[0]}\n`);
    vi.advanceTimersByTime(ORPHAN_MS * 20);
    expect(damage).toEqual([]);
    events.data(`${generation(2, FOREIGN)}\n`);
    expect(damage).toEqual([[replaceChain[0]]]);
  });

  it('an nft that writes no end lines: events are reported after a short wait; a lost end line after a long one', () => {
    const old = setup();
    old.events.data(`${replaceChain[0]}\n`);
    vi.advanceTimersByTime(ORPHAN_MS - 1);
    expect(old.damage).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(old.damage).toEqual([[replaceChain[0]]]);

    const lost = setup();
    lost.events.data(`${generation(1, FOREIGN)}\nflush set inet f2b s\n`);
    vi.advanceTimersByTime(LATE_END_MS - 1);
    expect(lost.damage).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(lost.damage).toEqual([['flush set inet f2b s']]);
  });

  it('a monitor restarted afresh (reset) forgets what it held and whether end lines come', () => {
    const { damage, events } = setup();
    events.data(`${generation(1, OWN)}\n${replaceChain[0]}\n`);
    events.reset();
    vi.advanceTimersByTime(LATE_END_MS * 2);
    expect(damage).toEqual([]);
    events.data(`${replaceChain[0]}\n`);
    vi.advanceTimersByTime(ORPHAN_MS);
    expect(damage).toEqual([[replaceChain[0]]]);
  });
});
