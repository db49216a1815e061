/**
 * The session table keeps its connections in columns (src/session-columns.ts) with packed keys:
 * against a plain model — a Map of session objects in least-recently-seen order, as the table was
 * before — random creates, lookups, field writes, deletes, sweeps, evictions at the cap and a
 * checkpoint round trip give the same sessions, in the same order, with the same saved keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSession, type Session, SessionTable } from '../src/sessions.js';

const TTL = 1000;
const CAP = 8;

/** The table as it was: objects in a Map, moved to the end when seen. */
class Model {
  readonly map = new Map<string, Session>();
  logTime = -Infinity;
  get(key: string, time: number): Session | undefined {
    const s = this.map.get(key);
    if (time > this.logTime) this.logTime = time;
    if (!s) return undefined;
    if (time - s.seen > TTL) {
      this.map.delete(key);
      return undefined;
    }
    s.seen = Math.max(s.seen, time);
    this.map.delete(key);
    this.map.set(key, s);
    return s;
  }
  create(key: string, time: number): Session {
    this.map.delete(key);
    if (this.map.size >= CAP) this.map.delete(this.map.keys().next().value!);
    const s = newSession(time);
    this.map.set(key, s);
    return s;
  }
  sweep(now: number): void {
    const horizon = (Number.isFinite(this.logTime) ? Math.min(now, this.logTime) : now) - TTL;
    for (const [k, s] of this.map) {
      if (s.seen >= horizon) break;
      this.map.delete(k);
    }
  }
}

const hosts = ['web1', 'web2', 'db'];
const op = fc.oneof(
  fc.record({
    op: fc.constant('create' as const),
    host: fc.constantFrom(...hosts),
    pid: fc.integer({ min: 1, max: 12 }),
    dt: fc.integer({ min: 0, max: 300 }),
  }),
  fc.record({ op: fc.constant('get' as const), host: fc.constantFrom(...hosts), pid: fc.integer({ min: 1, max: 12 }), dt: fc.integer({ min: 0, max: 300 }) }),
  fc.record({
    op: fc.constant('write' as const),
    field: fc.constantFrom('counted', 'softKeys', 'pamPending', 'ended', 'addr', 'pamUser', 'success'),
    value: fc.integer({ min: 0, max: 9 }),
  }),
  fc.record({ op: fc.constant('delete' as const), host: fc.constantFrom(...hosts), pid: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('sweep' as const), dt: fc.integer({ min: 0, max: 2000 }) }),
);

function write(s: Session, field: string, value: number): void {
  const r = s as unknown as Record<string, unknown>;
  if (field === 'addr') r.addr = `192.0.2.${value}`;
  else if (field === 'pamUser') r.pamUser = value === 0 ? undefined : `u${value}`;
  else if (typeof r[field] === 'boolean') r[field] = value % 2 === 1;
  else r[field] = value;
}

describe('session table in columns', () => {
  it('holds what a Map of session objects holds, in the same order, through a checkpoint', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const table = new SessionTable(TTL, CAP);
        const model = new Model();
        let time = 0;
        let current: [Session, Session] | null = null; // the session each side last handed out
        for (const o of ops) {
          if (o.op === 'create' || o.op === 'get') {
            time += o.dt;
            const key = table.keyOf(o.host, o.pid);
            const text = `${o.host} ${o.pid}`;
            const got = o.op === 'create' ? table.create(key, time) : table.get(key, time);
            const want = o.op === 'create' ? model.create(text, time) : model.get(text, time);
            expect(got === undefined).toBe(want === undefined);
            current = got && want ? [got, want] : null;
          } else if (o.op === 'write') {
            if (current) for (const s of current) write(s, o.field, o.value);
          } else if (o.op === 'delete') {
            table.delete(table.keyOf(o.host, o.pid));
            model.map.delete(`${o.host} ${o.pid}`);
            current = null; // a released slot may be handed out again
          } else {
            table.sweep(time + o.dt);
            model.sweep(time + o.dt);
            current = null;
          }
          expect(table.size).toBe(model.map.size);
        }
        const saved = JSON.parse(JSON.stringify(table.export())) as { sessions: [string, Session][] };
        expect(saved.sessions).toEqual(JSON.parse(JSON.stringify([...model.map])));
        // Back through import: the same table again (keys packed again, same order).
        const again = new SessionTable(TTL, CAP);
        again.import(saved);
        expect(JSON.parse(JSON.stringify(again.export()))).toEqual(saved);
      }),
      { numRuns: 300 },
    );
  });

  it('keys beyond what packs into a number (a huge pid, the 512th host) stay apart and save as text', () => {
    const table = new SessionTable(TTL, 10_000);
    const keys = new Set<unknown>();
    for (let h = 0; h < 520; h++) keys.add(table.keyOf(`h${h}`, 7));
    keys.add(table.keyOf('h0', 2 ** 22));
    keys.add(table.keyOf('h0', 2 ** 22 - 1));
    expect(keys.size).toBe(522);
    expect(table.keyOf('h519', 7)).toBe('h519 7');
    expect(table.keyOf('h0', 2 ** 22)).toBe(`h0 ${2 ** 22}`);
    table.create(table.keyOf('h3', 42), 5).addr = '192.0.2.9';
    table.create(table.keyOf('h0', 2 ** 22), 6);
    expect(table.export().sessions.map(([k]) => k)).toEqual(['h3 42', `h0 ${2 ** 22}`]);
  });
});
