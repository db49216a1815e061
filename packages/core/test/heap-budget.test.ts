/**
 * limitYoungGeneration (src/heap-budget.ts): at the cap it stops V8's young generation from growing
 * at once and looks no more; below it, it looks again on the clock until it is there (or cancelled).
 * The flag only limits growth, so setting it in a test worker changes nothing a test could see.
 */
import { describe, expect, it } from 'vitest';
import { getHeapSpaceStatistics } from 'node:v8';
import { FakeClock } from '../src/testing/index.js';
import { limitYoungGeneration } from '../src/heap-budget.js';

const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

describe('limitYoungGeneration', () => {
  it('stops at once when the young generation has reached the cap', () => {
    const clock = new FakeClock(0);
    limitYoungGeneration(clock, 1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('below the cap, looks again every second until cancelled', () => {
    const clock = new FakeClock(0);
    const handle = limitYoungGeneration(clock, newSpace() * 1024);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(3000);
    expect(clock.pendingTimers()).toBe(1);
    handle.cancel();
    expect(clock.pendingTimers()).toBe(0);
  });
});
