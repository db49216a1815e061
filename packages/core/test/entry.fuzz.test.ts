/**
 * Fuzzing the entry parser (issue 12): whatever bytes a log line holds — real date and header
 * prefixes cut anywhere, invalid UTF-8, brackets, priorities, huge pids — parsing never throws and
 * every range it reports lies inside the line. Bounded runs (seconds), part of `npm test`.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntryParser } from '../src/entry.js';

const PREFIXES = [
  'Jan  5 01:31:41 ',
  'Mar 10 14:01:02.123 ',
  'Sun Mar 10 14:01:02 2024 ',
  '2024-03-10T14:01:02.123456+01:00 ',
  '2024-03-10 14:01:02,123 ',
  '<34>',
  '<34>1 ',
  '<165>1 2024-03-10T14:01:02Z ',
  '[10/Mar/2024:14:01:02 +0100] ',
  '10/Mar/2024:14:01:02 +0100 ',
  '2024/03/02 10:15:04 ',
  '@4000000065ed5a4e0a3c1b2c ',
  '1710079262.123 ',
  '10-Mar-2024 14:01:02 ',
  '240310 14:01:02 ',
  '[2024-03-10 14:01:02] ',
  'www ',
  'host.example ',
  'sshd[1643]: ',
  'sshd: ',
  '[sshd]: ',
  '[sshd] ',
  'sshd[99999999999999]: ',
  'sshd[]: ',
  '<auth.info> ',
  '[ID 800047 auth.info] ',
  '- - [x@1 a="b\\"]"] ',
  '\ufeff',
  ' ',
  ':',
  '[',
  ']',
  '"',
  '\t',
  '\r',
];

/** A line: fragments of real prefixes and messages, random text and random bytes (invalid UTF-8 too). */
const piece = fc.oneof(
  fc.constantFrom(...PREFIXES).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom(...PREFIXES).chain((s) => fc.nat(s.length).map((n) => Buffer.from(s.slice(0, n), 'utf8'))),
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
  fc.constant(Buffer.from('Failed password for root from 192.0.2.1 port 22 ssh2')),
);
const line = fc
  .array(piece, { maxLength: 12 })
  .map((parts) => Buffer.concat(parts).filter((b) => b !== 0x0a))
  .map((b) => Buffer.from(b));
/** Fixed, so CI is reproducible; F2B_FUZZ_SEED=<n> explores other cases (fast-check prints the seed of a failure). */
const SEED = Number(process.env.F2B_FUZZ_SEED ?? 12);
const RUNS = { numRuns: 3000, seed: SEED } as const;

describe('EntryParser fuzzing', () => {
  for (const format of ['text', 'journal-line'] as const) {
    it(`never throws and keeps every range inside the line (${format})`, () => {
      const parser = new EntryParser({ timezone: 'Europe/Berlin', now: () => Date.parse('2024-06-01T12:00:00Z'), format });
      fc.assert(
        fc.property(line, fc.nat(16), fc.nat(16), (bytes, before, after) => {
          // The line sits inside a larger buffer, as the tailer's chunks do: ranges must stay in it.
          const buf = Buffer.concat([Buffer.alloc(before, 0x41), bytes, Buffer.alloc(after, 0x42)]);
          const start = before,
            end = before + bytes.length;
          const e = parser.parseRange(buf, start, end, 'fuzz');
          const msg = e.message;
          expect(msg.buffer).toBe(buf.buffer);
          const msgStart = msg.byteOffset - buf.byteOffset;
          expect(msgStart).toBeGreaterThanOrEqual(start);
          expect(msgStart + msg.length).toBe(end);
          expect(e.raw.equals(bytes)).toBe(true);
          if (e.program !== undefined) expect(e.program).toMatch(/^[\x21-\x7e]{1,64}$/);
          if (e.pid !== undefined) expect(Number.isSafeInteger(e.pid) && e.pid >= 0).toBe(true);
          if (e.time !== undefined) expect(Number.isFinite(e.time)).toBe(true);
          if (e.host !== undefined) expect(bytes.toString('latin1')).toContain(e.host);
          // parse() of the bytes alone gives the same entry.
          const alone = parser.parse(Buffer.from(bytes), 'fuzz');
          expect([alone.time, alone.program, alone.pid, alone.host, alone.message.toString('latin1')]).toEqual([
            e.time,
            e.program,
            e.pid,
            e.host,
            msg.toString('latin1'),
          ]);
        }),
        RUNS,
      );
    });
  }

  it('parses long lines of junk (up to 64 KiB) without throwing', () => {
    const parser = new EntryParser({ timezone: 'UTC', now: () => Date.parse('2024-06-01T12:00:00Z') });
    fc.assert(
      fc.property(fc.constantFrom(...PREFIXES), fc.integer({ min: 1, max: 65_536 }), fc.integer({ min: 0, max: 255 }), (prefix, n, byte) => {
        const b = Buffer.concat([Buffer.from(prefix), Buffer.alloc(n, byte === 0x0a ? 0x20 : byte)]);
        const e = parser.parse(b);
        expect(e.message.length).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 200, seed: SEED },
    );
  });
});
