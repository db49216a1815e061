/**
 * The fleet's report throttles run on the core's clock: a Redis that stays down is reported once a
 * minute, and an origin over its receive limit warned about once a minute, however often it happens
 * — a minute of the FakeClock, not of the wall clock. No Redis is needed: the fleet is not started,
 * and the two throttled reports are driven directly (they are what every failed retry and every
 * refused ban calls).
 */
import { describe, expect, it } from 'vitest';
import { memoryLogger, type FleetContext } from '@f2b/core';
import { FakeClock } from '@f2b/core/testing';
import { createRedisFleet } from '../src/index.js';

interface Throttled {
  onError(err: unknown): void;
  warnLimited(origin: string): void;
}

function fleet(clock: FakeClock) {
  const errors: unknown[] = [];
  const logger = memoryLogger();
  const ctx: FleetContext = {
    host: 'clock-1',
    logger,
    clock,
    jails: () => [],
    applyBan: () => 'applied',
    applyUnban: () => true,
    decideBan: () => null,
    bansInForce: () => [],
    load: async () => undefined,
    save: async () => undefined,
    error: (e) => errors.push(e),
  };
  const instance = createRedisFleet({ url: 'redis://127.0.0.1:1/0', name: 'clock', receive: { maxBansPerOrigin: 1 } }, ctx);
  return { throttled: instance as unknown as Throttled, errors, logger };
}

describe('fleet-redis report throttles on the core clock', () => {
  it('reports a Redis that stays down once a minute of the clock', () => {
    const clock = new FakeClock();
    const f = fleet(clock);
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    f.throttled.onError(down);
    f.throttled.onError(down);
    clock.advance(59_999);
    f.throttled.onError(down);
    expect(f.errors).toHaveLength(1);
    clock.advance(1);
    f.throttled.onError(down);
    expect(f.errors).toHaveLength(2);
    expect((f.errors[0] as { code: string }).code).toBe('F2B_ERR_FLEET_UNREACHABLE');
  });

  it('warns about an origin over its limit once a minute of the clock, per origin', () => {
    const clock = new FakeClock();
    const f = fleet(clock);
    const warnings = () => f.logger.records.filter((r) => r.level === 'warn' && /sends more bans/.test(r.msg)).map((r) => r.msg);
    f.throttled.warnLimited('host-a');
    f.throttled.warnLimited('host-a');
    f.throttled.warnLimited('host-b');
    clock.advance(59_999);
    f.throttled.warnLimited('host-a');
    expect(warnings()).toHaveLength(2);
    clock.advance(1);
    f.throttled.warnLimited('host-a');
    expect(warnings()).toHaveLength(3);
    expect(warnings()[2]).toContain('Fleet host host-a');
  });
});
