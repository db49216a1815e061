/**
 * The tracker's one-timer schedule of ban ends (src/ban-expiries.ts) against the timer-per-ban it
 * replaces: random adds (ties included), lifted and replaced bans, compactions and time steps; the
 * same entries fire, in the same order, at the same times; at most one timer is pending, none once
 * nothing is left.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BanExpiries } from '../src/ban-expiries.js';
import { FakeClock } from '@f2b/core/testing';

type Op = { add: [number, number] } | { lift: number } | { step: number } | { compact: true };

describe('BanExpiries', () => {
  it('a ban scheduled again for the same end fires in its new place among ties', () => {
    const clock = new FakeClock(0);
    const current = new Map<string, number>();
    const got: string[] = [];
    const q = new BanExpiries(clock, (id, order) => {
      if (current.get(id) === order) got.push(id);
    });
    current.set('a', q.add('a', 10));
    current.set('b', q.add('b', 10));
    current.set('a', q.add('a', 10));
    clock.advance(10);
    expect(got).toEqual(['b', 'a']);
  });

  it('fires what per-ban timers would, in their order, with at most one timer pending', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ add: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 50 })) }),
      fc.record({ lift: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ step: fc.integer({ min: 0, max: 30 }) }),
      fc.constant({ compact: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        // The model: a timer per live ban (id → end), fired by a clock of its own.
        const modelClock = new FakeClock(0);
        const live = new Map<string, { end: number; cancel: () => void }>();
        const expected: string[] = [];
        const clock = new FakeClock(0);
        const current = new Map<string, number>();
        const got: string[] = [];
        const q = new BanExpiries(clock, (id, order) => {
          if (current.get(id) !== order) return;
          current.delete(id);
          got.push(`${id}@${clock.now()}`);
        });
        for (const o of ops) {
          if ('add' in o) {
            const id = `a${o.add[0]}`,
              end = modelClock.now() + o.add[1];
            live.get(id)?.cancel();
            const t = modelClock.setTimer(end - modelClock.now(), () => {
              live.delete(id);
              expected.push(`${id}@${modelClock.now()}`);
            });
            live.set(id, { end, cancel: () => t.cancel() });
            current.set(id, q.add(id, end));
          } else if ('lift' in o) {
            const id = `a${o.lift}`;
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
      { numRuns: 500 },
    );
  });
});
