/**
 * The failures a jail's checkpoints wrote lately (the outbox's answer for a ban's window lines when
 * the store need not be asked): by address, in the store's order, forgotten when taken, and all
 * dropped at once past the limit.
 */
import { describe, expect, it } from 'vitest';
import { RecentFailures } from '../src/recent-failures.js';
import type { Failure } from '../src/types.js';

const f = (id: string, time: number, line: string, attempts = 1): { failure: Failure } => ({
  failure: { id, time, attempts, rule: 'r', captures: {}, lines: [line], filter: 'demo' },
});

describe('RecentFailures', () => {
  it('gives an address’s failures since a time, oldest first (equal times in the order written), and forgets them', () => {
    const r = new RecentFailures();
    r.add([f('192.0.2.1', 30, 'c'), f('192.0.2.2', 10, 'x'), f('192.0.2.1', 10, 'a'), f('192.0.2.1', 10, 'b'), f('192.0.2.1', 5, 'old')]);
    expect(r.take('192.0.2.1', 10)?.map((x) => x.lines[0])).toEqual(['a', 'b', 'c']);
    expect(r.take('192.0.2.1', 0)).toBeUndefined();
    expect(r.size).toBe(1);
    expect(r.drop('192.0.2.2')?.map((x) => x.lines[0])).toEqual(['x']);
    expect(r.size).toBe(0);
  });

  it('keeps no failure without attempts (no row of the store either)', () => {
    const r = new RecentFailures();
    r.add([f('192.0.2.1', 1, 'none', 0)]);
    expect(r.take('192.0.2.1', 0)).toBeUndefined();
  });

  it('is emptied at once when full, then fills again', () => {
    const r = new RecentFailures(3);
    r.add([f('192.0.2.1', 1, 'a'), f('192.0.2.2', 1, 'b'), f('192.0.2.3', 1, 'c')]);
    expect(r.size).toBe(3);
    r.add([f('192.0.2.4', 2, 'd')]);
    expect(r.size).toBe(1);
    expect(r.take('192.0.2.1', 0)).toBeUndefined();
    expect(r.take('192.0.2.4', 0)?.map((x) => x.lines[0])).toEqual(['d']);
  });
});
