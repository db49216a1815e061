import { describe, expect, it } from 'vitest';
import { EntryParser, FilterRunner, looksLikeHostname } from '@f2b/core';
import { createTestCore } from '@f2b/core/testing';
import sshd, { sshdFilter } from '../src/index.js';

/** Texts getaddrinfo reads as 203.0.113.45/46 (or other addresses) without asking any DNS server. */
const NUMBERS_IN_DISGUISE = ['0xcb.0.0x71.0x2d', '0313.0.0161.055', '3405803822', '0xcb00712e', '203.113.45', '203.7417389', '0xcb.0.0x71.0x2d.', '0XCB00712E'];
const NOW = Date.parse('2024-03-10T10:00:00Z');

describe('host names that are numbers in disguise', () => {
  it('are not host names; real names still are', () => {
    for (const h of NUMBERS_IN_DISGUISE) expect([h, looksLikeHostname(h)]).toEqual([h, false]);
    for (const h of ['example.org', 'mail-1.example.org.', 'localhost', 'a0x1.example', '0x1.example.net'])
      expect([h, looksLikeHostname(h)]).toEqual([h, true]);
  });

  it('are never matched as the source of an sshd line', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const runner = new FilterRunner(sshdFilter, { mode: 'aggressive' });
    for (const h of NUMBERS_IN_DISGUISE) {
      for (const msg of [`ROOT LOGIN REFUSED FROM ${h}`, `User root from ${h} not allowed because not listed in AllowUsers`]) {
        const got = runner.process(parser.parse(Buffer.from(`Mar 10 10:00:00 www sshd[${h.length}]: ${msg}`)), NOW);
        expect([msg, got.map((f) => f.id)]).toEqual([msg, []]);
      }
    }
    // The same lines with a real name still match (it is the name that is refused, not the rule).
    expect(runner.process(parser.parse(Buffer.from('Mar 10 10:00:00 www sshd[9]: ROOT LOGIN REFUSED FROM attacker.example')), NOW).map((f) => f.id)).toEqual([
      'attacker.example',
    ]);
  });

  for (const usedns of ['yes', 'warn'] as const) {
    it(`are never resolved by a jail with usedns ${usedns}, whatever reports them`, async () => {
      const t = await createTestCore({
        plugins: [sshd()],
        jail: { filter: { id: 'sshd', mode: 'aggressive' }, maxretry: 1, bantime: '1h', timezone: 'UTC', usedns },
        start: NOW,
      });
      const ignored: [string, string][] = [];
      t.core.hooks.ignored.tap('test', (f, _jail, reason) => {
        ignored.push([f.id, reason]);
      });
      t.push(
        'Mar 10 10:00:00 www sshd[1]: ROOT LOGIN REFUSED FROM 0xcb.0.0x71.0x2d',
        'Mar 10 10:00:01 www sshd[2]: User root from 0xcb00712e not allowed because not listed in AllowUsers',
      );
      expect(t.jail.stats.matched).toBe(0);
      // A reducer (any plugin) reporting such an id directly: refused on the spot, no lookup started.
      t.jail.failure({ id: '0xcb00712e', attempts: 1, rule: 'x', captures: {}, lines: [], time: NOW, filter: 'sshd' });
      expect(ignored).toEqual([['0xcb00712e', 'not an address or host name']]);
      await t.flush();
      expect(t.bans).toEqual([]);
      await t.jail.stop();
    });
  }
});
