import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/splitter.js';

const s = (lines: Buffer[]) => lines.map((l) => l.toString());

describe('LineSplitter', () => {
  it('splits on \\n across chunk boundaries and keeps the unfinished line', () => {
    const sp = new LineSplitter(1024);
    expect(s(sp.push(Buffer.from('a\nbb\ncc')))).toEqual(['a', 'bb']);
    expect(sp.pending).toBe(2);
    expect(s(sp.push(Buffer.from('c')))).toEqual([]);
    expect(s(sp.push(Buffer.from('c\n\nd\n')))).toEqual(['cccc', '', 'd']);
    expect(sp.pending).toBe(0);
  });

  it('handles a line spread over many chunks', () => {
    const sp = new LineSplitter(1 << 20);
    const line = 'x'.repeat(300_000);
    const out: string[] = [];
    for (let i = 0; i < line.length; i += 65_536) out.push(...s(sp.push(Buffer.from(line.slice(i, i + 65_536)))));
    out.push(...s(sp.push(Buffer.from('\nnext\n'))));
    expect(out).toEqual([line, 'next']);
  });

  it('drops a line longer than the limit whole, without keeping its bytes, and goes on', () => {
    const sp = new LineSplitter(10);
    expect(s(sp.push(Buffer.from('short\n0123456789AB')))).toEqual(['short']);
    expect(sp.pending).toBe(0);
    expect(s(sp.push(Buffer.from('CDEFG')))).toEqual([]);
    expect(sp.pending).toBe(0);
    expect(s(sp.push(Buffer.from('HIJ\nok\n')))).toEqual(['ok']);
    expect(s(sp.push(Buffer.from('0123456789ABC\nfine\n')))).toEqual(['fine']);
    expect(sp.dropped).toBe(2);
  });

  it('accepts a line of exactly the limit', () => {
    const sp = new LineSplitter(4);
    expect(s(sp.push(Buffer.from('ab')))).toEqual([]);
    expect(s(sp.push(Buffer.from('cd\n')))).toEqual(['abcd']);
    expect(sp.dropped).toBe(0);
  });
});
