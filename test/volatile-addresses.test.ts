/**
 * `volatileAddresses`, generic over the filter packages of this repository: no pattern of a filter
 * that declares it holds a literal address (which would single one out) or reads an address glued
 * to a port in one token (the promise the flag makes, FilterDefinition). That the memoised matcher
 * answers each sample line as the rules do afresh, its addresses swapped, is each filter package's
 * own test (testFilterPackage, checkVolatileAddresses).
 *
 * F2B_PROBE_VOLATILE=1 runs that check here on every filter, declared or not, with the flag forced
 * on: how a filter is found fit to declare it.
 */
import { describe, expect, it } from 'vitest';
import { type FilterDefinition } from '@f2b/core';
import { checkSampleLogVolatileAddresses } from '@f2b/core/testing';
import { shippedFilters } from './shipped-filters.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
const PROBE = process.env.F2B_PROBE_VOLATILE === '1';

interface FilterCase {
  def: FilterDefinition;
  fixture: string;
}

/** The declaring filters with a sample log (every filter with one, the flag forced on, when probing). */
async function filterCases(): Promise<FilterCase[]> {
  const out: FilterCase[] = [];
  for (const { def, fixture } of await shippedFilters()) {
    if (fixture === undefined) continue;
    if (def.volatileAddresses === true) out.push({ def, fixture });
    else if (PROBE) out.push({ def: { ...def, volatileAddresses: true }, fixture });
  }
  return out;
}

const cases = await filterCases();

describe('filters with volatile addresses', () => {
  it('sshd declares them (so this file checks at least one filter)', () => {
    expect(cases.some((c) => c.def.id === 'sshd')).toBe(true);
  });

  it.each(cases.map((c) => [c.def.id, c] as const))('%s: no pattern holds a literal address or reads one glued to a port', (_id, c) => {
    // A dotted quad, or hex groups around `::` or three of them joined by colons, written in a pattern.
    const literal =
      /(?<![\w\\])[0-9]{1,3}(?:\\\.[0-9]{1,3}){3}(?![\w])|(?<![\w\\])[0-9a-fA-F]{1,4}::[0-9a-fA-F]{1,4}|[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}/;
    expect(c.def.rules.filter((r) => literal.test(r.pattern.replace(/<(?:HOST|ADDR|IP4|IP6)>/g, ''))).map((r) => r.id)).toEqual([]);
    // `<ADDR>:port` unbracketed: an IPv6 address and its port are one token (`2001:db8::5:4430`), and
    // which part is the address is the rule's reading of the token, not the token's.
    expect(c.def.rules.filter((r) => /<(?:HOST|ADDR|IP4|IP6)>(?::|\(\?::)/.test(r.pattern)).map((r) => r.id)).toEqual([]);
  });

  // A declaring filter's package checks this in its own tests (testFilterPackage): here only when
  // probing the others.
  it.runIf(PROBE).each(cases.map((c) => [c.def.id, c] as const))('%s: memoised answers are the rules’ answers, whatever the addresses', (_id, c) => {
    expect(checkSampleLogVolatileAddresses(c.def, c.fixture, { now: NOW })).toEqual([]);
  });
});
