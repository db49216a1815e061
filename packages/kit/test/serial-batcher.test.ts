import { describe, expect, it } from 'vitest';
import { SerialBatcher } from '../src/index.js';

describe('SerialBatcher', () => {
  it('makes one flush of the requests of one turn, and a new one for a request during that flush', async () => {
    const flushes: number[] = [];
    let marked = 0;
    let during: Promise<void> | undefined;
    const batcher = new SerialBatcher(
      async () => {
        flushes.push(marked);
        marked = 0;
        if (flushes.length === 1) {
          marked = 1;
          during = batcher.requestFlush();
        }
      },
      () => undefined,
    );
    marked = 3;
    await Promise.all([batcher.requestFlush(), batcher.requestFlush(), batcher.requestFlush()]);
    await during;
    expect(flushes).toEqual([3, 1]);
  });

  it('starts the flush at the end of the code that asked, before the next turn of the event loop', async () => {
    const order: string[] = [];
    const batcher = new SerialBatcher(
      async () => {
        order.push('flush');
      },
      () => undefined,
    );
    const immediate = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('next turn');
        resolve();
      }),
    );
    const flushed = batcher.requestFlush();
    order.push('asked');
    await Promise.all([flushed, immediate]);
    expect(order).toEqual(['asked', 'flush', 'next turn']);
  });

  it('runs one thing at a time, in order, and a failure neither stops the queue nor escapes the flush', async () => {
    const order: string[] = [];
    const reported: unknown[] = [];
    const batcher = new SerialBatcher(
      async () => {
        order.push('flush');
        throw new Error('nft refused');
      },
      (err) => reported.push(err),
    );
    const slow = batcher.serial(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('slow');
    });
    const failing = batcher.serial(async () => {
      order.push('failing');
      throw new Error('boom');
    });
    const flushed = batcher.requestFlush();
    await slow;
    await expect(failing).rejects.toThrow('boom');
    await flushed;
    expect(order).toEqual(['slow', 'failing', 'flush']);
    expect(reported.map((e) => (e as Error).message)).toEqual(['nft refused']);
  });
});
