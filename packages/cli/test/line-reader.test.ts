/**
 * test-filter's line readers (src/test-filter/line-reader.ts) against a plain split: the same lines
 * (CR stripped), overlong ones reported in their place, a last line without a newline delivered —
 * with chunks far smaller than lines, so that every split between two reads is met.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { forEachLineOfFile, forEachLineOfStream, type LineSink } from '../src/test-filter/line-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'f2b-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OVERLONG = '<overlong>';

/** What a reader must report for `bytes`, lines longer than maxLen (after the CR) marked. */
function expected(bytes: Buffer, maxLen: number): string[] {
  const parts = bytes.toString('latin1').split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).map((l) => (l.length > maxLen ? OVERLONG : l));
}

/** A sink that records lines as text (copied at once: the reader may reuse its buffer). */
function recorder(maxLen: number): { sink: LineSink; got: string[] } {
  const got: string[] = [];
  return {
    got,
    sink: {
      line: (buf, s, e) => {
        got.push(e - s > maxLen ? OVERLONG : buf.toString('latin1', s, e));
      },
      overlong: () => {
        got.push(OVERLONG);
      },
      afterChunk: () => undefined,
    },
  };
}

const content = fc.array(fc.constantFrom('a', 'b', '\n', '\r', '\r\n', 'xxxxxxxxxx'), { maxLength: 80 }).map((p) => Buffer.from(p.join(''), 'latin1'));

describe('line readers', () => {
  it('a file read in small chunks gives the lines of a plain split', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(content, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 30 }), async (bytes, chunk, maxLen) => {
        const file = join(dir, `f${n++}`);
        writeFileSync(file, bytes);
        const { sink, got } = recorder(maxLen);
        await forEachLineOfFile(file, maxLen, sink, chunk);
        expect(got).toEqual(expected(bytes, maxLen));
      }),
      { numRuns: 500 },
    );
  });

  it('a stream in small chunks gives the lines of a plain split', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 30 }), async (bytes, chunk, maxLen) => {
        const chunks: Buffer[] = [];
        for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
        const { sink, got } = recorder(maxLen);
        await forEachLineOfStream(Readable.from(chunks), maxLen, sink);
        expect(got).toEqual(expected(bytes, maxLen));
      }),
      { numRuns: 500 },
    );
  });
});
