/**
 * Linear time, shown rather than assumed (issue 17): every rule of every filter package here, plus
 * the scaffolder's, is run on adversarial lines of length n and 16n — pieces of its own match pumped
 * between characters its classes accept, the shapes ReDoS checkers find for greedy captures before
 * anchors — and the time may grow by a bounded ratio only (16× longer lines: 16× for linear, 256× for quadratic).
 * What is timed is what the engine runs per line: the dispatcher over the bytes, the memo's lookup
 * by the message's bytes (ports and addresses masked as the filter declares), the rule's RE2 exec
 * and its scanner, if it has one; and the memo's address scanner alone on the runs it reads. Times
 * are this process's CPU time, minimum of repeated runs, so other work on the machine moves them
 * little; no absolute time is asserted.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FilterDefinition, type FilterRule } from '@f2b/core';
import { compileRule, positionalGroups, expandPattern } from '../packages/core/dist/filter/compile.js';
import { Dispatcher } from '../packages/core/dist/filter/dispatch.js';
import { MessageMemo } from '../packages/core/dist/filter/message-memo.js';
import { ROOT } from './helpers.js';
import { shippedFilters } from './shipped-filters.js';

const SHORT = 500;
const FACTOR = 16;
/**
 * Linear growth is FACTOR; the bound leaves room for RE2 changing engines with the length (BitState on
 * short texts, the slower NFA on long ones: linear both, a constant factor apart), far below FACTOR².
 */
const MAX_RATIO = 6 * FACTOR;

async function filtersToCheck(): Promise<FilterDefinition[]> {
  const out: FilterDefinition[] = (await shippedFilters()).map((f) => f.def);
  // The scaffolder's template filter (packages/create-plugin/src/templates.ts), as a new plugin gets it.
  const template = readFileSync(join(ROOT, 'packages/create-plugin/src/templates.ts'), 'utf8');
  const rules = [...template.matchAll(/\{ id: '([a-z-]+)', pattern: '([^']+)'/g)].map(([, id, pattern]) => ({
    id: id!,
    pattern: pattern!.replace(/\\\\/g, '\\'),
  }));
  if (rules.length > 0) out.push({ id: 'scaffold', rules });
  return out;
}

/**
 * A text shaped like a match of `source` (positional RE2): literals as written, one representative
 * character per class, the first alternative of a group, one turn of a repetition. Rough on purpose:
 * its slices are the pumps, not a match.
 */
function sampleOf(source: string): string {
  let i = 0;
  const seq = (): string => {
    let out = '';
    while (i < source.length && source[i] !== ')' && source[i] !== '|') {
      let atom = '';
      const c = source[i]!;
      if (c === '\\') {
        const e = source[i + 1]!;
        i += 2;
        atom = 'sSwWdDbB'.includes(e) ? (({ s: ' ', d: '0', b: '', B: '' } as Record<string, string>)[e] ?? 'a') : e;
      } else if (c === '[') {
        let j = i + 1;
        const negated = source[j] === '^';
        if (negated) j++;
        const first = source[j] === '\\' ? source[j + 1]! : source[j]!;
        if (source[j] === ']') j++;
        while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
        const body = source.slice(i, j + 1);
        atom = negated ? (body.includes('a') ? 'x' : 'a') : first;
        i = j + 1;
      } else if (c === '(') {
        i += source[i + 1] === '?' ? 3 : 1;
        atom = seq();
        while (source[i] === '|') {
          i++;
          seq();
        }
        i++;
      } else if (c === '^' || c === '$') {
        i++;
      } else {
        atom = c === '.' ? 'a' : c;
        i++;
      }
      const q = source[i];
      if (q === '*' || q === '+' || q === '?') {
        i++;
        if (source[i] === '?') i++;
      } else if (q === '{') {
        const m = /^\{([0-9]+)(?:,[0-9]*)?\}/.exec(source.slice(i));
        if (m) {
          atom = atom.repeat(Math.max(1, Number(m[1])));
          i += m[0].length;
        }
      }
      out += atom;
    }
    return out;
  };
  const out = seq();
  return out;
}

/**
 * Adversarial lines of about `length` characters for a rule: a sample of its match cut at a word
 * boundary, then the next one, two or three words of the sample repeated — the pump that makes a
 * backtracking engine try every split of a greedy capture before an anchor — and a byte that no
 * rule accepts at the end (a control byte, or a newline, which not even `.` matches).
 */
function attacks(rule: FilterRule, length: number): string[] {
  const sample = sampleOf(positionalGroups(expandPattern(rule.pattern)).source);
  const cuts = [0];
  for (let k = 1; k < sample.length; k++) if (/[ :,=()[\]"'<>/;]/.test(sample[k - 1]!) && !/[ :,=()[\]"'<>/;]/.test(sample[k]!)) cuts.push(k);
  cuts.push(sample.length);
  const out = new Set<string>();
  for (let a = 0; a < cuts.length - 1; a++) {
    for (let w = 1; w <= 3 && a + w < cuts.length; w++) {
      const pump = sample.slice(cuts[a], cuts[a + w]);
      if (pump.length === 0) continue;
      // The end no rule accepts: a control byte, or the newline that not even `.` matches.
      for (const end of ['\u0007', '\n']) out.add(`${sample.slice(0, cuts[a])}${pump.repeat(Math.ceil(length / pump.length))}${end}`);
    }
  }
  for (const p of [' ', ':', 'a']) out.add(`${sample.slice(0, cuts[1] ?? 0)}${p.repeat(length)}\u0007`);
  return [...out];
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** CPU time of `run` over all lines, minimum of a few repetitions, each long enough to be measured. */
function timeOf(run: (line: string, buf: Buffer) => void, lines: readonly string[], reps = 3, minMicros = 1_000): number {
  const bufs = lines.map((l) => Buffer.from(l));
  let best = Infinity;
  for (let rep = 0; rep < reps; rep++) {
    let loops = 0;
    const t0 = cpuMicros();
    let t: number;
    do {
      for (let i = 0; i < lines.length; i++) run(lines[i]!, bufs[i]!);
      loops++;
      t = cpuMicros();
    } while (t - t0 < minMicros);
    best = Math.min(best, (t - t0) / loops);
  }
  return best;
}

const filters = await filtersToCheck();

describe("the memo's key runs in linear time on the address scanner's edge cases", () => {
  // Runs of hex digits, dots and colons the scanner reads to their end (rejected or not), tokens
  // one after the other, and ports, each pumped to n and 16n bytes.
  const shapes: [string, (n: number) => string][] = [
    ['a dotted run', (n) => '1.'.repeat(n / 2)],
    ['a colon run', (n) => ':'.repeat(n)],
    ['hex and colons', (n) => 'a:'.repeat(n / 2) + 'g'],
    ['tokens in a row', (n) => '192.0.2.1 '.repeat(n / 10)],
    ['IPv6 tokens in a row', (n) => '2001:db8::1 '.repeat(n / 12)],
    ['ports', (n) => ' port 22'.repeat(n / 8)],
    ['escape bytes', (n) => '\x01'.repeat(n)],
    ['words of hex letters', (n) => 'dead '.repeat(n / 5)],
  ];
  for (const [name, shape] of shapes) {
    it(name, () => {
      const memo = new MessageMemo<null>(8192, true, true);
      const run = (_line: string, buf: Buffer) => {
        memo.get(buf, 0, buf.length);
      };
      let ratio = timeOf(run, [shape(SHORT * FACTOR)]) / timeOf(run, [shape(SHORT)]);
      for (let again = 0; again < 3 && ratio >= MAX_RATIO; again++)
        ratio = Math.min(ratio, timeOf(run, [shape(SHORT * FACTOR)], 5) / timeOf(run, [shape(SHORT)], 5));
      expect(ratio).toBeLessThan(MAX_RATIO);
    });
  }
});

describe('every shipped rule runs in linear time on adversarial lines', () => {
  it('there are rules to check', () => {
    expect(filters.length).toBeGreaterThan(20);
  });

  for (const def of filters) {
    it(def.id, () => {
      const compiled = def.rules.map((r) => compileRule(def.id, r));
      const dispatcher = new Dispatcher(def.rules.map((r) => positionalGroups(expandPattern(r.pattern)).source));
      const memo = new MessageMemo<null>(8192, def.volatilePorts === true, def.volatileAddresses === true);
      const ratios: string[] = [];
      for (const [k, c] of compiled.entries()) {
        const run = (line: string, buf: Buffer) => {
          dispatcher.candidates(buf, 0, buf.length);
          memo.get(buf, 0, buf.length);
          c.re.exec(line);
          // A rule's scanner reads the captures instead of exec on the lines RE2 matched.
          c.rule.scan?.(buf);
        };
        // The attack that costs most at the long length is the one whose growth is measured.
        const long = attacks(def.rules[k]!, SHORT * FACTOR);
        const short = attacks(def.rules[k]!, SHORT);
        let worst = 0,
          worstTime = -1;
        long.forEach((line, i) => {
          const t = timeOf(run, [line], 1, 50);
          if (t > worstTime) {
            worst = i;
            worstTime = t;
          }
        });
        // process.cpuUsage() counts every thread of the process (other test files' too, on a loaded
        // machine): a ratio over the bound is measured again, and only one that stays over fails.
        let ratio = timeOf(run, [long[worst]!]) / timeOf(run, [short[worst]!]);
        for (let again = 0; again < 3 && ratio >= MAX_RATIO; again++) ratio = Math.min(ratio, timeOf(run, [long[worst]!], 5) / timeOf(run, [short[worst]!], 5));
        if (ratio >= MAX_RATIO) ratios.push(`${def.rules[k]!.id}: ×${ratio.toFixed(1)} on ${JSON.stringify(short[worst]!.slice(0, 80))}…`);
      }
      expect(ratios, `time grew faster than linear for ${def.id}`).toEqual([]);
    });
  }
});
