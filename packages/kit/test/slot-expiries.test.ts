/**
 * The ban book's one-timer schedule of ban ends by slot number (src/slot-expiries.ts, paged typed
 * arrays) against a timer per ban, as for BanExpiries (ban-expiries.test.ts): random adds (ties included), lifted and replaced bans, compactions and time steps; the
 * same entries fire, in the same order, at the same times; at most one timer is pending, none once
 * nothing is left.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SlotExpiries } from '../src/slot-expiries.js';
import { FakeClock } from '@f2b/core/testing';

type Op = { add: [number, number] } | { lift: number } | { step: number } | { compact: true };

describe('SlotExpiries', () => {
  it('a ban scheduled again for the same end fires in its new place among ties', () => {
    const clock = new FakeClock(0);
    const current = new Map<number, number>();
    const got: number[] = [];
    const q = new SlotExpiries(clock, (id, order) => {
      if (current.get(id) === order) got.push(id);
    });
    current.set(1, q.add(1, 10));
    current.set(-2, q.add(-2, 10));
    current.set(1, q.add(1, 10));
    clock.advance(10);
    expect(got).toEqual([-2, 1]);
  });

  it('fires what per-ban timers would, in their order, with at most one timer pending', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ add: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 50 })) }),
      fc.record({ lift: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ step: fc.integer({ min: 0, max: 30 }) }),
      fc.constant({ compact: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        // The model: a timer per live ban (id → end), fired by a clock of its own.
        const modelClock = new FakeClock(0);
        const live = new Map<number, { end: number; cancel: () => void }>();
        const expected: string[] = [];
        const clock = new FakeClock(0);
        const current = new Map<number, number>();
        const got: string[] = [];
        const q = new SlotExpiries(clock, (id, order) => {
          if (current.get(id) !== order) return;
          current.delete(id);
          got.push(`${id}@${clock.now()}`);
        });
        for (const o of ops) {
          if ('add' in o) {
            const id = o.add[0] * 40_000 - 100_000,
              end = modelClock.now() + o.add[1];
            live.get(id)?.cancel();
            const t = modelClock.setTimer(end - modelClock.now(), () => {
              live.delete(id);
              expected.push(`${id}@${modelClock.now()}`);
            });
            live.set(id, { end, cancel: () => t.cancel() });
            current.set(id, q.add(id, end));
          } else if ('lift' in o) {
            const id = o.lift * 40_000 - 100_000;
            live.get(id)?.cancel();
            live.delete(id);
            current.delete(id);
            if (current.size === 0) q.clear();
          } else if ('step' in o) {
            modelClock.advance(o.step);
            clock.advance(o.step);
            if (current.size === 0) q.clear();
          } else q.compact((id, order) => current.get(id) === order);
          expect(got).toEqual(expected);
          expect(clock.pendingTimers()).toBeLessThanOrEqual(1);
        }
        modelClock.advance(1000);
        clock.advance(1000);
        expect(got).toEqual(expected);
        expect(clock.pendingTimers()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('holds many entries over several pages, compacted, and fires them in (end, order) order', () => {
    const clock = new FakeClock(0);
    const live = new Map<number, number>();
    const fired: number[] = [];
    const q = new SlotExpiries(clock, (key, order) => {
      if (live.get(key) === order) fired.push(key);
    });
    const ends = new Map<number, number>();
    for (let key = 0; key < 20_000; key++) {
      const end = 1 + ((key * 7919) % 5000);
      ends.set(key, end);
      live.set(key, q.add(key, end));
    }
    for (let key = 0; key < 20_000; key += 3) live.delete(key);
    q.compact((key, order) => live.get(key) === order);
    expect(q.size).toBe(live.size);
    clock.advance(5000);
    const expected = [...live.keys()].sort((a, b) => ends.get(a)! - ends.get(b)! || live.get(a)! - live.get(b)!);
    expect(fired).toEqual(expected);
    expect(clock.pendingTimers()).toBe(0);
  });
});
