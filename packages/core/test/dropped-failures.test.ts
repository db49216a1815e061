/**
 * The ring of failures a jail did not count (for `f2b explain`): the last ones of an address, oldest
 * first, a fixed number in all, long lines cut.
 */
import { describe, expect, it } from 'vitest';
import { DroppedFailures, DROPPED_LINE_CHARS } from '../src/dropped-failures.js';
import type { Failure } from '../src/types.js';

const failure = (id: string, time: number, line = `line ${time}`): Failure => ({ id, time, attempts: 1, rule: 'r', captures: {}, lines: [line], filter: 'f' });

describe('DroppedFailures', () => {
  it('keeps the last `size` failures, and gives those of one address oldest first', () => {
    const ring = new DroppedFailures(4);
    for (let t = 1; t <= 6; t++) ring.record(failure(t % 2 ? '192.0.2.1' : '192.0.2.2', t), 'ignoreip', t);
    expect(ring.of('192.0.2.1').map((d) => d.failure.time)).toEqual([3, 5]);
    expect(ring.of('192.0.2.2').map((d) => [d.failure.time, d.reason, d.seen])).toEqual([
      [4, 'ignoreip', 4],
      [6, 'ignoreip', 6],
    ]);
    expect(ring.of('192.0.2.3')).toEqual([]);
  });

  it('cuts lines longer than it keeps (an attacker picks their length)', () => {
    const ring = new DroppedFailures(2);
    ring.record(failure('192.0.2.1', 1, 'x'.repeat(60_000)), 'stale', 1);
    const [d] = ring.of('192.0.2.1');
    expect(d!.failure.lines[0]).toHaveLength(DROPPED_LINE_CHARS + 1);
    expect(d!.failure.lines[0]!.endsWith('…')).toBe(true);
  });
});
