/**
 * `volatileAddresses`: the matcher memoises a message once for every address it comes from. What it
 * answers must be what the rules answer on each line afresh: the same rule, the same captures, the
 * line's own address as the host. Checked (`checkVolatileAddresses`: against `explain`, no memo,
 * every rule run) on the catalogue's messages — and on crafted ones aimed at the carrying over (an
 * address as the user name, the host twice, an address in the host's place that is none, the memo's
 * escape byte) — with their addresses swapped for others, in random order, with repeats.
 */
import { describe, expect, it } from 'vitest';
import { EntryParser, FilterRunner } from '@f2b/core';
import { checkVolatileAddresses } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';
// A plain ESM script (the list's reader), untyped: cast below.
import { readCatalogue } from './catalogue/render.mjs';

const NOW = Date.parse('2024-03-02T12:00:00Z');
const blocks = readCatalogue() as { entries: { message: string }[] }[];

const CRAFTED = [
  'sshd[2001]: Invalid user 203.0.113.9 from 198.51.100.4 port 50001',
  'sshd[2002]: Failed password for invalid user 198.51.100.4 from 198.51.100.4 port 50002 ssh2',
  'sshd[2003]: Failed password for root from 999.51.100.4 port 50003 ssh2',
  'sshd[2004]: Failed password for invalid user \x014 from 192.0.2.44 port 50004 ssh2',
  'sshd[2005]: Connection closed by invalid user admin 2001:db8::5 port 50005 [preauth]',
  'sshd[2006]: Invalid user 2001:db8::6 from 2001:db8::6 port 50006',
  'sshd[2007]: Received disconnect from 192.0.2.7 port 50007:11: Bye Bye 192.0.2.8 [preauth]',
];

const lines = [...new Set([...blocks.flatMap((b) => b.entries.map((e) => e.message)), ...CRAFTED])].map((m) => `Mar  2 10:00:00 gw1 ${m}`);

describe('sshd with volatile addresses', () => {
  it('declares them (its rules take addresses through placeholders only)', () => {
    expect(sshdFilter.volatileAddresses).toBe(true);
  });

  for (const mode of ['normal', 'aggressive', 'ddos']) {
    it(`answers every line as its rules do afresh (${mode} mode)`, () => {
      const report = checkVolatileAddresses(sshdFilter, lines, { mode, now: NOW, runs: 150, length: 80 });
      expect(report.checked).toBeGreaterThan(3000);
      expect(report.mismatches).toEqual([]);
    });
  }

  it('shares one memo entry among the addresses of one attack message', () => {
    // Observable as the same captures object: a carried-over hit keeps the first one's captures.
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const runner = new FilterRunner(sshdFilter);
    const at = (ip: string) => runner.find(parser.parse(Buffer.from(`Mar  2 10:00:00 gw1 sshd[1]: Failed password for root from ${ip} port 4711 ssh2`)))!;
    const a = at('192.0.2.1'),
      b = at('198.51.100.2'),
      c = at('2001:db8::3');
    expect([a.host, b.host, c.host]).toEqual(['192.0.2.1', '198.51.100.2', '2001:db8::3']);
    expect(b.captures).toBe(a.captures);
    // IPv6 is a key of its own (another token shape), so another entry.
    expect(c.captures).not.toBe(a.captures);
    expect(c.captures).toEqual(a.captures);
  });
});
