/**
 * `@f2b/action-webhook` against a real HTTP server on loopback: each format's body, secrets in
 * headers never logged, digests, 5xx and 429 retried (Retry-After honoured), other 4xx an error,
 * a server that hangs timed out, the rate limit, and a retried batch sending only what did not arrive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester, FakeClock } from '@f2b/core/testing';
import webhookAction, { transactionId } from '../src/index.js';
import { hookServer } from './server.js';

let hook: Awaited<ReturnType<typeof hookServer>>;
beforeEach(async () => {
  hook = await hookServer();
});
afterEach(async () => {
  await hook.close();
});

const START = Date.parse('2026-12-07T10:00:00Z');
const tester = (options: Record<string, unknown>, clock?: FakeClock) =>
  new ActionTester({ plugin: webhookAction(), type: 'webhook', jail: 'sshd', options: { host: 'web-1', backoffMs: 1, ...options }, clock });
const ban = (t: ActionTester, id: string, extra: object = {}) => ({ ...t.ban(id, { start: START, bantime: 3600 }), rule: 'failed-password', ...extra });
const errOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as Error & { code: string },
  );

describe('@f2b/action-webhook: bodies', () => {
  it('json: one object per event, with the headers (secrets from env and file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'f2b-webhook-'));
    process.env.F2B_WEBHOOK_TEST_TOKEN = 'tok-9f8e7d6c5b4a';
    try {
      writeFileSync(join(dir, 'key'), 'file-secret-1234\n', { mode: 0o600 });
      const t = tester({
        url: `${hook.url}/hooks/f2b?x=1`,
        headers: { Authorization: { env: 'F2B_WEBHOOK_TEST_TOKEN', prefix: 'Bearer ' }, 'X-Api-Key': { file: join(dir, 'key') }, 'X-Site': 'web' },
      });
      await t.instance.ban([ban(t, '2001:DB8::0005')]);
      await t.instance.unban([{ ...t.unban('2001:db8::5', START + 60_000), reason: 'manual' }]);
      expect(hook.received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /hooks/f2b?x=1', 'POST /hooks/f2b?x=1']);
      expect(hook.received[0]!.headers).toMatchObject({
        authorization: 'Bearer tok-9f8e7d6c5b4a',
        'x-api-key': 'file-secret-1234',
        'x-site': 'web',
        'content-type': 'application/json',
      });
      expect(hook.received[0]!.body).toEqual({
        event: 'ban',
        jail: 'sshd',
        ip: '2001:db8::5',
        family: 'inet6',
        start: '2026-12-07T10:00:00.000Z',
        end: '2026-12-07T11:00:00.000Z',
        bantime: 3600,
        failures: 5,
        count: 1,
        rule: 'failed-password',
        host: 'web-1',
      });
      expect(hook.received[1]!.body).toEqual({
        event: 'unban',
        jail: 'sshd',
        ip: '2001:db8::5',
        family: 'inet6',
        time: '2026-12-07T10:01:00.000Z',
        reason: 'manual',
        host: 'web-1',
      });
    } finally {
      delete process.env.F2B_WEBHOOK_TEST_TOKEN;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('slack and mattermost: text (markup escaped) and username', async () => {
    for (const format of ['slack', 'mattermost']) {
      const t = tester({ url: `${hook.url}/services/T0/B0/XYZ`, format, username: 'f2b' });
      await t.instance.ban([ban(t, '203.0.113.5', { jail: 'a<b>&c' })]);
    }
    expect(hook.received.map((r) => r.body)).toEqual([
      { text: '[a&lt;b&gt;&amp;c] Ban 203.0.113.5 for 1h (5 failures, rule failed-password) on web-1', username: 'f2b' },
      { text: '[a&lt;b&gt;&amp;c] Ban 203.0.113.5 for 1h (5 failures, rule failed-password) on web-1', username: 'f2b' },
    ]);
  });

  it('discord: content without mentions', async () => {
    const t = tester({ url: `${hook.url}/api/webhooks/1/abc`, format: 'discord' });
    await t.instance.ban([ban(t, '198.51.100.7', { end: null })]);
    expect(hook.received[0]!.body).toEqual({
      content: '[sshd] Ban 198.51.100.7 for good (5 failures, rule failed-password) on web-1',
      allowed_mentions: { parse: [] },
    });
  });

  it('matrix: PUT an m.notice to the room with a transaction id that a retry repeats', async () => {
    let first = true;
    hook.handle((_r, res) => {
      res.statusCode = first ? 502 : 200;
      first = false;
      res.end('{}');
    });
    const t = tester({ url: `${hook.url}/`, format: 'matrix', room: '!room:example.org', headers: { Authorization: 'Bearer syt_x' } });
    await t.instance.ban([ban(t, '192.0.2.9')]);
    expect(hook.received).toHaveLength(2);
    const [a, b] = hook.received;
    expect(a!.method).toBe('PUT');
    expect(a!.url).toMatch(/^\/_matrix\/client\/v3\/rooms\/!room%3Aexample\.org\/send\/m\.room\.message\/f2b-[0-9a-f]{32}$/);
    expect(b!.url).toBe(a!.url);
    expect(a!.body).toEqual({ msgtype: 'm.notice', body: '[sshd] Ban 192.0.2.9 for 1h (5 failures, rule failed-password) on web-1' });
    expect(transactionId(['x'])).not.toBe(transactionId(['y']));
  });

  it('a call with more than digestAbove events is one digest', async () => {
    const t = tester({ url: hook.url, digestAbove: 2 });
    const chat = tester({ url: hook.url, format: 'slack', digestAbove: 2, digestLines: 2 });
    await t.instance.ban(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => ban(t, ip)));
    await chat.instance.ban(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => ban(chat, ip)));
    expect(hook.received).toHaveLength(2);
    const digest = hook.received[0]!.body as { event: string; host: string; events: { ip: string }[] };
    expect(digest).toMatchObject({ event: 'digest', host: 'web-1' });
    expect(digest.events.map((e) => e.ip)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect((hook.received[1]!.body as { text: string }).text).toBe(
      [
        'f2b on web-1: 3 ban(s), 0 unban(s)',
        '[sshd] Ban 192.0.2.1 for 1h (5 failures, rule failed-password)',
        '[sshd] Ban 192.0.2.2 for 1h (5 failures, rule failed-password)',
        '… and 1 more',
      ].join('\n'),
    );
  });
});

describe('@f2b/action-webhook: failures', () => {
  it('retries 5xx, then delivers once', async () => {
    let n = 0;
    hook.handle((_r, res) => {
      res.statusCode = ++n < 3 ? 503 : 204;
      res.end();
    });
    const t = tester({ url: hook.url });
    await t.applyBans('192.0.2.20');
    expect(hook.received).toHaveLength(3);
  });

  it('a 429 waits for Retry-After; one asking longer than maxRetryAfterMs fails the call at once', async () => {
    let n = 0;
    hook.handle((_r, res) => {
      if (++n === 1) {
        res.statusCode = 429;
        res.setHeader('retry-after', '0');
      }
      res.end();
    });
    const t = tester({ url: hook.url });
    await t.applyBans('192.0.2.21');
    expect(hook.received).toHaveLength(2);
    hook.handle((_r, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '3600');
      res.end();
    });
    const err = await errOf(t.applyBans('192.0.2.22'));
    expect(err?.code).toBe('F2B_ERR_WEBHOOK_RATE_LIMITED');
    expect(err!.message).toContain('wait 3600 s');
    expect(hook.received).toHaveLength(3);
  });

  it('a 4xx other than 429 is an error at once, quoting the server (escaped), never the URL', async () => {
    hook.handle((_r, res) => {
      res.statusCode = 404;
      res.end('no such hook\x1b[2J');
    });
    const t = tester({ url: `${hook.url}/services/SECRET-PATH-123` });
    const err = await errOf(t.applyBans('192.0.2.23'));
    expect(err?.code).toBe('F2B_ERR_WEBHOOK_REJECTED');
    expect(err!.message).toBe(`The webhook at ${hook.url} refused the request with HTTP 404: no such hook\\x1b[2J.`);
    expect(hook.received).toHaveLength(1);
  });

  it('a server that hangs is timed out and retried, then the call fails', async () => {
    hook.handle(() => {
      /* never answers */
    });
    const t = tester({ url: hook.url, timeoutMs: 200, maxAttempts: 2 });
    const err = await errOf(t.applyBans('192.0.2.24'));
    expect(err?.code).toBe('F2B_ERR_WEBHOOK_UNAVAILABLE');
    expect(err!.message).toMatch(/after 2 attempt\(s\): UND_ERR_HEADERS_TIMEOUT/);
    expect(hook.received).toHaveLength(2);
  });

  it('a retried batch sends only the events that did not arrive; a bad id is reported, never sent', async () => {
    hook.handle((r, res) => {
      res.statusCode = (r.body as { ip: string }).ip === '192.0.2.31' ? 500 : 200;
      res.end();
    });
    const t = tester({ url: hook.url, maxAttempts: 1 });
    const bans = ['192.0.2.30', '192.0.2.31', 'not an ip'].map((ip) => ban(t, ip));
    expect((await errOf(t.instance.ban(bans)))?.code).toBe('F2B_ERR_WEBHOOK_UNAVAILABLE');
    expect(t.errors.map((e) => (e as { code: string }).code)).toEqual(['F2B_ERR_WEBHOOK_VALUE']);
    hook.handle((_r, res) => {
      res.end();
    });
    await t.instance.ban(bans);
    expect(hook.received.map((r) => (r.body as { ip: string }).ip).sort()).toEqual(['192.0.2.30', '192.0.2.31', '192.0.2.31']);
  });

  it('keeps to the rate limit (on the action clock)', async () => {
    const clock = new FakeClock(START);
    const t = tester({ url: hook.url, rateLimit: { requests: 2, perSeconds: 60 } }, clock);
    const done = t.instance.ban(['192.0.2.40', '192.0.2.41', '192.0.2.42'].map((ip) => ban(t, ip)));
    await until(() => hook.received.length === 2);
    await new Promise((r) => setTimeout(r, 50)); // the third waits for the clock, not for time
    expect(hook.received).toHaveLength(2);
    clock.advance(60_000);
    await done;
    expect(hook.received).toHaveLength(3);
  });
});

describe('@f2b/action-webhook: options and secrets', () => {
  const code = (o: Record<string, unknown>) => {
    try {
      tester(o);
      return 'accepted';
    } catch (e) {
      return `${(e as { code: string }).code}: ${(e as Error).message}`;
    }
  };

  it('needs exactly one URL source and a room for matrix; an unset variable names the variable, never a value', () => {
    expect(code({})).toMatch(/F2B_ERR_WEBHOOK_OPTIONS: .*"url" .*is missing/);
    expect(code({ url: hook.url, urlEnv: 'X' })).toMatch(/given 2 ways/);
    expect(code({ url: hook.url, format: 'matrix' })).toMatch(/"room" .*is missing/);
    expect(code({ urlEnv: 'F2B_WEBHOOK_TEST_UNSET' })).toMatch(/F2B_ERR_WEBHOOK_SECRET: .*variable F2B_WEBHOOK_TEST_UNSET: it is not set/);
    expect(code({ url: 'ftp://x' })).toMatch(/F2B_ERR_PLUGIN_OPTIONS|pattern/);
  });

  it('never logs the URL or a header secret', async () => {
    process.env.F2B_WEBHOOK_TEST_URL = `${hook.url}/services/T000/B000/s3cr3tpath`;
    try {
      hook.handle((r, res) => {
        res.statusCode = 400;
        res.end(`bad request to ${r.url} with ${String(r.headers['x-token'])}`);
      });
      const t = tester({ urlEnv: 'F2B_WEBHOOK_TEST_URL', format: 'slack', headers: { 'X-Token': 'hdr-secret-5678' } });
      const err = await errOf(t.applyBans('192.0.2.50'));
      const text = [err!.message, (err as { fix?: string }).fix, JSON.stringify(t.logger.records)].join('\n');
      expect(text).not.toContain('s3cr3tpath');
      expect(text).not.toContain('hdr-secret-5678');
      expect(err!.message).toContain('[redacted]');
    } finally {
      delete process.env.F2B_WEBHOOK_TEST_URL;
    }
  });
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
