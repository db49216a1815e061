/**
 * The pieces on their own: keys (what a ban becomes at Cloudflare), the rate limiter's window
 * guarantee, Retry-After, option checks (no inline token), and scrubbing the token from text.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester, FakeClock } from '@f2b/core/testing';
import cloudflareAction, { accessRuleKey, accessRuleTarget, CF_CODES, listKey, normalizeOptions, parseRetryAfter, scrub, TokenBucket } from '../src/index.js';
import { ZONE } from './helpers.js';

describe('keys', () => {
  it('maps bans to access-rule targets', () => {
    expect(accessRuleTarget(accessRuleKey('192.0.2.7'))).toEqual({ target: 'ip', value: '192.0.2.7' });
    expect(accessRuleTarget(accessRuleKey('2001:DB8:0::7'))).toEqual({ target: 'ip6', value: '2001:db8::7' });
    expect(accessRuleTarget(accessRuleKey('198.51.100.9/24'))).toEqual({ target: 'ip_range', value: '198.51.100.0/24' });
    expect(accessRuleTarget(accessRuleKey('2001:db8:1:2::/64'))).toEqual({ target: 'ip_range', value: '2001:db8:1:2::/64' });
    expect(accessRuleKey('192.0.2.7/32')).toBe('192.0.2.7');
    expect(() => accessRuleKey('192.0.2.0/20')).toThrow(/access rules take IPv4 ranges of \/16, \/24/);
    expect(() => accessRuleKey('host.example')).toThrow(expect.objectContaining({ code: CF_CODES.target }));
  });

  it('maps bans to list items, IPv6 as its /64', () => {
    expect(listKey('192.0.2.7')).toBe('192.0.2.7');
    expect(listKey('2001:db8:0:1:aaaa::7')).toBe('2001:db8:0:1::/64');
    expect(listKey('2001:db8:0:1::/56')).toBe('2001:db8::/56');
    expect(listKey('2001:db8:0:1:2::/80')).toBe('2001:db8:0:1::/64');
    expect(listKey('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(() => listKey('10.0.0.0/7')).toThrow(/\/8 to \/32/);
  });
});

describe('TokenBucket', () => {
  it('never lets more than `requests` through in any window of `perSeconds`', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket(100, 10, clock);
    const sent: number[] = [];
    for (let i = 0; i < 400; i++)
      void b.take().then(() => {
        sent.push(clock.now());
      });
    for (let step = 0; step < 4000; step++) {
      clock.advance(10);
      await Promise.resolve(); // the takes resolved by this step record their time
    }
    let worst = 0;
    for (let i = 0, j = 0; i < sent.length; i++) {
      while (sent[i]! - sent[j]! >= 10_000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(100);
    expect(sent.length).toBeGreaterThan(350); // and it does let the rate through (5 + 95 per 10 s)
  });

  it('pauses every waiter on a 429 and serves them in order after, on the clock it is given', async () => {
    const clock = new FakeClock();
    const b = new TokenBucket(1000, 1, clock);
    const order: number[] = [];
    b.pause(60_000);
    const all = Promise.all([1, 2, 3].map((i) => b.take().then(() => order.push(i))));
    clock.advance(59_999);
    await Promise.resolve();
    expect(order).toEqual([]);
    clock.advance(1);
    for (let i = 0; i < 10 && order.length < 3; i++) {
      clock.advance(5); // then at the refill rate (5 % burst after a pause: none)
      await Promise.resolve();
    }
    await all;
    expect(order).toEqual([1, 2, 3]);
  });

  it('a wall clock set back does not stall the bucket for the jump', async () => {
    let now = Date.UTC(2024, 0, 15);
    const clock = new FakeClock(now);
    const jumpy = { now: () => now, setTimer: clock.setTimer.bind(clock) };
    const b = new TokenBucket(1000, 1, jumpy);
    b.pause(1000);
    now -= 3_600_000; // an hour back, while paused
    expect(b.pausedFor()).toBe(1000);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, a date counted from the given now', () => {
    const now = Date.UTC(2024, 0, 15, 12, 0, 0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
  });
});

describe('options', () => {
  const env = { CF: 'abcdefgh12345678' };

  it('refuses a token written in the config, with a clear error', () => {
    for (const key of ['token', 'apiToken', 'apiKey']) {
      expect(() => normalizeOptions({ zoneId: ZONE, tokenEnv: 'CF', [key]: 'x' } as never, env)).toThrow(
        expect.objectContaining({ code: CF_CODES.options, message: expect.stringContaining(`"${key}" would put the API token in the config`) }),
      );
    }
    // Through the engine as well: the schema lets it through so that this message, not "unknown option", is shown.
    expect(() => new ActionTester({ plugin: cloudflareAction(), type: 'cloudflare', options: { zoneId: ZONE, token: 'abc' } })).toThrow(
      /would put the API token in the config/,
    );
  });

  it('needs the right ids per mode and exactly one token source', () => {
    expect(() => normalizeOptions({ tokenEnv: 'CF' }, env)).toThrow(/exactly one of zoneId and accountId/);
    expect(() => normalizeOptions({ zoneId: 'z', accountId: 'a', tokenEnv: 'CF' }, env)).toThrow(/exactly one of zoneId/);
    expect(() => normalizeOptions({ mode: 'list', zoneId: 'z', tokenEnv: 'CF' }, env)).toThrow(/list mode needs accountId/);
    expect(() => normalizeOptions({ mode: 'list', accountId: 'a', ruleMode: 'challenge', tokenEnv: 'CF' }, env)).toThrow(/ruleMode belongs/);
    expect(() => normalizeOptions({ zoneId: 'z' }, env)).toThrow(/exactly one of tokenFile and tokenEnv/);
    expect(() => normalizeOptions({ zoneId: 'z', tokenEnv: 'MISSING' }, env)).toThrow(expect.objectContaining({ code: CF_CODES.token }));
    const c = normalizeOptions({ mode: 'list', accountId: 'a', tokenEnv: 'CF' }, env);
    expect(c).toMatchObject({
      scopePath: 'accounts/a',
      listName: 'f2b_banned',
      rateLimit: { requests: 1200, perSeconds: 300 },
      apiBase: 'https://api.cloudflare.com/client/v4',
    });
  });

  it('reads the token from the first line of tokenFile and never puts it in messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-cf-'));
    try {
      writeFileSync(join(dir, 'token'), 'file-token-0123456789\n', { mode: 0o600 });
      expect(normalizeOptions({ zoneId: 'z', tokenFile: join(dir, 'token') }).token).toBe('file-token-0123456789');
      expect(() => normalizeOptions({ zoneId: 'z', tokenFile: join(dir, 'nope') })).toThrow(/tokenFile ".*nope": ENOENT/);
      expect(scrub('failed: Authorization: Bearer file-token-0123456789 and file-token-0123456789')).not.toContain('file-token-0123456789');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
