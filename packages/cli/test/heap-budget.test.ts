/**
 * test-filter's heap budget (src/test-filter/heap-budget.ts): the young generation stops growing at
 * its cap. Run in a child process, as it turns V8 flags down for the whole process; the workload
 * (short-lived objects with a window of survivors, like a log's lines and sessions) makes V8 grow the
 * young generation to its maximum without the budget, which the child reports too.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../dist/test-filter/heap-budget.js', import.meta.url));

const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
const budget = process.argv[1] === 'budget' ? new (await import(process.argv[2])).HeapBudget() : null;
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const window = new Array(20000);
let max = 0;
for (let i = 0; i < 3_000_000; i++) {
  window[i % window.length] = { i, s: 'line ' + i };
  if (i % 10000 === 0) { budget?.check(); max = Math.max(max, newSpace()); }
}
process.stdout.write(String(max));
`;

const peakYoung = (...args: string[]) => Number(execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, ...args], { encoding: 'utf8' }));

describe('HeapBudget', () => {
  it('keeps the young generation at 8 MiB where V8 alone grows it further', () => {
    expect(peakYoung('budget', MODULE)).toBeLessThanOrEqual(8 << 20);
    expect(peakYoung('none')).toBeGreaterThan(8 << 20);
  });
});
