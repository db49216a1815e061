import { describe, expect, it } from 'vitest';
import { MemoPacer } from '../src/filter/memo-pacer.js';
import { FilterRunner } from '../src/filter/engine.js';
import type { LogEntry } from '../src/types.js';

/** How many of `n` messages the pacer lets through to the memo, each answered with `answered(i)`. */
function asked(pacer: MemoPacer, n: number, answered: (i: number) => boolean): number {
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!pacer.ask()) continue;
    count++;
    pacer.asked(answered(i));
  }
  return count;
}

describe('MemoPacer', () => {
  it('keeps asking a memo that answers often', () => {
    expect(asked(new MemoPacer(100, 1000), 10_000, (i) => i % 4 !== 0)).toBe(10_000);
  });

  it('leaves aside a memo that answers fewer than 1 in 16, then asks it again', () => {
    const pacer = new MemoPacer(100, 1000);
    // 100 asked, 1,000 resting, 100 asked, 1,000 resting, …: 11,000 messages, 1,000 asked.
    expect(asked(pacer, 11_000, () => false)).toBe(1000);
    // Answers again: asked from the next window on.
    expect(asked(pacer, 5_000, () => true)).toBe(5_000);
  });

  it('gives a runner the same answers while the memo rests', () => {
    const def = { id: 'app', programs: ['app'], rules: [{ id: 'r', pattern: '^GET (?P<path>\\S+) from <ADDR> at [0-9]+$' }] };
    const runner = new FilterRunner(def);
    const entry = (message: string): LogEntry => ({ raw: Buffer.from(`h app[1]: ${message}`), message: Buffer.from(message), time: 0, program: 'app' });
    // Unique messages (a counter in each) put the memo to rest; the answers stay the rules'.
    for (let i = 0; i < 10_000; i++) {
      const hit = runner.find(entry(`GET /p${i % 7} from 192.0.2.${i % 250} at ${i}`));
      expect(hit?.host).toBe(`192.0.2.${i % 250}`);
      expect(hit?.captures.path).toBe(`/p${i % 7}`);
    }
    expect(runner.find(entry('POST / from 192.0.2.1 at 1'))).toBeNull();
  });
});
