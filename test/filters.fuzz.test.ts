/**
 * Fuzzing every installed filter (issue 12), generic over the filter packages of this repository and
 * their own annotated sample logs:
 *   - random bytes, text and cuts in real lines never make a rule throw, and whatever is reported is
 *     a valid address or host name;
 *   - a decoy address written into an attacker's field (user name, URL, Host/Referer/User-Agent) in
 *     any of the shapes filters look for (`from <ip> port 22`, `client: <ip>`, `rhost=<ip>`, `[<ip>]`,
 *     …) is never the address reported.
 * Bounded runs with a fixed seed (F2B_FUZZ_SEED=<n> explores others), so each file takes seconds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { EntryParser, FilterRunner, looksLikeHostname, parseIp, type FilterDefinition } from '@f2b/core';
import { checkAnnotatedLog, freeTextCaptures, freeTextRanges, parseAnnotatedLog } from '@f2b/core/testing';
import { shippedFilters } from './shipped-filters.js';

const SEED = Number(process.env.F2B_FUZZ_SEED ?? 12);
const NOW = Date.parse('2024-12-31T12:00:00Z');

interface FilterCase {
  def: FilterDefinition;
  fixture: string;
  pkg: string;
}

/** Every filter of every filter package in packages/, with its sample log. */
async function filterCases(): Promise<FilterCase[]> {
  return (await shippedFilters()).flatMap(({ def, fixture, pkg }) => (fixture === undefined ? [] : [{ def, fixture, pkg }]));
}

const cases = await filterCases();

/** The modes a sample log runs a filter in (and the journal format where it says so). */
function runners(c: FilterCase): { runner: FilterRunner; parser: EntryParser }[] {
  const seen = new Set<string>();
  const out: { runner: FilterRunner; parser: EntryParser }[] = [];
  for (const block of parseAnnotatedLog(c.fixture)) {
    for (const set of block.optionSets) {
      const mode = typeof set.mode === 'string' ? set.mode : undefined;
      const format = set.logtype === 'journal' ? 'journal-line' : 'text';
      const key = `${mode}/${format}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        out.push({ runner: new FilterRunner(c.def, { mode }), parser: new EntryParser({ timezone: 'UTC', now: () => NOW, format }) });
      } catch {
        /* a mode this version does not have: the package's own tests report it */
      }
    }
  }
  return out;
}

const JUNK = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(' ', '"', "'", '[', ']', ':', ',', '=', '\\', '%', '\u00e9', '\ufffd', '\u009b', '\x1b', ' port 22', ' ssh2', ' from ', '/', '?', '#'),
);
const BYTES = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((a) => Buffer.from(a.map((b) => (b === 0x0a ? 0x20 : b))));

describe('filters: random bytes, text and lengths', () => {
  it.each(cases.map((c) => [c.def.id, c] as const))('%s never throws and reports only addresses or host names', (_id, c) => {
    const lines = parseAnnotatedLog(c.fixture).flatMap((b) => b.lines.map((l) => l.text));
    const runs = runners(c);
    const mutation = fc.oneof(
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), insert: BYTES }),
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), insert: JUNK.map((s) => Buffer.from(s, 'utf8')) }),
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), cut: fc.constant(true) }),
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), repeat: fc.integer({ min: 2, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, mutations) => {
        let b = Buffer.from(lines[i]!, 'utf8');
        for (const m of mutations) {
          const at = Math.floor(m.at * b.length);
          if ('insert' in m) b = Buffer.concat([b.subarray(0, at), m.insert, b.subarray(at)]);
          else if ('cut' in m) b = b.subarray(0, at);
          else b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.repeat, b[at] ?? 0x20), b.subarray(at)]);
        }
        for (const { runner, parser } of runs) {
          for (const f of runner.process(parser.parse(b, 'fuzz'), NOW)) {
            expect(parseIp(f.id) !== null || looksLikeHostname(f.id)).toBe(true);
            expect(Number.isFinite(f.attempts) && f.attempts >= 0).toBe(true);
          }
        }
      }),
      { numRuns: 300, seed: SEED },
    );
  });
});

/** Decoy addresses, the first not in a sample log is used with it. */
const DECOYS = ['198.51.100.203', '203.0.113.251', '192.0.2.253', '2001:db8:dec0::1'];
const SHAPES: ((ip: string) => string)[] = [
  (ip) => ip,
  (ip) => ` from ${ip} port 22 ssh2`,
  (ip) => ` from ${ip}`,
  (ip) => `from ${ip} port 22`,
  (ip) => `, client: ${ip}, server: x`,
  (ip) => ` rhost=${ip}`,
  (ip) => ` rhost=${ip} user=x`,
  (ip) => `[${ip}]`,
  (ip) => `<${ip}>`,
  (ip) => ` ${ip} port 22`,
  (ip) => `" ${ip} "`,
  (ip) => `client ${ip}`,
  (ip) => ` ip=${ip}`,
  (ip) => `(${ip})`,
  (ip) => `: ${ip}`,
  (ip) => `::ffff:${ip}`,
  (ip) => `" from ${ip}`,
  (ip) => `' from ${ip}`,
  (ip) => ` [client ${ip}] `,
  (ip) => ` [client ${ip}:4242] `,
  (ip) => `, client: ${ip}`,
  (ip) => `"${ip}"`,
  (ip) => `\\" ${ip} - - [x]`,
  (ip) => `unknown[${ip}]: `,
  (ip) => ` from=<x> to=<y> proto=SMTP helo=<${ip}>`,
];
/** Attacker-written parts of web log lines, beyond user names and nginx's Host/Referer (group 1). */
const WEB_FIELDS = [/"[A-Z]+ (\/[^ "]*) HTTP\/[0-9.]+"/, /, request: "[A-Z]+ (\/[^ "]*)/, / "([^"]*)"$/, /"([^"]*)" "[^"]*"$/];

/** Lines (file:line) where a decoy written into attacker fields was reported, over bounded runs. */
function decoyHits(def: FilterDefinition, fixture: string, numRuns: number): { hits: string[]; fieldLines: number; captures: number } {
  const text = readFileSync(fixture, 'utf8');
  const decoy = parseIp(DECOYS.find((d) => !text.includes(d))!)!.text;
  const plain = checkAnnotatedLog(def, fixture, { now: NOW, timezone: 'UTC' });
  const captures = freeTextCaptures(plain);
  let fieldLines = 0;
  const hits: string[] = [];
  fc.assert(
    fc.property(fc.nat(SHAPES.length - 1), JUNK, JUNK, fc.boolean(), (shape, before, after, replace) => {
      const report = checkAnnotatedLog(def, fixture, {
        now: NOW,
        timezone: 'UTC',
        rewrite: (line) => {
          const ranges = freeTextRanges(line, captures, WEB_FIELDS);
          if (ranges.length === 0) return undefined;
          fieldLines++;
          let out = '';
          let from = 0;
          for (const [s, e] of ranges) {
            const injected = `${before}${SHAPES[shape]!(decoy)}${after}`;
            out += line.text.slice(from, s) + (replace ? injected : line.text.slice(s, e) + injected);
            from = e;
          }
          return { bytes: Buffer.from(out + line.text.slice(from), 'utf8'), annotation: line.annotation };
        },
      });
      for (const r of report.results) {
        if (r.failures.some((f) => (parseIp(f.id)?.text ?? f.id) === decoy))
          hits.push(`${r.lineNo} (shape ${shape}: ${JSON.stringify(SHAPES[shape]!(decoy))})`);
      }
    }),
    { numRuns, seed: SEED },
  );
  return { hits, fieldLines, captures: captures.size };
}

describe("filters: a decoy address in an attacker's field is never the one reported", () => {
  it.each(cases.map((c) => [c.def.id, c] as const))('%s', (_id, c) => {
    const { hits, fieldLines, captures } = decoyHits(c.def, c.fixture, 12);
    expect(hits).toEqual([]);
    // Where a sample log has attacker fields, they were used (otherwise this tests nothing for it).
    if (captures > 0) expect(fieldLines).toBeGreaterThan(0);
  });

  it('catches a filter that takes the first address of a line (the check itself can fail)', () => {
    const sshd = cases.find((c) => c.def.id === 'sshd');
    if (!sshd) {
      console.log('skipped: @f2b/filter-sshd is not in packages/');
      return;
    }
    const naive: FilterDefinition = { id: 'naive', programs: ['sshd'], rules: [{ id: 'any', pattern: '^Failed password for (?P<user>.*?) from <ADDR>' }] };
    expect(decoyHits(naive, sshd.fixture, 12).hits.length).toBeGreaterThan(0);
  });
});
