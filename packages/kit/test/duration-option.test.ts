import { describe, expect, it } from 'vitest';
import { durationOptionMs } from '../src/index.js';

describe('durationOptionMs', () => {
  const invalid = (cause: unknown) => Object.assign(new Error('F2B_ERR_X_OPTIONS: checkInterval is not a duration'), { cause });

  it('gives the fallback when unset, milliseconds otherwise (0 allowed)', () => {
    expect(durationOptionMs(undefined, 30_000, 'checkInterval', invalid)).toBe(30_000);
    expect(durationOptionMs('1m', 30_000, 'checkInterval', invalid)).toBe(60_000);
    expect(durationOptionMs(0.5, 30_000, 'checkInterval', invalid)).toBe(500);
    expect(durationOptionMs(0, 30_000, 'checkInterval', invalid)).toBe(0);
  });

  it("turns an unreadable or negative value into the plugin's own error, with the cause", () => {
    for (const bad of ['soon', '-5', -1]) {
      let thrown: unknown;
      try {
        durationOptionMs(bad, 30_000, 'checkInterval', invalid);
      } catch (err) {
        thrown = err;
      }
      expect((thrown as Error).message, String(bad)).toBe('F2B_ERR_X_OPTIONS: checkInterval is not a duration');
      expect((thrown as Error).cause).toBeInstanceOf(Error);
    }
  });
});
