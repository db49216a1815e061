/**
 * `volatileAddresses`, generic over the filter packages of this repository: for every filter that
 * declares it, the memoised matcher answers each line of the filter's own sample log — its
 * addresses swapped for others of both families, mapped ones and ones our parser refuses, in random
 * order with repeats — as the rules do afresh (`explain`: every rule run, no memo): the same rule,
 * the same captures, the line's own address as the host. And no rule's pattern holds a literal
 * address, which would single one out (the promise the flag makes, FilterDefinition).
 *
 * F2B_PROBE_VOLATILE=1 runs the check on every filter, declared or not, with the flag forced on:
 * how a filter is found fit to declare it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Core, EntryParser, FilterRunner, type F2bPlugin, type FilterDefinition } from '@f2b/core';
import { parseAnnotatedLog } from '@f2b/core/testing';
import { ROOT } from './helpers.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
const PROBE = process.env.F2B_PROBE_VOLATILE === '1';

interface FilterCase {
  def: FilterDefinition;
  fixture: string;
}

async function filterCases(): Promise<FilterCase[]> {
  const out: FilterCase[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const manifest = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; f2b?: { kind?: string } };
    if (pkg.f2b?.kind !== 'filter') continue;
    const mod = (await import(pkg.name)) as { default: () => F2bPlugin };
    const core = new Core({ logLevel: 'silent' });
    core.use(mod.default());
    for (const { def } of core.listFilters()) {
      const fixture = join(ROOT, 'packages', dir, 'test', 'fixtures', `${def.id}.log`);
      if (!existsSync(fixture)) continue;
      if (def.volatileAddresses === true) out.push({ def, fixture });
      else if (PROBE) out.push({ def: { ...def, volatileAddresses: true }, fixture });
    }
  }
  return out;
}

const cases = await filterCases();

/** Addresses in sample lines: dotted quads, and IPv6 of the documentation prefix or mapped. */
const ADDRESS = /(?<![\w.:])(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|2001:db8:[0-9a-fA-F:]*[0-9a-fA-F]|::ffff:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|::1)(?![\w.:])/g;

const replacement = fc.oneof(
  fc.tuple(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), fc.integer({ min: 0, max: 255 })).map(([p, n]) => `${p}.${n}`),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xffff })).map(([a, b]) => `2001:db8:${a.toString(16)}::${b.toString(16)}`),
  fc.integer({ min: 0, max: 255 }).map((n) => `::ffff:192.0.2.${n}`),
  fc.constantFrom('300.1.2.3', '192.0.2.01', '2001:db8::1::2', '::'),
);

const PIECES = [' 192.0.2.9', '198.51.100.9 ', ' 2001:db8::9', ':22', ':', '::', '\x01', '\x014', ' port 22', '[', ']', '.1', '1.', 'x', ' '];

function swapped(line: string, to: (string | null)[]): string {
  const distinct = [...new Set(line.match(ADDRESS) ?? [])];
  return line.replace(ADDRESS, (a) => to[distinct.indexOf(a)] ?? a);
}

/** The modes (and log formats) the sample log runs the filter in. */
function setsOf(fixture: string): { mode: string | undefined; format: 'text' | 'journal-line' }[] {
  const out = new Map<string, { mode: string | undefined; format: 'text' | 'journal-line' }>();
  for (const block of parseAnnotatedLog(fixture))
    for (const set of block.optionSets) {
      const mode = typeof set.mode === 'string' ? set.mode : undefined;
      const format = set.logtype === 'journal' ? 'journal-line' : 'text';
      out.set(`${mode}/${format}`, { mode, format });
    }
  return [...out.values()];
}

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

  it.each(cases.map((c) => [c.def.id, c] as const))('%s: memoised answers are the rules’ answers, whatever the addresses', (_id, c) => {
    const lines = parseAnnotatedLog(c.fixture)
      .flatMap((b) => b.lines.map((l) => l.text))
      .filter((l) => (l.match(ADDRESS) ?? []).length > 0);
    if (lines.length === 0) return;
    for (const { mode, format } of setsOf(c.fixture)) {
      let reference: FilterRunner;
      try {
        reference = new FilterRunner(c.def, { mode });
      } catch {
        continue; // a mode this version does not have: the package's own tests report it
      }
      const parser = new EntryParser({ timezone: 'UTC', now: () => NOW, format });
      // And now and then a piece at the address scanner's edges put anywhere in the line (a second
      // address, a glued colon or port, the memo's escape byte).
      const piece = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.constantFrom(...PIECES) });
      const step = fc.tuple(fc.nat({ max: lines.length - 1 }), fc.array(fc.option(replacement), { minLength: 4, maxLength: 4 }), fc.option(piece, { freq: 3 }));
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
          const runner = new FilterRunner(c.def, { mode });
          for (const [i, to, inserted] of steps) {
            let line = swapped(lines[i]!, to);
            if (inserted !== null) {
              const at = Math.floor(inserted.at * line.length);
              line = line.slice(0, at) + inserted.text + line.slice(at);
            }
            const got = runner.match(parser.parse(Buffer.from(line)), NOW);
            const ex = reference.explain(parser.parse(Buffer.from(line)));
            const chosen = ex.matched.find((m) => m.rule === ex.chosen && m.rejected === undefined);
            expect({ line, rule: got?.rule.id ?? null, host: got?.host, captures: got ? { ...got.captures } : undefined }).toEqual({
              line,
              rule: ex.chosen,
              host: chosen?.host,
              captures: chosen?.captures,
            });
          }
        }),
        { numRuns: 40, seed: 17 },
      );
    }
  });
});
