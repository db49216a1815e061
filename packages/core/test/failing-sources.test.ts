/**
 * FailingSources (typed arrays, a hash index with backward-shift deletion, a linked order) against
 * the simplest model of it: a Map of arrays in insertion order. Random operation sequences on a
 * small pool of addresses (so collisions, re-use of freed slots, growth and rehashing all happen).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FailingSources } from '../src/failing-sources.js';
import { parseIp, type IpAddress } from '../src/ip.js';
import { LineArena } from '../src/line-arena.js';

const WINDOW = 100;

/** The model: per address its failures (oldest first), the Map's order = order of last failure. */
class Model {
  readonly m = new Map<string, { time: number; attempts: number; lines: readonly string[] }[]>();
  record(id: string, time: number, attempts: number, lines: readonly string[], horizon: number) {
    const w = (this.m.get(id) ?? []).filter((f) => f.time >= horizon);
    const added = !this.m.has(id);
    w.push({ time, attempts, lines });
    this.m.delete(id);
    this.m.set(id, w);
    return { total: w.reduce((n, f) => n + f.attempts, 0), added };
  }
  sweep(horizon: number) {
    for (const [id, w] of this.m) {
      const left = w.filter((f) => f.time >= horizon);
      if (left.length === 0) this.m.delete(id);
      else this.m.set(id, left);
    }
  }
  entries(horizon: number) {
    const out: { id: string; attempts: number }[] = [];
    for (const [id, w] of this.m) {
      const t = w.filter((f) => f.time >= horizon).reduce((n, f) => n + f.attempts, 0);
      if (t > 0) out.push({ id, attempts: t });
    }
    return out;
  }
  total(id: string) {
    return (this.m.get(id) ?? []).reduce((n, f) => n + f.attempts, 0);
  }
}

// Addresses that share /24s and /64s, v4 and v6, so the hash index sees near-identical keys.
const POOL: IpAddress[] = [
  ...Array.from({ length: 12 }, (_, i) => parseIp(`192.0.2.${i}`)!),
  ...Array.from({ length: 12 }, (_, i) => parseIp(`2001:db8::${i.toString(16)}`)!),
  parseIp('::')!,
  parseIp('0.0.0.1')!,
  parseIp('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')!,
  parseIp('255.255.255.255')!,
];

const op = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('record' as const), a: fc.nat(POOL.length - 1), dt: fc.nat(30), n: fc.integer({ min: 1, max: 3 }) }), weight: 8 },
  { arbitrary: fc.record({ k: fc.constant('delete' as const), a: fc.nat(POOL.length - 1) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant('evict' as const) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('sweep' as const) }), weight: 1 },
);

describe('FailingSources against a Map model', () => {
  it('same totals, order, listing, top and lines after any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new FailingSources();
        const model = new Model();
        let now = 0;
        for (const o of ops) {
          if (o.k === 'record') {
            now += o.dt;
            const ip = POOL[o.a]!;
            const lines = [`${ip.text} at ${now}`];
            expect(table.record(ip, now, o.n, lines, now - WINDOW)).toEqual(model.record(ip.text, now, o.n, lines, now - WINDOW));
          } else if (o.k === 'delete') {
            const ip = POOL[o.a]!;
            expect(table.delete(ip)).toBe(model.m.delete(ip.text));
          } else if (o.k === 'evict') {
            const oldest = model.m.keys().next();
            expect(table.evictOldest()).toBe(oldest.done ? null : oldest.value);
            if (!oldest.done) model.m.delete(oldest.value);
          } else {
            table.sweep(now - WINDOW);
            model.sweep(now - WINDOW);
          }
          expect(table.size).toBe(model.m.size);
        }
        const horizon = now - WINDOW;
        expect([...table.entries(horizon)]).toEqual(model.entries(horizon));
        for (const ip of POOL) {
          expect(table.attemptsOf(ip)).toBe(model.total(ip.text));
          const lines = (model.m.get(ip.text) ?? []).flatMap((f) => f.lines).slice(-3);
          expect(table.recentLines(ip, 3)).toEqual(lines);
          // explain's view of one window: the failures at the horizon, oldest first.
          expect(table.window(ip, horizon)).toEqual((model.m.get(ip.text) ?? []).filter((f) => f.time >= horizon));
        }
        // top: most attempts first, ties by address (bytes) order.
        const key = (id: string) => POOL.find((p) => p.text === id)!;
        const cmp = (a: { id: string; attempts: number }, b: { id: string; attempts: number }) => {
          if (a.attempts !== b.attempts) return b.attempts - a.attempts;
          const x = mapped(key(a.id)),
            y = mapped(key(b.id));
          for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
          return 0;
        };
        table.sweep(horizon);
        model.sweep(horizon);
        const all = model.entries(horizon).sort(cmp);
        expect(table.top(5)).toEqual(all.slice(0, 5));
      }),
      { numRuns: 300 },
    );
  });

  it('20,000 addresses: every one found again, and the text of each is its canonical form', () => {
    const table = new FailingSources();
    const ip = (i: number) =>
      parseIp(i % 2 ? `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}` : `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`)!;
    const N = 20_000;
    for (let i = 0; i < N; i++) table.record(ip(i), i, 1, [], 0);
    for (let i = 0; i < N; i += 2) expect(table.delete(ip(i))).toBe(true);
    expect(table.size).toBe(N / 2);
    for (let i = 1; i < N; i += 2) expect(table.attemptsOf(ip(i))).toBe(1);
    for (let i = 0; i < N; i += 2) expect(table.attemptsOf(ip(i))).toBe(0);
    const listed = [...table.entries(0)].map((e) => e.id);
    expect(listed).toEqual(Array.from({ length: N / 2 }, (_, k) => ip(2 * k + 1).text));
  });

  it('a live listing ends (it does not wander) when the source it stood on was forgotten', () => {
    const table = new FailingSources();
    const a = parseIp('192.0.2.1')!,
      b = parseIp('192.0.2.2')!,
      c = parseIp('192.0.2.3')!;
    for (const ip of [a, b, c]) table.record(ip, 1, 1, [], 0);
    const it = table.entries(0);
    expect(it.next().value).toEqual({ id: '192.0.2.1', attempts: 1 });
    table.delete(a);
    table.record(parseIp('2001:db8::9')!, 2, 1, [], 0); // re-uses the freed slot
    expect(it.next().done).toBe(true);
  });
});

function mapped(ip: IpAddress): Uint8Array {
  if (ip.bytes.length === 16) return ip.bytes;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip.bytes, 12);
  return out;
}

describe('LineArena', () => {
  it('gives back what was set, per slot, across rewrites (holes compacted), in any order of set and clear', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ slot: fc.nat(63), line: fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: undefined }) }), { maxLength: 400 }),
        (ops) => {
          const arena = new LineArena();
          arena.ensureSlots(64);
          const model = new Map<number, string>();
          for (const o of ops) {
            if (o.line === undefined) {
              arena.clear(o.slot);
              model.delete(o.slot);
            } else {
              arena.set(o.slot, o.line);
              model.set(o.slot, o.line);
            }
          }
          for (let slot = 0; slot < 64; slot++) expect(arena.get(slot)).toBe(toWellFormed(model.get(slot)));
        },
      ),
    );
  });

  it('rewrites compactly when freed bytes outweigh the lines in use', () => {
    const arena = new LineArena();
    arena.ensureSlots(2);
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 5000; i++) arena.set(i % 2, `${i} ${line}`); // 5 MB written, 2 lines alive
    expect(arena.get(0)).toBe(`4998 ${line}`);
    expect(arena.get(1)).toBe(`4999 ${line}`);
    expect(arena.bytes.held).toBeLessThan(4 << 20);
  });
});

/** UTF-8 cannot hold a lone surrogate: it comes back as U+FFFD (as a line decoded from a log would). */
function toWellFormed(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('utf8');
}
