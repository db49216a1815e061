import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OldestFirst } from '../src/oldest-first.js';

/** What OldestFirst must always answer: the first key in insertion order, as a fresh iterator reads it. */
function naiveEvict(map: Map<number, number>): number | undefined {
  const first = map.keys().next();
  if (first.done === true) return undefined;
  map.delete(first.value);
  return first.value;
}

type Op = { op: 'set'; key: number } | { op: 'delete'; key: number } | { op: 'touch'; key: number } | { op: 'evict' } | { op: 'clear' };

const ops = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('touch' as const), key: fc.integer({ min: 0, max: 40 }) }) },
    { weight: 3, arbitrary: fc.constant({ op: 'evict' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
  ),
  { maxLength: 300 },
);

describe('OldestFirst', () => {
  it('evicts exactly what a fresh iterator would, whatever was set, moved, deleted or cleared meanwhile', () => {
    fc.assert(
      fc.property(ops, (list: Op[]) => {
        const real = new Map<number, number>();
        const model = new Map<number, number>();
        const oldest = new OldestFirst(real);
        for (const o of list) {
          if (o.op === 'evict') expect(oldest.evict()).toBe(naiveEvict(model));
          else if (o.op === 'clear') {
            real.clear();
            model.clear();
          } else
            for (const m of [real, model]) {
              // touch: an LRU's move to the end (delete, then set again) when the key is there.
              if (o.op === 'touch' && !m.has(o.key)) continue;
              m.delete(o.key);
              if (o.op !== 'delete') m.set(o.key, 1);
            }
          expect([...real.keys()]).toEqual([...model.keys()]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('works on a Set, and answers undefined when empty', () => {
    const s = new Set(['a', 'b']);
    const oldest = new OldestFirst(s);
    expect(oldest.evict()).toBe('a');
    s.add('c');
    expect(oldest.evict()).toBe('b');
    expect(oldest.evict()).toBe('c');
    expect(oldest.evict()).toBeUndefined();
    s.add('d');
    expect(oldest.evict()).toBe('d');
  });

  it('keeps its iterator: an LRU of 50,000 churned 200,000 times never starts again at the front', () => {
    // A fresh iterator starts at the front and steps over every hole left there (inside V8, so it
    // is counted by the iterators made, not timed): the evictions must reuse one.
    const map = new Map<number, number>();
    let fresh = 0;
    const counting = {
      get size() {
        return map.size;
      },
      delete: (k: number) => map.delete(k),
      keys: () => {
        fresh++;
        return map.keys();
      },
    };
    const oldest = new OldestFirst(counting);
    for (let i = 0; i < 250_000; i++) {
      if (map.size >= 50_000) oldest.evict();
      map.set(i, i);
    }
    expect(map.size).toBe(50_000);
    expect(map.keys().next().value).toBe(200_000);
    expect(fresh).toBe(1);
  });
});
