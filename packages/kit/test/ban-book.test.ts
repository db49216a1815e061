/**
 * The ban book (src/ban-book.ts) keeps its bans in columns and makes a ban object when asked; the
 * object-based book it replaced is kept here, as it was, as the reference model. Random sequences of
 * bans, restores (addresses, network bans, bans without a parsed address, permanent ones), unbans and
 * clock steps go to both; after each step every lookup, the listing and the expiries must agree.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FakeClock } from '@f2b/core/testing';
import { BanBook, type BanBookOptions, type BookBan, type BookUnban } from '../src/ban-book.js';
import { BanExpiries } from '../src/ban-expiries.js';
import { escalatedBantime } from '../src/bantime.js';
import { parseIp, type IpAddress } from '../src/ip.js';

// --- the reference: the object-based book (a Map of ban objects by id), unchanged ------------------

class ObjectBanBook {
  private readonly opts: BanBookOptions;
  private readonly banned = new Map<string, BookBan>();
  /** When the bans with an end end: one timer for all of them. */
  private readonly expiries: BanExpiries;
  /** The expiry entry of each ban in force that has an end (the others never expire). */
  private readonly expiryOf = new Map<string, number>();
  private readonly banCounts = new Map<string, number>();

  constructor(opts: BanBookOptions) {
    this.opts = opts;
    this.expiries = new BanExpiries(opts.clock, (id, order) => this.expire(id, order));
  }

  get size(): number {
    return this.banned.size;
  }

  has(id: string): boolean {
    return this.banned.has(id);
  }

  get(id: string): BookBan | undefined {
    return this.banned.get(id);
  }

  /** A new ban of `ip` from `now`, its bantime escalated by the address's earlier bans. */
  ban(ip: IpAddress, now: number, failures: number, rule?: string, lines?: readonly string[]): BookBan & { readonly ip: IpAddress } {
    const id = ip.text;
    const count = (this.opts.priorBans ? this.opts.priorBans(id) : (this.banCounts.get(id) ?? 0)) + 1;
    this.banCounts.set(id, count);
    const bantime = escalatedBantime(this.opts.bantime, count, this.opts.increment, this.opts.random);
    const end = bantime < 0 ? null : now + bantime * 1000;
    const ban = { jail: this.opts.jail, id, ip, start: now, end, count, rule, lines, failures };
    this.restore(ban);
    return ban;
  }

  /** Hold a ban and arm its end (a ban read back from a store, or one just made). */
  restore(ban: BookBan): void {
    const id = ban.ip?.text ?? ban.id;
    this.forget(id);
    this.banned.set(id, ban);
    if (ban.end !== null) this.expiryOf.set(id, this.expiries.add(id, ban.end));
  }

  unban(id: string, reason: BookUnban['reason']): BookUnban | null {
    if (!this.forget(id)) return null;
    return { jail: this.opts.jail, id, time: this.opts.clock.now(), reason };
  }

  /** Drops the ban of `id` (its expiry entry stays until it comes up, then is passed over). */
  private forget(id: string): BookBan | undefined {
    const ban = this.banned.get(id);
    if (ban === undefined) return undefined;
    this.banned.delete(id);
    if (!this.expiryOf.delete(id)) return ban;
    if (this.expiryOf.size === 0) this.expiries.clear();
    else if (this.expiries.size > 2 * this.expiryOf.size + 1024) this.expiries.compact((i, order) => this.expiryOf.get(i) === order);
    return ban;
  }

  /** The end of `id`'s ban has come (entry `order`): lifted, unless that ban was replaced or lifted meanwhile. */
  private expire(id: string, order: number): void {
    if (this.expiryOf.get(id) !== order) return;
    const unban = this.unban(id, 'expired');
    if (unban) this.opts.onExpire(unban);
  }

  *bans(): IterableIterator<BookBan> {
    yield* this.banned.values();
  }

  /** Cancel the timer (stop); the bans stay recorded. */
  dispose(): void {
    this.expiries.clear();
  }
}

// --- the property ----------------------------------------------------------------------------------

const ADDRESSES = ['198.51.100.1', '198.51.100.2', '203.0.113.7', '2001:db8::1', '2001:db8::ffff:0:1', '2001:db8:1::42', '192.0.2.10', '0.0.0.0'].map((t) =>
  parseIp(t)!,
);
const NETWORKS = ['198.51.100.0/24', '2001:db8::/64'];
const IDS = [...ADDRESSES.map((a) => a.text), ...NETWORKS, '198.51.100.01', '::ffff:198.51.100.1'];

type Op =
  | { ban: { a: number; failures: number; rule: number; lines: boolean } }
  | { restore: { a: number; start: number; length: number | null; count: number; rule: number; lines: boolean; origin: boolean; parsed: boolean } }
  | { network: { n: number; length: number | null } }
  | { unban: number }
  | { step: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ ban: fc.record({ a: fc.nat(ADDRESSES.length - 1), failures: fc.nat(9), rule: fc.nat(2), lines: fc.boolean() }) }),
  fc.record({
    restore: fc.record({
      a: fc.nat(ADDRESSES.length - 1),
      start: fc.integer({ min: -100, max: 0 }),
      length: fc.option(fc.integer({ min: 0, max: 80 })),
      count: fc.integer({ min: 1, max: 5 }),
      rule: fc.nat(2),
      lines: fc.boolean(),
      origin: fc.boolean(),
      parsed: fc.boolean(),
    }),
  }),
  fc.record({ network: fc.record({ n: fc.nat(NETWORKS.length - 1), length: fc.option(fc.integer({ min: 0, max: 80 })) }) }),
  fc.record({ unban: fc.nat(IDS.length - 1) }),
  fc.record({ step: fc.integer({ min: 0, max: 40 }) }),
);

/** A fresh copy of an address (as a store's ban parsed again would have), not the same object. */
function copyOf(ip: IpAddress): IpAddress {
  return parseIp(ip.text)!;
}

function byId(bans: Iterable<BookBan>): BookBan[] {
  return [...bans].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe('BanBook (columns) against the object-based book', () => {
  it('answers every lookup, listing and expiry as the object-based book does', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.constantFrom(60, -1), (ops, bantime) => {
        const clocks = [new FakeClock(1_000_000), new FakeClock(1_000_000)] as const;
        const expired: BookUnban[][] = [[], []];
        const options = (i: 0 | 1): BanBookOptions => ({
          jail: 'sshd',
          bantime,
          clock: clocks[i],
          random: () => 0.5,
          onExpire: (u) => expired[i].push(u),
        });
        const model = new ObjectBanBook(options(0));
        const book = new BanBook(options(1));
        const rules = [undefined, 'sshd-auth', 'fleet:host-b'];
        for (const o of ops) {
          const now = clocks[0].now();
          if ('ban' in o) {
            const { a, failures, rule, lines } = o.ban;
            const args = [now, failures, rules[rule], lines ? ['line 1', 'line 2'] : undefined] as const;
            expect(book.ban(copyOf(ADDRESSES[a]!), ...args)).toEqual(model.ban(copyOf(ADDRESSES[a]!), ...args));
          } else if ('restore' in o) {
            const r = o.restore;
            const ip = ADDRESSES[r.a]!;
            const ban: BookBan = {
              jail: 'sshd',
              id: ip.text,
              ...(r.parsed ? { ip: copyOf(ip) } : {}),
              start: now + r.start,
              end: r.length === null ? null : now + r.length,
              count: r.count,
              rule: rules[r.rule],
              ...(r.lines ? { lines: ['restored line'] } : {}),
              failures: 3,
              ...(r.origin ? { origin: 'host-b' } : {}),
            };
            model.restore(ban);
            book.restore(ban);
          } else if ('network' in o) {
            const id = NETWORKS[o.network.n]!;
            const ban: BookBan = {
              jail: 'sshd',
              id,
              start: now,
              end: o.network.length === null ? null : now + o.network.length,
              count: 1,
              failures: 0,
              rule: 'recovered',
            };
            model.restore(ban);
            book.restore(ban);
          } else if ('unban' in o) {
            expect(book.unban(IDS[o.unban]!, 'manual')).toEqual(model.unban(IDS[o.unban]!, 'manual'));
          } else {
            clocks[0].advance(o.step);
            clocks[1].advance(o.step);
          }
          expect(expired[1]).toEqual(expired[0]);
          expect(book.size).toBe(model.size);
          for (const id of IDS) {
            expect(book.has(id)).toBe(model.has(id));
            expect(book.get(id)).toEqual(model.get(id));
          }
          for (const ip of ADDRESSES) {
            expect(book.hasAddress(ip)).toBe(model.has(ip.text));
            expect(book.getAddress(ip)).toEqual(model.get(ip.text));
          }
          expect(byId(book.bans())).toEqual(byId(model.bans()));
          expect(clocks[1].pendingTimers()).toBeLessThanOrEqual(1);
        }
        clocks[0].advance(1000);
        clocks[1].advance(1000);
        expect(expired[1]).toEqual(expired[0]);
        expect(book.size).toBe(model.size);
      }),
      { numRuns: 300 },
    );
  });

  it('lists live: a listing paged while bans come and go meets every ban held throughout', () => {
    const clock = new FakeClock(0);
    const book = new BanBook({ jail: 'sshd', bantime: 60, clock, onExpire: () => {} });
    const ips = Array.from({ length: 200 }, (_, i) => parseIp(`198.51.100.${i}`)!);
    for (const ip of ips) book.ban(ip, 0, 5);
    const seen = new Set<string>();
    const listing = book.bans();
    for (let i = 0; i < 50; i++) seen.add(listing.next().value!.id);
    // Meanwhile: the first ten lifted (seen already), the last ten lifted (never to be met), new ones.
    for (const ip of [...ips.slice(0, 10), ...ips.slice(190)]) book.unban(ip.text, 'manual');
    for (let i = 0; i < 20; i++) book.ban(parseIp(`203.0.113.${i}`)!, 0, 5);
    for (let r = listing.next(); !r.done; r = listing.next()) seen.add(r.value.id);
    for (const ip of ips.slice(10, 190)) expect(seen.has(ip.text)).toBe(true);
    for (const ip of ips.slice(190)) expect(seen.has(ip.text)).toBe(false);
  });

  it('makes a ban when asked: equal bans, rebuilt from the columns, for IPv4 and IPv6', () => {
    const clock = new FakeClock(5000);
    const book = new BanBook({ jail: 'sshd', bantime: -1, clock, onExpire: () => {} });
    const v6 = parseIp('2001:db8::7')!;
    const made = book.ban(v6, 5000, 4, 'sshd-auth', ['a line']);
    const got = book.getAddress(parseIp('2001:db8:0::7')!)!;
    expect(got).not.toBe(made);
    expect(got).toEqual({ jail: 'sshd', id: '2001:db8::7', ip: v6, start: 5000, end: null, count: 1, rule: 'sshd-auth', lines: ['a line'], failures: 4 });
    expect(book.get('2001:db8::7')).toEqual(got);
  });

  it('holds bans over several pages of slots, reusing the slots of those lifted', () => {
    const clock = new FakeClock(0);
    const expired: string[] = [];
    const book = new BanBook({ jail: 'sshd', bantime: 60, clock, onExpire: (u) => expired.push(u.id) });
    const ip = (i: number) => parseIp(i % 2 === 0 ? `198.51.${(i >> 8) & 255}.${i & 255}` : `2001:db8::${i.toString(16)}`)!;
    for (let i = 0; i < 12_000; i++) book.ban(ip(i), i, 5);
    for (let i = 0; i < 12_000; i += 4) book.unban(ip(i).text, 'manual');
    for (let i = 12_000; i < 14_000; i++) book.ban(ip(i), 0, 5);
    expect(book.size).toBe(11_000);
    for (let i = 0; i < 14_000; i++) {
      const held = i < 12_000 && i % 4 === 0 ? undefined : book.getAddress(ip(i));
      if (i < 12_000 && i % 4 === 0) expect(book.hasAddress(ip(i))).toBe(false);
      else expect(held).toMatchObject({ id: ip(i).text, start: i < 12_000 ? i : 0, end: (i < 12_000 ? i : 0) + 60_000 });
    }
    clock.advance(60_000 + 12_000);
    expect(expired.length).toBe(11_000);
    expect(book.size).toBe(0);
  });
});
