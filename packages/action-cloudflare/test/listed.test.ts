/**
 * The bans in force read back from Cloudflare (issue 13: a lost state database is recovered from
 * the actions that can list their bans): the notes of f2b's rules and items carry the jail and the
 * end, so `listBanned()` gives this jail's bans with their ends — never "for good" when the note
 * does not say (a rule from an older f2b), and never rules that are not ours or another jail's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeCloudflare } from '../src/testing/index.js';
import { formatNote, parseNote } from '../src/scope.js';
import { ACCOUNT, startFake, tester, ZONE } from './helpers.js';

const SCOPE = `zones/${ZONE}`;
let fake: FakeCloudflare;
afterEach(async () => {
  await fake?.stop();
});

const byId = (l: { id: string; end?: number | null }[]) => [...l].sort((a, b) => a.id.localeCompare(b.id));

describe('listBanned: the bans in force, from the notes', () => {
  it("access rules: this jail's bans with their ends; legacy notes have no end; foreign and other jails' rules are left out", async () => {
    const s = await startFake();
    fake = s.fake;
    fake.accessRules.add(SCOPE, { mode: 'block', target: 'ip', value: '192.0.2.250', notes: 'office' });
    fake.accessRules.add(SCOPE, { mode: 'block', target: 'ip', value: '203.0.113.77', notes: 'f2b: web' }); // an older f2b
    fake.accessRules.add(SCOPE, { mode: 'block', target: 'ip', value: '203.0.113.78', notes: 'f2b: api until never' });
    const t = tester(s.apiBase, { zoneId: ZONE });
    await t.start();
    const start = Date.parse('2026-12-07T00:00:00Z');
    const bans = [t.ban('203.0.113.5', { start, bantime: 3600 }), t.ban('198.51.100.0/24', { start, bantime: -1 }), t.ban('2001:db8::7', { start })];
    await t.instance.ban(bans);
    expect(byId(await t.instance.listBanned!())).toEqual(
      byId([
        { id: '203.0.113.5', end: start + 3600_000 },
        { id: '198.51.100.0/24', end: null },
        { id: '2001:db8::7', end: start + 600_000 },
        { id: '203.0.113.77', end: undefined },
      ]),
    );
    await t.stop();
  });

  it('lists: IPv6 bans come back as their /64', async () => {
    const s = await startFake();
    fake = s.fake;
    const t = tester(s.apiBase, { mode: 'list', accountId: ACCOUNT });
    await t.start();
    const start = Date.parse('2026-12-07T00:00:00Z');
    await t.instance.ban([t.ban('192.0.2.1', { start, bantime: 60 }), t.ban('2001:db8:1:2::a', { start, bantime: 120 })]);
    expect(byId(await t.instance.listBanned!())).toEqual(
      byId([
        { id: '192.0.2.1', end: start + 60_000 },
        { id: '2001:db8:1:2::/64', end: start + 120_000 },
      ]),
    );
    await t.stop();
  });

  it('notes: written and read back; anything else is not ours or has no end', () => {
    const end = Date.parse('2027-01-02T03:04:05.678Z');
    expect(formatNote('f2b:', 'sshd', end)).toBe('f2b: sshd until 2027-01-02T03:04:05.678Z');
    expect(parseNote('f2b:', formatNote('f2b:', 'sshd', end))).toEqual({ jail: 'sshd', end });
    expect(parseNote('f2b:', formatNote('f2b:', 'sshd', null))).toEqual({ jail: 'sshd', end: null });
    expect(parseNote('f2b:', 'f2b: sshd')).toEqual({ jail: 'sshd', end: undefined });
    expect(parseNote('f2b:', 'f2b: sshd until yesterday')).toEqual({ jail: 'sshd', end: undefined });
    expect(parseNote('f2b:', 'f2bx: sshd')).toBeNull();
    expect(parseNote('f2b:', 'office')).toBeNull();
  });
});
