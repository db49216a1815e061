/**
 * Shared test setup: a fake Cloudflare on loopback, the token in an environment variable, and an
 * ActionTester running the real action against the fake.
 */
import { ActionTester } from '@f2b/core/testing';
import cloudflareAction, { type CloudflareAction, type CloudflareOptions } from '../src/index.js';
import { FakeCloudflare, type FakeCloudflareOptions, type FakeRule } from '../src/testing/index.js';

/** Distinctive, so that a leak into any log line or error is easy to find. */
export const TOKEN = 'cfTEST-9b2f4e7a1c3d5e6f-secret';
export const TOKEN_ENV = 'F2B_CF_TEST_TOKEN';
export const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
export const ACCOUNT = '01a7362d577a6c3019a474fd6f485823';

export async function startFake(opts: FakeCloudflareOptions = {}): Promise<{ fake: FakeCloudflare; apiBase: string }> {
  // Faster than Cloudflare (1200 per 5 minutes, then blocked for 5 minutes) so tests run quickly,
  // but still enforced.
  const fake = new FakeCloudflare({ tokens: [TOKEN], rateLimit: { requests: 2000, perSeconds: 1 }, blockSeconds: 1, ...opts });
  const apiBase = await fake.start();
  process.env[TOKEN_ENV] = TOKEN;
  return { fake, apiBase };
}

/** Options every test uses: fast retries and rate, no automatic reconcile unless asked. */
export function baseOptions(apiBase: string, extra: CloudflareOptions = {}): CloudflareOptions {
  return { tokenEnv: TOKEN_ENV, apiBase, backoffMs: 5, maxAttempts: 3, reconcileDelay: -1, rateLimit: { requests: 1000, perSeconds: 1 }, ...extra };
}

export function tester(apiBase: string, options: CloudflareOptions, jail = 'web'): ActionTester & { action: CloudflareAction } {
  const t = new ActionTester({ plugin: cloudflareAction(), type: 'cloudflare', jail, options: baseOptions(apiBase, options) as Record<string, unknown> });
  return Object.assign(t, { action: t.instance as CloudflareAction });
}

/** `value` of every rule in a scope whose notes start with the marker. */
export function ourRules(fake: FakeCloudflare, scope: string, marker = 'f2b:'): string[] {
  return fake.accessRules
    .rules(scope)
    .filter((r: FakeRule) => r.notes.startsWith(marker))
    .map((r) => r.configuration.value)
    .sort();
}

/** `ip` of every item of a list. */
export function listIps(fake: FakeCloudflare, account: string, name = 'f2b_banned'): string[] {
  return [...(fake.lists.list(account, name)?.items.values() ?? [])].map((i) => i.ip).sort();
}

/** Everything a tester logged or reported, as one text (to look for the token). */
export function everythingSaid(t: ActionTester): string {
  return (
    JSON.stringify(t.logger.records) +
    t.errors
      .map((e) => {
        const x = e as { message?: string; fix?: string; stack?: string };
        return `${x.message} ${x.fix} ${x.stack}`;
      })
      .join('\n')
  );
}

/** `n` distinct documentation-range-like IPv4 addresses (10.x.y.z). */
export function manyIps(n: number, base = 10): string[] {
  return Array.from({ length: n }, (_, i) => `${base}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
}
