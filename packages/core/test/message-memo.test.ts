import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageMemo } from '../src/filter/message-memo.js';

/** The memo's key as a string, written independently: every whole ` port N` masked (as `volatilePorts` promises). */
const masked = (text: string) => text.replace(/ port [0-9]+(?=[ :\]]|$)/g, ' port #');

/** A model of the memo: a Map by masked text, entries stored as exact answering only their own text. */
class Model {
  private map = new Map<string, { value: number; exact: string | null }>();
  constructor(
    private readonly limit: number,
    private readonly mask: boolean,
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
    return this.mask ? masked(text) : text;
  }
}

// Messages made of pieces that meet at the masking rule's edges: ` port `, digits, its terminators.
const piece = fc.constantFrom(' port ', 'port', ' ', '1', '22', '65535', ':', ']', 'a', 'x from ', '.', '7.2.3.4', '\u00e9');
const message = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));

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
