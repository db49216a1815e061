/**
 * The client's waits run on the core's clock: a 429's `Retry-After` (seconds or an HTTP date) and
 * the backoff after a 5xx are waited out on a `FakeClock`, so a test moves through them without
 * waiting — and nothing is sent again before the clock says so. On the wall clock these tests would
 * wait 30 s (and the date form would be in the past: no wait at all).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '@f2b/core/testing';
import { CloudflareClient } from '../src/index.js';

interface Reply {
  status: number;
  headers?: Record<string, string>;
}

/** A loopback server answering each request with the next reply (the last one repeats); it records when the fake clock saw each. */
async function serve(clock: FakeClock, replies: Reply[]): Promise<{ server: Server; base: string; seen: number[]; next: () => Promise<void> }> {
  const seen: number[] = [];
  let waiting: (() => void) | null = null;
  const server = createServer((req, res) => {
    const reply = replies[Math.min(seen.length, replies.length - 1)]!;
    seen.push(clock.now());
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(
      JSON.stringify({
        success: reply.status < 400,
        errors: reply.status < 400 ? [] : [{ code: 10000, message: 'slow down' }],
        messages: [],
        result: { id: 'x' },
      }),
    );
    waiting?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`;
  /** Resolves at the next request the server answers. */
  const next = () => new Promise<void>((r) => (waiting = r));
  return { server, base, seen, next };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

function client(base: string, clock: FakeClock, backoffMs = 1000): CloudflareClient {
  return new CloudflareClient({
    apiBase: base,
    token: 'fake-token',
    rateLimit: { requests: 1000, perSeconds: 1 },
    timeoutMs: 5000,
    maxAttempts: 3,
    backoffMs,
    clock,
  });
}

/** Until the client has read the answer and armed its wait on the clock (an event, not a time). */
async function armed(clock: FakeClock): Promise<void> {
  while (clock.pendingTimers() === 0) await new Promise((r) => setImmediate(r));
}

/** A few turns of the event loop: time for a request to go out if one were due. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('CloudflareClient on the core clock', () => {
  it.each([
    ['delta seconds', (_now: number) => '30'],
    ['an HTTP date', (now: number) => new Date(now + 30_000).toUTCString()],
  ])('waits out Retry-After (%s) on the clock: nothing is sent before it, the retry right after', async (_form, retryAfter) => {
    const clock = new FakeClock();
    const s = await serve(clock, [{ status: 429, headers: { 'retry-after': retryAfter(Date.UTC(2024, 0, 15, 12, 0, 0)) } }, { status: 200 }]);
    const c = client(s.base, clock);
    cleanup = async () => {
      await c.close();
      await new Promise((r) => s.server.close(r));
    };
    const first = s.next();
    const call = c.call('GET', '/zones/z/firewall/access_rules/rules');
    await first;
    await armed(clock);
    expect(c.limiter.pausedFor()).toBe(30_000);
    clock.advance(29_999);
    await settle();
    expect(s.seen).toHaveLength(1);
    // At its end the bucket starts empty (no burst after a pause): the retry goes at the first token.
    const second = s.next();
    while (s.seen.length < 2) {
      clock.advance(1);
      await settle();
    }
    await second;
    expect((await call).status).toBe(200);
    expect(s.seen[1]! - s.seen[0]!).toBeGreaterThanOrEqual(30_000);
    expect(s.seen[1]! - s.seen[0]!).toBeLessThanOrEqual(30_005);
    expect(c.stats).toMatchObject({ requests: 2, retries: 1, rateLimited: 1 });
  });

  it('backs off after a 5xx on the clock (half to all of backoffMs, doubled per attempt)', async () => {
    const clock = new FakeClock();
    const s = await serve(clock, [{ status: 503 }, { status: 503 }, { status: 200 }]);
    const c = client(s.base, clock, 10_000);
    cleanup = async () => {
      await c.close();
      await new Promise((r) => s.server.close(r));
    };
    const first = s.next();
    const call = c.call('GET', '/zones/z/firewall/access_rules/rules');
    await first;
    await armed(clock);
    // The first backoff is 5–10 s: nothing before 5 s.
    clock.advance(4_999);
    await settle();
    expect(s.seen).toHaveLength(1);
    const second = s.next();
    clock.advance(5_001);
    await second;
    await armed(clock);
    // The second is 10–20 s after the second answer.
    const third = s.next();
    clock.advance(20_000);
    await third;
    expect((await call).status).toBe(200);
    expect(s.seen[1]! - s.seen[0]!).toBeGreaterThanOrEqual(5_000);
    expect(s.seen[2]! - s.seen[1]!).toBeGreaterThanOrEqual(10_000);
    expect(c.stats).toMatchObject({ requests: 3, retries: 2, serverErrors: 2 });
  });
});
