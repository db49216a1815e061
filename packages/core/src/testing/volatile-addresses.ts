/**
 * `checkVolatileAddresses`: for a filter that declares `volatileAddresses`, whether the memoised
 * matcher answers lines as the rules do afresh — the same rule, the same captures, the line's own
 * address as the host — when the addresses of sample lines change from line to line. The lines are
 * the author's samples with their addresses swapped for others (both families, mapped ones, ones
 * the parser refuses), now and then with a piece at the memo's address scanner's edges put in (a
 * second address, a glued port, the memo's escape byte), in a random order with repeats, each run
 * through a fresh matcher; the reference is `FilterRunner.explain`, which runs every rule with no
 * memo. Deterministic for a seed (no test framework needed).
 */
import { EntryParser } from '../entry.js';
import { parseAnnotatedLog } from './annotated.js';
import { FilterRunner } from '../filter/engine.js';
import type { FilterDefinition } from '../filter/types.js';

export interface VolatileAddressesOptions {
  mode?: string;
  /** How the lines are parsed (default: syslog text). */
  format?: 'text' | 'journal-line';
  /** The reading time (a year-less date's year); default 2024-12-31T12:00:00Z. */
  now?: number;
  /** Sequences of lines run, each through a fresh matcher (default 40). */
  runs?: number;
  /** Lines per sequence at most (default 60). */
  length?: number;
  seed?: number;
}

/** What the memoised matcher and the rules afresh said about one line. */
export interface VolatileAddressesMismatch {
  line: string;
  memoised: LineAnswer;
  afresh: LineAnswer;
}

export interface LineAnswer {
  rule: string | null;
  host?: string;
  captures?: Record<string, string>;
}

export interface VolatileAddressesReport {
  /** Lines checked (0: no sample line has an address). */
  checked: number;
  /** The first mismatches found (at most 10). */
  mismatches: VolatileAddressesMismatch[];
}

/** Addresses in sample lines: dotted quads, and IPv6 of the documentation prefix or mapped. */
const ADDRESS = /(?<![\w.:])(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|2001:db8:[0-9a-fA-F:]*[0-9a-fA-F]|::ffff:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|::1)(?![\w.:])/g;
const REFUSED = ['300.1.2.3', '192.0.2.01', '2001:db8::1::2', '::'];
const PIECES = [' 192.0.2.9', '198.51.100.9 ', ' 2001:db8::9', ':22', ':', '::', '\x01', '\x014', ' port 22', '[', ']', '.1', '1.', 'x', ' '];
const PREFIXES = ['192.0.2', '198.51.100', '203.0.113'];

/** Check `lines` (raw log lines, as the filter's source delivers them) against the rules afresh. */
export function checkVolatileAddresses(def: FilterDefinition, lines: readonly string[], opts: VolatileAddressesOptions = {}): VolatileAddressesReport {
  const withAddresses = lines.filter((l) => (l.match(ADDRESS) ?? []).length > 0);
  const report: VolatileAddressesReport = { checked: 0, mismatches: [] };
  if (withAddresses.length === 0) return report;
  const now = opts.now ?? Date.parse('2024-12-31T12:00:00Z');
  const parser = new EntryParser({ timezone: 'UTC', now: () => now, format: opts.format ?? 'text' });
  const reference = new FilterRunner(def, { mode: opts.mode });
  const random = mulberry32(opts.seed ?? 17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const address = (): string => {
    const r = random();
    if (r < 0.4) return `${pick(PREFIXES)}.${Math.floor(random() * 256)}`;
    if (r < 0.75) return `2001:db8:${Math.floor(random() * 0x10000).toString(16)}::${(1 + Math.floor(random() * 0xffff)).toString(16)}`;
    if (r < 0.9) return `::ffff:192.0.2.${Math.floor(random() * 256)}`;
    return pick(REFUSED);
  };
  for (let run = 0; run < (opts.runs ?? 40); run++) {
    const runner = new FilterRunner(def, { mode: opts.mode });
    const length = 1 + Math.floor(random() * (opts.length ?? 60));
    for (let k = 0; k < length; k++) {
      const sample = pick(withAddresses);
      const distinct = [...new Set(sample.match(ADDRESS) ?? [])];
      const to = distinct.map(() => (random() < 0.2 ? null : address()));
      let line = sample.replace(ADDRESS, (a) => to[distinct.indexOf(a)] ?? a);
      if (random() < 0.25) {
        const at = Math.floor(random() * (line.length + 1));
        line = line.slice(0, at) + pick(PIECES) + line.slice(at);
      }
      const got = runner.match(parser.parse(Buffer.from(line)), now);
      const ex = reference.explain(parser.parse(Buffer.from(line)));
      const chosen = ex.matched.find((m) => m.rule === ex.chosen && m.rejected === undefined);
      const memoised: LineAnswer = { rule: got?.rule.id ?? null, ...(got ? { host: got.host, captures: { ...got.captures } } : {}) };
      const afresh: LineAnswer = { rule: ex.chosen, ...(chosen ? { host: chosen.host, captures: { ...chosen.captures } } : {}) };
      report.checked++;
      if (!sameAnswer(memoised, afresh) && report.mismatches.length < 10) report.mismatches.push({ line, memoised, afresh });
    }
  }
  return report;
}

function sameAnswer(a: LineAnswer, b: LineAnswer): boolean {
  if (a.rule !== b.rule || a.host !== b.host) return false;
  const ac = Object.entries(a.captures ?? {}),
    bc = b.captures ?? {};
  return ac.length === Object.keys(bc).length && ac.every(([k, v]) => bc[k] === v);
}

/** A small seeded generator (mulberry32): the same lines for the same seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `checkVolatileAddresses` over an annotated sample log: its lines, in each mode and log format
 * its blocks run in (`filterOptions`). The mismatches of every run, each tagged with its mode.
 */
export function checkSampleLogVolatileAddresses(
  def: FilterDefinition,
  file: string,
  opts: Omit<VolatileAddressesOptions, 'mode' | 'format'> = {},
): (VolatileAddressesMismatch & { mode?: string })[] {
  const blocks = parseAnnotatedLog(file);
  const lines = blocks.flatMap((b) => b.lines.map((l) => l.text));
  const runs = new Map<string, { mode?: string; format: 'text' | 'journal-line' }>();
  for (const b of blocks)
    for (const o of b.optionSets) {
      const mode = typeof o.mode === 'string' ? o.mode : undefined;
      const format = o.logtype === 'journal' ? 'journal-line' : 'text';
      runs.set(`${mode}/${format}`, { mode, format });
    }
  return [...runs.values()].flatMap(({ mode, format }) =>
    checkVolatileAddresses(def, lines, { ...opts, mode, format }).mismatches.map((m) => (mode === undefined ? m : { ...m, mode })),
  );
}
