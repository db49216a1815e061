import { describe, expect, it } from 'vitest';
import { FailureStreak, FailureStreaks, backoffDelay } from '../src/index.js';

describe('FailureStreak', () => {
  it('reports the first error of a streak, again only when the problem changes, and starts over after a success', () => {
    const s = new FailureStreak({ firstMs: 100, maxMs: 1000 });
    expect(s.report('F2B_ERR_A')).toBe(true);
    expect(s.report('F2B_ERR_A')).toBe(false);
    expect(s.report('F2B_ERR_B')).toBe(true);
    expect(s.reported).toBe(true);
    s.failed();
    s.failed();
    expect(s.succeeded()).toEqual({ failures: 2, reported: true });
    expect(s.succeeded()).toEqual({ failures: 0, reported: false });
    expect(s.report('F2B_ERR_B')).toBe(true);
  });

  it('doubles the wait per failure up to the maximum, and starts over after a success', () => {
    const s = new FailureStreak({ firstMs: 100, maxMs: 1000 });
    expect(s.delayMs).toBe(100);
    expect([s.failed(), s.failed(), s.failed(), s.failed(), s.failed(), s.failed()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    s.succeeded();
    expect(s.failed()).toBe(100);
    expect(backoffDelay(1_000_000, 1, 5000)).toBe(5000);
  });
});

describe('FailureStreaks', () => {
  it('keeps one streak per key', () => {
    const s = new FailureStreaks();
    expect(s.report('read\0/a', 'EACCES')).toBe(true);
    expect(s.report('read\0/b', 'EACCES')).toBe(true);
    expect(s.report('read\0/a', 'EACCES')).toBe(false);
    expect(s.succeeded('read\0/a')).toBe(true);
    expect(s.succeeded('read\0/a')).toBe(false);
    expect(s.report('read\0/a', 'EACCES')).toBe(true);
    expect(s.report('read\0/b', 'EACCES')).toBe(false);
  });
});
