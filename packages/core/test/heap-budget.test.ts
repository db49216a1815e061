/**
 * limitYoungGeneration (src/heap-budget.ts): at the cap it stops V8's young generation from growing
 * at once and looks no more; below it, it looks again on the clock until it is there (or cancelled).
 * The flag only limits growth, so setting it in a test worker changes nothing a test could see.
 * stopYoungGenerationGrowth (what `f2b start` calls first) is seen in processes of its own: one
 * that calls it and one that does not, keeping objects alive long enough to survive scavenges.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** A process that keeps 200,000 objects at a time alive: the new space it ends with, in bytes. */
const SURVIVORS = `
import { getHeapSpaceStatistics } from 'node:v8';
const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const { stopYoungGenerationGrowth } = await import(process.argv[1]);
if (process.argv[2] === 'stop') stopYoungGenerationGrowth();
let keep = [];
for (let i = 0; i < 3e6; i++) { keep.push({ i }); if (keep.length > 200000) keep = []; }
console.log(size());
`;

describe('stopYoungGenerationGrowth', () => {
  // The built module (npm test builds first): the child runs plain JavaScript.
  const budget = fileURLToPath(new URL('../dist/heap-budget.js', import.meta.url));
  const newSpaceAfter = (mode: 'stop' | 'free') =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', SURVIVORS, budget, mode], { encoding: 'utf8' }).trim());

  it('keeps the new space near its start-up size where V8 would grow it to its maximum', () => {
    const stopped = newSpaceAfter('stop'),
      free = newSpaceAfter('free');
    expect(free).toBeGreaterThanOrEqual(16 << 20);
    expect(stopped).toBeLessThanOrEqual(4 << 20);
  });
});
