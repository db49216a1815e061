/**
 * Manual check against a real Cloudflare account — never run in CI. It bans and unbans one
 * documentation address (TEST-NET-3, 203.0.113.254) with its own notes marker, so it touches nothing
 * else. Run it with:
 *
 *   F2B_CF_LIVE=1 F2B_CF_TOKEN=<token> F2B_CF_ZONE_ID=<zone id> npx vitest run packages/action-cloudflare/test/live.test.ts
 *   F2B_CF_LIVE=1 F2B_CF_TOKEN=<token> F2B_CF_ACCOUNT_ID=<account id> …   (also runs list mode, list "f2b_livecheck")
 */
import { describe, expect, it } from 'vitest';
import { ActionTester } from '@f2b/core/testing';
import cloudflareAction, { CloudflareClient, normalizeOptions, type CloudflareOptions } from '../src/index.js';

const env = process.env;
const live = env.F2B_CF_LIVE === '1' && !!env.F2B_CF_TOKEN && !!(env.F2B_CF_ZONE_ID || env.F2B_CF_ACCOUNT_ID);
if (!live) {
  console.info('live.test.ts skipped: set F2B_CF_LIVE=1, F2B_CF_TOKEN and F2B_CF_ZONE_ID and/or F2B_CF_ACCOUNT_ID to check against a real Cloudflare account.');
}

const ADDRESS = '203.0.113.254';
const MARKER = 'f2b-livecheck:';

async function roundTrip(options: CloudflareOptions, present: () => Promise<boolean>) {
  const t = new ActionTester({ plugin: cloudflareAction(), type: 'cloudflare', jail: 'livecheck', options: options as Record<string, unknown> });
  await t.start();
  await t.applyBans(ADDRESS);
  expect(await present()).toBe(true);
  await t.applyUnbans(ADDRESS);
  expect(await present()).toBe(false);
  await t.stop();
  expect(JSON.stringify(t.logger.records)).not.toContain(env.F2B_CF_TOKEN);
}

describe.skipIf(!live)('live Cloudflare (F2B_CF_LIVE=1)', () => {
  const base = { tokenEnv: 'F2B_CF_TOKEN', notesMarker: MARKER, reconcileDelay: -1 } satisfies CloudflareOptions;

  it.skipIf(!env.F2B_CF_ZONE_ID)(
    'access rules on the zone',
    async () => {
      const opts: CloudflareOptions = { ...base, zoneId: env.F2B_CF_ZONE_ID, ruleMode: 'managed_challenge' };
      const client = new CloudflareClient({ ...normalizeOptions(opts), rateLimit: { requests: 10, perSeconds: 10 } });
      const present = async () =>
        (
          await client.allPages<{ notes: string }>(
            `/zones/${env.F2B_CF_ZONE_ID}/firewall/access_rules/rules`,
            { 'configuration.value': ADDRESS, notes: MARKER },
            20,
          )
        ).length > 0;
      await roundTrip(opts, present);
      // What the paging relies on: Cloudflare's answer carries total_count (total_pages is not promised).
      const { env: page } = await client.call<unknown[]>('GET', `/zones/${env.F2B_CF_ZONE_ID}/firewall/access_rules/rules`, {
        query: { page: 1, per_page: 5 },
      });
      expect(typeof page.result_info?.total_count).toBe('number');
      // And a malformed token is refused as a token (HTTP 400, 6003/6111), not as a bad request.
      const bad = new CloudflareClient({ ...normalizeOptions(opts), token: 'not"a-token', rateLimit: { requests: 10, perSeconds: 10 } });
      await expect(bad.call('GET', `/zones/${env.F2B_CF_ZONE_ID}/firewall/access_rules/rules`)).rejects.toMatchObject({ code: 'F2B_ERR_CF_AUTH' });
      await bad.close();
      await client.close();
    },
    120_000,
  );

  it.skipIf(!env.F2B_CF_ACCOUNT_ID)(
    'an account IP list',
    async () => {
      const opts: CloudflareOptions = { ...base, mode: 'list', accountId: env.F2B_CF_ACCOUNT_ID, listName: 'f2b_livecheck' };
      const client = new CloudflareClient({ ...normalizeOptions(opts), rateLimit: { requests: 10, perSeconds: 10 } });
      const present = async () => {
        const { env: lists } = await client.call<{ id: string; name: string }[]>('GET', `/accounts/${env.F2B_CF_ACCOUNT_ID}/rules/lists`);
        const list = lists.result.find((l) => l.name === 'f2b_livecheck');
        if (!list) return false;
        const items = await client.allCursor<{ ip: string }>(`/accounts/${env.F2B_CF_ACCOUNT_ID}/rules/lists/${list.id}/items`, 100);
        return items.some((i) => i.ip === ADDRESS);
      };
      await roundTrip(opts, present);
      await client.close();
    },
    300_000,
  );
});
