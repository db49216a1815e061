/**
 * The date parser remembers the last line's date bytes (and those its scan read after them): a line
 * that starts with the same bytes gets the same date without a scan. Whatever the lines, a parser
 * that remembers answers as one that reads every line afresh.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateParser } from '../src/dates.js';

const NOW = Date.UTC(2024, 2, 2, 12);

/** Dates of the remembered kinds and their neighbours, then bytes that a scan may look at. */
const prefix = fc.constantFrom(
  'Mar  2 10:11:12',
  'Mar  2 10:11:13',
  'Mar 12 10:11:12',
  'Dec 31 23:59:59',
  'Mar  2 10:11:12.123',
  'Mar  2 10:11:12.123456',
  '2024-03-02T10:11:12',
  '2024-03-02T10:11:12.5',
  '2024-03-02T10:11:12Z',
  '2024-03-02T10:11:12+01:00',
  '2024-03-02 10:11:12,250',
  '[2024-03-02T10:11:12]',
  '<13>Mar  2 10:11:12',
);
const tail = fc
  .array(fc.constantFrom(' ', '+', '-', ':', '0', '1', '2', '5', '9', 'Z', 'U', 'T', 'C', 'E', 'S', 'x', 'h', ']', '.', ','), { maxLength: 14 })
  .map((cs) => cs.join(''));
const line = fc.tuple(prefix, tail, fc.constantFrom('', ' host sshd[1]: message', ' 2023 host', ' UTC host')).map(([p, t, rest]) => p + t + rest);

describe('DateParser remembering the last date', () => {
  it('answers every line as a fresh parser does', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 12 }), fc.constantFrom('UTC', 'Europe/Berlin'), (lines, timezone) => {
        const remembering = new DateParser({ timezone, now: () => NOW });
        for (const text of lines) {
          const b = Buffer.from(text);
          const fresh = new DateParser({ timezone, now: () => NOW }).parse(b);
          expect(remembering.parse(b)).toEqual(fresh);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('answers lines inside a larger buffer by their own bytes, not the buffer’s', () => {
    const p = new DateParser({ timezone: 'UTC', now: () => NOW });
    const buf = Buffer.from('Mar  2 10:11:12 host a\nMar  2 10:11:12 host b\nMar  2 10:11:13 host c\nMar  2 10:11:1');
    const ends = [22, 45, 68, buf.length];
    let start = 0;
    const got = ends.map((end) => {
      const m = p.parse(buf, start, end);
      start = end + 1;
      return m && { time: m.time, start: m.start, end: m.end };
    });
    const t = Date.UTC(2024, 2, 2, 10, 11, 12);
    expect(got).toEqual([{ time: t, start: 0, end: 15 }, { time: t, start: 23, end: 38 }, { time: t + 1000, start: 46, end: 61 }, null]);
  });
});
