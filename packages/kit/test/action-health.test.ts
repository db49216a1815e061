import { describe, expect, it } from 'vitest';
import { FakeClock } from '@f2b/core/testing';
import { ActionHealth, defineErrors } from '../src/index.js';

const errors = defineErrors({
  F2B_ERR_TEST_A: { exit: 'failure', make: () => ({ message: 'A failed.', fix: 'Fix A.' }) },
  F2B_ERR_TEST_B: { exit: 'failure', make: () => ({ message: 'B failed.', fix: 'Fix B.' }) },
});

function world(checkIntervalMs = 0) {
  const clock = new FakeClock();
  const reported: string[] = [];
  const said: string[] = [];
  const ctx = {
    clock,
    error: (e: unknown) => reported.push((e as { code: string }).code),
    logger: { debug: (m: string) => said.push(`debug ${m}`), info: (m: string) => said.push(`info ${m}`) },
  };
  const health = new ActionHealth(ctx, { name: 'test action', retryDelayMs: 1000, retryMaxDelayMs: 4000, checkIntervalMs });
  return { clock, reported, said, health };
}

describe('ActionHealth', () => {
  it('reports a streak once, retries on the clock with backoff, and says once that it works again', () => {
    const { clock, reported, said, health } = world();
    const retries: number[] = [];
    const fail = (code: 'F2B_ERR_TEST_A' | 'F2B_ERR_TEST_B') => {
      health.failed(errors[code]());
      health.scheduleRetry(() => retries.push(clock.now()));
    };
    const t0 = clock.now();
    fail('F2B_ERR_TEST_A');
    clock.advance(999);
    expect(retries).toEqual([]);
    clock.advance(1);
    expect(retries).toEqual([t0 + 1000]);
    fail('F2B_ERR_TEST_A'); // second failure: 2 s
    fail('F2B_ERR_TEST_A'); // asked again meanwhile: still one retry
    clock.advance(4000);
    expect(retries).toEqual([t0 + 1000, t0 + 3000]);
    fail('F2B_ERR_TEST_B'); // another problem: reported too
    expect(reported).toEqual(['F2B_ERR_TEST_A', 'F2B_ERR_TEST_B']);
    expect(said.filter((s) => s.startsWith('debug'))).toHaveLength(2);
    health.healthy();
    expect(health.retryDue).toBe(false);
    expect(said.at(-1)).toBe('info test action works again (after 4 failed attempt(s)); queued bans and unbans have been applied.');
    health.healthy(); // nothing to say the second time
    expect(said.filter((s) => s.startsWith('info'))).toHaveLength(1);
  });

  it('checks every interval on the clock, the next armed when one is done, none while a retry is due or after stop', async () => {
    const { clock, health } = world(10_000);
    let checks = 0;
    let finish: () => void = () => undefined;
    health.armCheck(
      () =>
        new Promise<void>((r) => {
          checks++;
          finish = r;
        }),
    );
    clock.advance(10_000);
    expect(checks).toBe(1);
    clock.advance(30_000); // still running: no second check piles up
    expect(checks).toBe(1);
    finish();
    await new Promise((r) => setImmediate(r));
    clock.advance(10_000);
    expect(checks).toBe(2);
    finish();
    await new Promise((r) => setImmediate(r));
    health.failed(errors.F2B_ERR_TEST_A());
    health.scheduleRetry(() => undefined);
    health.scheduleRetry(() => undefined);
    expect(health.retryDue).toBe(true);
    clock.advance(999); // the check is due before the retry: it waits
    clock.advance(9_001 - 999);
    expect(checks).toBe(2);
    health.stop();
    clock.advance(100_000);
    expect(checks).toBe(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});
