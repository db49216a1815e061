import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageMemo } from '../src/filter/message-memo.js';

/** The memo's key as a string, written independently: every whole ` port N` masked (as `volatilePorts` promises). */
const masked = (text: string) => text.replace(/ port [0-9]+(?=[ :\]]|$)/g, ' port #');

/**
 * The address tokens of a text, found independently of the memo's scanner: a maximal run of hex
 * digits, dots and colons, starting with no dot, that no word, dot or colon touches on the left and no word byte on the
 * right, which has two colons or more (IPv6's shape) or is a dotted quad of 1–3 digit parts. The
 * digits of a masked ` port N` are never a token.
 */
function tokensOf(text: string): { start: number; end: number; v6: boolean }[] {
  const ports = new Set<number>();
  for (const m of text.matchAll(/ port ([0-9]+)(?=[ :\]]|$)/g)) ports.add(m.index + 6);
  const out: { start: number; end: number; v6: boolean }[] = [];
  for (const m of text.matchAll(/(?<![0-9A-Za-z_.:])[0-9A-Fa-f:][0-9A-Fa-f.:]*(?![0-9A-Za-z_.:])/g)) {
    const t = m[0];
    if (ports.has(m.index)) continue;
    const v6 = (t.match(/:/g) ?? []).length >= 2;
    if (v6 || /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(t)) out.push({ start: m.index, end: m.index + t.length, v6 });
  }
  return out;
}

/** The key with addresses masked too: tokens as `\x01` and `4` or `6`, a `\x01` of the text doubled. */
function maskedWithAddresses(text: string): string {
  let out = '',
    at = 0;
  for (const t of tokensOf(text)) {
    out += masked(text.slice(at, t.start)).replaceAll('\x01', '\x01\x01') + (t.v6 ? '\x016' : '\x014');
    at = t.end;
  }
  return out + masked(text.slice(at)).replaceAll('\x01', '\x01\x01');
}

/** A model of the memo: a Map by masked text, entries stored as exact answering only their own text. */
class Model {
  private map = new Map<string, { value: number; exact: string | null }>();
  constructor(
    private readonly limit: number,
    private readonly mask: boolean,
    private readonly addresses = false,
  ) {}
  get(text: string): number | undefined {
    const e = this.map.get(this.key(text));
    return e === undefined || (e.exact !== null && e.exact !== text) ? undefined : e.value;
  }
  set(text: string, value: number, exact: boolean): void {
    const key = this.key(text);
    if (!this.map.has(key) && this.map.size >= this.limit) this.map.clear();
    this.map.set(key, { value, exact: exact ? text : null });
  }
  private key(text: string) {
    if (this.addresses) return maskedWithAddresses(text);
    return this.mask ? masked(text) : text;
  }
}

// Messages made of pieces that meet at the masking rule's edges: ` port `, digits, its terminators.
const piece = fc.constantFrom(' port ', 'port', ' ', '1', '22', '65535', ':', ']', 'a', 'x from ', '.', '7.2.3.4', '\u00e9');
const message = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));
// And pieces at the address scanner's edges: addresses of both families, near-addresses, words
// that are hex, the escape byte the key uses.
const addressPiece = fc.constantFrom(
  ' port ',
  ' ',
  '22',
  ':',
  '.',
  '[',
  ']',
  'from ',
  'x',
  'dead',
  '_',
  '192.0.2.7',
  '198.51.100.23',
  '1.2.3',
  '1234.1.1.1',
  '2001:db8::1',
  '::ffff:192.0.2.9',
  '::',
  'fe80:',
  '\x01',
  '\x014',
  '\u00e9',
);
const addressMessage = fc.array(addressPiece, { maxLength: 10 }).map((p) => p.join(''));

describe('MessageMemo', () => {
  it('answers as a Map keyed by the masked text would, across resets and exact entries', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(message, fc.boolean()), { maxLength: 60 }), (mask, steps) => {
        const memo = new MessageMemo<number>(8, mask);
        const model = new Model(8, mask);
        steps.forEach(([text, exact], i) => {
          // Each message sits inside a larger buffer, as a parsed line's message does.
          const buf = Buffer.from(`<${text}>`);
          const got = memo.get(buf, 1, buf.length - 1);
          expect(got).toBe(model.get(text));
          if (got === undefined) {
            memo.set(buf, 1, buf.length - 1, i, exact);
            model.set(text, i, exact);
          }
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('with addresses masked too, answers as a Map keyed by the independently masked text would, and finds the same tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(addressMessage, fc.boolean()), { maxLength: 60 }), (steps) => {
        const memo = new MessageMemo<number>(8, true, true);
        const model = new Model(8, true, true);
        steps.forEach(([text, exact], i) => {
          const buf = Buffer.from(`<${text}>`);
          const got = memo.get(buf, 1, buf.length - 1);
          expect(got).toBe(model.get(text));
          // Token places in bytes of the buffer (the pieces are ASCII but for é: two bytes).
          const tokens = tokensOf(text).map((t) => [1 + Buffer.byteLength(text.slice(0, t.start)), 1 + Buffer.byteLength(text.slice(0, t.end))]);
          const families = tokensOf(text).map((t) => t.v6);
          expect(memo.addressCount).toBe(tokens.length);
          expect(tokens.slice(0, 8).map((_, k) => [memo.addressStart(k), memo.addressEnd(k)])).toEqual(tokens.slice(0, 8));
          expect(families.slice(0, 8).map((_, k) => memo.addressIsV6(k))).toEqual(families.slice(0, 8));
          if (got === undefined) {
            memo.set(buf, 1, buf.length - 1, i, exact);
            model.set(text, i, exact);
          }
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('no message poses as a masked address: the escape byte of a text is not a token', () => {
    const memo = new MessageMemo<string>(16, true, true);
    const at = (s: string) => {
      const b = Buffer.from(s);
      return [b, 0, b.length] as const;
    };
    memo.get(...at('Invalid user \x014 from 192.0.2.1 port 22'));
    memo.set(...at('Invalid user \x014 from 192.0.2.1 port 22'), 'a', false);
    expect(memo.get(...at('Invalid user 198.51.100.7 from 192.0.2.1 port 22'))).toBeUndefined();
    expect(memo.get(...at('Invalid user \x014 from 203.0.113.9 port 4711'))).toBe('a');
    expect(memo.addressCount).toBe(1);
    expect([memo.addressStart(0), memo.addressEnd(0)]).toEqual([21, 32]);
  });

  it('messages that differ only in a port number share an entry; other digits do not', () => {
    const memo = new MessageMemo<string>(16, true);
    const at = (s: string) => {
      const b = Buffer.from(s);
      return [b, 0, b.length] as const;
    };
    memo.get(...at('Failed password for root from 192.0.2.1 port 4711 ssh2'));
    memo.set(...at('Failed password for root from 192.0.2.1 port 4711 ssh2'), 'a', false);
    expect(memo.get(...at('Failed password for root from 192.0.2.1 port 22 ssh2'))).toBe('a');
    expect(memo.get(...at('Failed password for root from 192.0.2.2 port 22 ssh2'))).toBeUndefined();
    expect(memo.get(...at('Failed password for root from 192.0.2.1 port 22x ssh2'))).toBeUndefined();
  });

  it('holds at most its limit, and keeps long messages within its byte budget', () => {
    const memo = new MessageMemo<number>(4, false);
    for (let i = 0; i < 10; i++) {
      const b = Buffer.from(`m${i}`);
      if (memo.get(b, 0, b.length) === undefined) memo.set(b, 0, b.length, i, false);
      expect(memo.size).toBeLessThanOrEqual(4);
    }
    const big = new MessageMemo<number>(1000, false);
    for (let i = 0; i < 400; i++) {
      const b = Buffer.alloc(60_000, i);
      if (big.get(b, 0, b.length) === undefined) big.set(b, 0, b.length, i, false);
    }
    expect(big.size).toBeLessThan(400);
  });
});
