import { describe, it, expect } from 'vitest';
import { FilterRunner, defaultReducer } from '../src/filter/engine.js';
import { expandPattern, resolveMode } from '../src/filter/compile.js';
import type { FilterDefinition, RuleMatch, ReducerContext } from '../src/filter/types.js';
import type { LogEntry } from '../src/types.js';
import { thrownF2bError as thrown } from '../src/testing/thrown.js';

const T = Date.UTC(2024, 0, 15, 12, 0, 0);

function entry(message: string, opts: { program?: string; time?: number; raw?: string } = {}): LogEntry {
  const program = 'program' in opts ? opts.program : 'sshd';
  return {
    raw: Buffer.from(opts.raw ?? `host ${program ?? '-'}[1]: ${message}`),
    message: Buffer.from(message),
    time: 'time' in opts ? opts.time : T,
    program,
  };
}

const sshd: FilterDefinition = {
  id: 'mini-sshd',
  programs: ['sshd', 'sshd-session'],
  modes: ['normal', 'aggressive'],
  rules: [
    { id: 'failed-password', pattern: '^Failed password for (?:invalid user )?(?P<user>.*) from <HOST> port [0-9]+ ssh2$' },
    { id: 'no-ident', pattern: '^Did not receive identification string from <HOST>(?: port [0-9]+)?$', modes: ['aggressive'] },
    { id: 'accepted', pattern: '^Accepted \\S+ for (?P<user>\\S+) from <HOST> port [0-9]+', kind: 'info' },
  ],
};

const failedFrom = (host: string, user = 'root') => `Failed password for ${user} from ${host} port 22 ssh2`;

describe('FilterRunner: prefilter and modes', () => {
  it('entries from other programs (or without a program) never match', () => {
    const r = new FilterRunner(sshd);
    expect(r.process(entry(failedFrom('192.0.2.1')), T).map((f) => f.id)).toEqual(['192.0.2.1']);
    expect(r.process(entry(failedFrom('192.0.2.1'), { program: 'sshd-session' }), T)).toHaveLength(1);
    expect(r.process(entry(failedFrom('192.0.2.1'), { program: 'cron' }), T)).toEqual([]);
    expect(r.process(entry(failedFrom('192.0.2.1'), { program: undefined }), T)).toEqual([]);
    expect(r.match(entry(failedFrom('192.0.2.1'), { program: 'sshdx' }), T)).toBeNull();
  });

  it('a filter without `programs` matches any program', () => {
    const r = new FilterRunner({ id: 'any', rules: [{ id: 'x', pattern: '^bad from <HOST>$' }] });
    expect(r.process(entry('bad from 192.0.2.1', { program: undefined }), T)).toHaveLength(1);
    expect(r.process(entry('bad from 192.0.2.1', { program: 'whatever' }), T)).toHaveLength(1);
  });

  it('the first mode is the default; a rule limited to aggressive is off in normal', () => {
    const normal = new FilterRunner(sshd);
    const aggressive = new FilterRunner(sshd, { mode: 'aggressive' });
    expect(normal.mode).toBe('normal');
    expect(aggressive.mode).toBe('aggressive');
    const e = entry('Did not receive identification string from 198.51.100.4');
    expect(normal.process(e, T)).toEqual([]);
    expect(aggressive.process(e, T).map((f) => [f.id, f.rule])).toEqual([['198.51.100.4', 'no-ident']]);
    // rules without `modes` run in every mode
    expect(aggressive.process(entry(failedFrom('192.0.2.1')), T)).toHaveLength(1);
  });

  it('defaultMode overrides the first mode; a filter without modes has "normal"', () => {
    expect(new FilterRunner({ ...sshd, defaultMode: 'aggressive' }).mode).toBe('aggressive');
    expect(new FilterRunner({ id: 'x', rules: [] }).mode).toBe('normal');
    expect(resolveMode({ id: 'x', rules: [] }, undefined)).toBe('normal');
  });

  it('an unknown mode → F2B_ERR_MODE_UNKNOWN with the config path and the known modes', () => {
    const err = thrown(() => new FilterRunner(sshd, { mode: 'paranoid', path: 'jails.sshd.filter' }));
    expect(err.code).toBe('F2B_ERR_MODE_UNKNOWN');
    expect(err.path).toBe('jails.sshd.filter.mode');
    expect(err.message).toContain('paranoid');
    expect(err.fix).toContain('normal, aggressive');
  });
});

describe('FilterRunner: patterns', () => {
  it.each([
    ['backreference', '^(a)\\1 from <HOST>$', 'F2B_ERR_PATTERN_UNSUPPORTED'],
    ['lookahead', '^(?=foo)foo from <HOST>$', 'F2B_ERR_PATTERN_UNSUPPORTED'],
    ['negative lookbehind', '^(?<!x)foo from <HOST>$', 'F2B_ERR_PATTERN_UNSUPPORTED'],
    ['unbalanced', '^(foo from <HOST>$', 'F2B_ERR_PATTERN_INVALID'],
  ])('%s → %s naming filter and rule', (label, pattern, code) => {
    const err = thrown(
      () =>
        new FilterRunner({
          id: 'bad',
          rules: [
            { id: 'r1', pattern: 'ok' },
            { id: 'the-bad-one', pattern },
          ],
        }),
    );
    expect(err.code).toBe(code);
    if (code === 'F2B_ERR_PATTERN_UNSUPPORTED') expect(err.message).toContain(`${label} is not supported by RE2`);
    expect(err.message).toContain('"bad"');
    expect(err.message).toContain('the-bad-one');
  });

  it('expandPattern replaces every placeholder with a named host group', () => {
    for (const p of ['<HOST>', '<ADDR>', '<IP4>', '<IP6>']) {
      const out = expandPattern(`from ${p} port`);
      expect(out).not.toContain(p);
      expect(out).toContain('(?P<host>');
    }
    expect(expandPattern('no placeholders')).toBe('no placeholders');
  });

  const host: FilterDefinition = { id: 'h', rules: [{ id: 'r', pattern: '^auth failure from <HOST>$' }] };
  const addr: FilterDefinition = { id: 'a', rules: [{ id: 'r', pattern: '^auth failure from <ADDR>$' }] };
  const ids = (def: FilterDefinition, text: string) => new FilterRunner(def).process(entry(`auth failure from ${text}`), T).map((f) => f.id);

  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:198.51.100.9', '198.51.100.9'],
    ['010.000.001.009', '10.0.1.9'],
  ])('<HOST> matches the address %s and normalises it to %s', (text, id) => {
    expect(ids(host, text)).toEqual([id]);
    expect(ids(addr, text)).toEqual([id]);
  });

  it('<HOST> matches a host name (lower-cased); <ADDR> rejects it', () => {
    expect(ids(host, 'Evil.Example.COM')).toEqual(['evil.example.com']);
    expect(ids(host, 'localhost')).toEqual(['localhost']);
    expect(ids(addr, 'evil.example.com')).toEqual([]);
    expect(new FilterRunner(addr).match(entry('auth failure from evil.example.com'), T)).toBeNull();
  });

  it.each(['999.1.1.1', '1.2.3', '256.256.256.256', '-bad-.example', 'a..b', '::ffff::1'])(
    'text shaped like an address but not one (%s) is no failure',
    (text) => {
      expect(ids(host, text)).toEqual([]);
      expect(ids(addr, text)).toEqual([]);
    },
  );

  it('<IP4> and <IP6> only take their own family', () => {
    const v4: FilterDefinition = { id: 'v4', rules: [{ id: 'r', pattern: '^auth failure from <IP4>$' }] };
    const v6: FilterDefinition = { id: 'v6', rules: [{ id: 'r', pattern: '^auth failure from <IP6>$' }] };
    expect(ids(v4, '192.0.2.1')).toEqual(['192.0.2.1']);
    expect(ids(v4, '2001:db8::1')).toEqual([]);
    expect(ids(v6, '2001:db8::1')).toEqual(['2001:db8::1']);
    expect(ids(v6, '192.0.2.1')).toEqual([]);
  });

  it('log injection: an address inside the user name does not become the failure id', () => {
    const r = new FilterRunner(sshd);
    const msg = 'Failed password for invalid user evil from 198.51.100.7 port 22 ssh2 from 203.0.113.9 port 4242 ssh2';
    const [f, ...rest] = r.process(entry(msg), T);
    expect(rest).toEqual([]);
    expect(f!.id).toBe('203.0.113.9');
    expect(f!.captures.user).toBe('evil from 198.51.100.7 port 22 ssh2');
    const msg2 = 'Failed password for invalid user x from 198.51.100.7 from 203.0.113.9 port 22 ssh2';
    expect(r.process(entry(msg2), T).map((x) => x.id)).toEqual(['203.0.113.9']);
  });

  it('when the first matching rule has no valid host the next matching rule is used', () => {
    const def: FilterDefinition = {
      id: 'two',
      rules: [
        { id: 'loose', pattern: '^login failed from (?P<host>\\S+)' },
        { id: 'strict', pattern: 'via <ADDR>$' },
      ],
    };
    const r = new FilterRunner(def);
    expect(r.process(entry('login failed from nowhere!! via 192.0.2.3'), T).map((f) => [f.id, f.rule])).toEqual([['192.0.2.3', 'strict']]);
    expect(r.process(entry('login failed from 192.0.2.4 via 192.0.2.3'), T).map((f) => [f.id, f.rule])).toEqual([['192.0.2.4', 'loose']]);
  });

  it('rules are tried in definition order: the earlier rule wins when several match', () => {
    const def: FilterDefinition = {
      id: 'order',
      rules: [
        { id: 'first', pattern: 'bad from <HOST>' },
        { id: 'second', pattern: '^bad from <HOST>$' },
      ],
    };
    expect(new FilterRunner(def).process(entry('bad from 192.0.2.1'), T)[0]!.rule).toBe('first');
    const swapped = { ...def, rules: [def.rules[1]!, def.rules[0]!] };
    expect(new FilterRunner(swapped).process(entry('bad from 192.0.2.1'), T)[0]!.rule).toBe('second');
  });

  it('`on: line` rules match the raw line (prefix included), message rules do not see it', () => {
    const def: FilterDefinition = {
      id: 'l',
      rules: [
        { id: 'msg', pattern: '^www ' },
        { id: 'line', pattern: '^(?P<host>[0-9.]+) - - .* 401 ', on: 'line' },
      ],
    };
    const r = new FilterRunner(def);
    const raw = '192.0.2.8 - - [15/Jan/2024:12:00:00 +0000] "GET / HTTP/1.1" 401 12';
    const [f] = r.process({ raw: Buffer.from(raw), message: Buffer.from(raw), time: T }, T);
    expect(f).toMatchObject({ id: '192.0.2.8', rule: 'line' });
    expect(r.process({ raw: Buffer.from('nothing here'), message: Buffer.from('www nothing'), time: T }, T)).toEqual([]);
  });
});

describe('FilterRunner: failures', () => {
  it('a failure carries id, rule, captures, the raw line, the filter id and the entry time', () => {
    const r = new FilterRunner(sshd);
    const e = entry(failedFrom('192.0.2.1', 'alice'), { time: T - 5000 });
    expect(r.process(e, T)).toEqual([
      {
        id: '192.0.2.1',
        attempts: 1,
        rule: 'failed-password',
        captures: { user: 'alice' },
        // The address parsed once, here; it travels on the failure to the tracker and the actions.
        ip: { version: 4, bytes: new Uint8Array([192, 0, 2, 1]), text: '192.0.2.1' },
        lines: [e.raw.toString()],
        time: T - 5000,
        filter: 'mini-sshd',
      },
    ]);
  });

  it('with failureLines: false a failure carries no line text, and is otherwise the same', () => {
    const e = entry(failedFrom('192.0.2.1', 'alice'), { time: T - 5000 });
    const [full] = new FilterRunner(sshd).process(e, T);
    const [bare] = new FilterRunner(sshd, { failureLines: false }).process(e, T);
    expect(bare).toEqual({ ...full, lines: [] });
  });

  it("the memoised captures a transient reducer's failures share are frozen: no one can change another line's", () => {
    const r = new FilterRunner(sshd);
    const msg = failedFrom('192.0.2.1', 'root');
    const hit = r.find(entry(msg))!;
    expect(Object.isFrozen(hit.captures)).toBe(true);
    expect(() => {
      (hit.captures as Record<string, string>).user = 'tampered';
    }).toThrow(TypeError);
    expect(r.process(entry(msg), T)[0]!.captures).toEqual({ user: 'root' });
  });

  it('a transient reducer sees each match as it is at its call, in the one match object it is handed', () => {
    const seen: { rule: string; host?: string; user?: string; message: string }[] = [];
    const objects = new Set<RuleMatch>();
    const def: FilterDefinition = {
      ...sshd,
      createReducer: () => ({
        transient: true,
        reduce(m) {
          objects.add(m);
          seen.push({ rule: m.rule.id, host: m.host, user: m.captures.user, message: m.entry.message.toString() });
          return null;
        },
      }),
    };
    const r = new FilterRunner(def);
    r.process(entry(failedFrom('192.0.2.1', 'alice')), T);
    r.process(entry('Accepted password for bob from 192.0.2.7 port 22 ssh2'), T);
    r.process(entry(failedFrom('192.0.2.3', 'carol')), T);
    expect(seen).toEqual([
      { rule: 'failed-password', host: '192.0.2.1', user: 'alice', message: failedFrom('192.0.2.1', 'alice') },
      { rule: 'accepted', host: '192.0.2.7', user: 'bob', message: 'Accepted password for bob from 192.0.2.7 port 22 ssh2' },
      { rule: 'failed-password', host: '192.0.2.3', user: 'carol', message: failedFrom('192.0.2.3', 'carol') },
    ]);
    expect(objects.size).toBe(1);
  });

  it('an entry without a time gets `now`', () => {
    const r = new FilterRunner(sshd);
    expect(r.process(entry(failedFrom('192.0.2.1'), { time: undefined }), 123_456)[0]!.time).toBe(123_456);
  });

  it('`info` rules match but produce no failure with the default reducer', () => {
    const r = new FilterRunner(sshd);
    const e = entry('Accepted publickey for bob from 192.0.2.1 port 22 ssh2');
    const m = r.match(e, T);
    expect(m?.rule.id).toBe('accepted');
    expect(m?.host).toBe('192.0.2.1');
    expect(m?.captures).toEqual({ user: 'bob' });
    expect(r.process(e, T)).toEqual([]);
  });

  it("a match's time is the entry's, or for an undated line the caller's now (the core's clock): reducers never need Date.now", () => {
    const seen: number[] = [];
    const def: FilterDefinition = {
      id: 'timed',
      rules: [{ id: 'f', pattern: '^auth failure from <HOST>$' }],
      createReducer: () => ({
        reduce(m: RuleMatch) {
          seen.push(m.time);
          return null;
        },
      }),
    };
    const r = new FilterRunner(def);
    const clockNow = Date.UTC(2030, 5, 1); // far from the wall clock: a Date.now fallback would show
    r.process(entry('auth failure from 192.0.2.1'), clockNow);
    r.process(entry('auth failure from 192.0.2.1', { time: undefined }), clockNow);
    expect(seen).toEqual([T, clockNow]);
    expect(r.match(entry('auth failure from 192.0.2.1', { time: undefined }), clockNow)?.time).toBe(clockNow);
  });

  it('the default reducer ignores matches without a host', () => {
    const red = defaultReducer();
    const rule = { id: 'x', pattern: 'x' };
    const e = entry('x');
    expect(red.reduce({ rule, entry: e, captures: {}, time: T })).toBeNull();
    expect(red.reduce({ rule, entry: e, host: '192.0.2.1', captures: { a: 'b' }, time: T })).toEqual({
      id: '192.0.2.1',
      attempts: 1,
      rule: 'x',
      captures: { a: 'b' },
    });
  });

  it('non-matching messages give nothing', () => {
    const r = new FilterRunner(sshd);
    expect(r.process(entry('Connection closed by 192.0.2.1 port 22'), T)).toEqual([]);
    expect(r.match(entry(''), T)).toBeNull();
  });

  it('ruleHits counts matches per rule, info rules included', () => {
    const r = new FilterRunner(sshd, { mode: 'aggressive' });
    for (let i = 0; i < 3; i++) r.process(entry(failedFrom(`192.0.2.${i + 1}`)), T);
    r.process(entry('Did not receive identification string from 192.0.2.9'), T);
    r.process(entry('Accepted password for bob from 192.0.2.1 port 22 ssh2'), T);
    r.process(entry('Accepted password for bob from 192.0.2.1 port 22 ssh2'), T);
    r.process(entry('unrelated'), T);
    r.process(entry(failedFrom('192.0.2.1'), { program: 'cron' }), T);
    expect(Object.fromEntries(r.ruleHits)).toEqual({ 'failed-password': 3, 'no-ident': 1, accepted: 2 });
  });
});

describe('FilterRunner: memo cache', () => {
  it('identical messages give identical results, different messages different ones', () => {
    const r = new FilterRunner(sshd);
    const a1 = r.process(entry(failedFrom('192.0.2.1', 'root')), T);
    const a2 = r.process(entry(failedFrom('192.0.2.1', 'root')), T);
    const b = r.process(entry(failedFrom('192.0.2.2', 'root')), T);
    const c = r.process(entry(failedFrom('192.0.2.1', 'admin')), T);
    expect(a2).toEqual(a1);
    expect(b[0]!.id).toBe('192.0.2.2');
    expect(c[0]!.captures.user).toBe('admin');
    expect(a1[0]!.captures.user).toBe('root');
  });

  it('the result is per message, not per line: same message, different lines and times', () => {
    const r = new FilterRunner(sshd);
    const m = failedFrom('192.0.2.1');
    const [x] = r.process(entry(m, { time: T, raw: `line one ${m}` }), T);
    const [y] = r.process(entry(m, { time: T + 1000, raw: `line two ${m}` }), T);
    expect(x!.lines).toEqual([`line one ${m}`]);
    expect(y!.lines).toEqual([`line two ${m}`]);
    expect(y!.time).toBe(T + 1000);
  });

  it('stays correct across more distinct messages than the cache holds (reset at 8192)', () => {
    const r = new FilterRunner(sshd);
    const n = 20_000;
    const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < n; i++) {
      const out = r.process(entry(failedFrom(ip(i), `u${i}`)), T);
      expect(out.length).toBe(1);
      if (out[0]!.id !== ip(i) || out[0]!.captures.user !== `u${i}`) {
        throw new Error(`message ${i}: got ${out[0]!.id}/${out[0]!.captures.user}`);
      }
    }
    // earlier messages (evicted) and recent ones (cached) both still give their own answer
    for (const i of [0, 1, 8191, 8192, 8193, 16_383, 16_384, n - 1]) {
      expect(r.process(entry(failedFrom(ip(i), `u${i}`)), T)[0]).toMatchObject({ id: ip(i), captures: { user: `u${i}` } });
    }
    // non-matching messages are cached as misses without poisoning matches
    expect(r.process(entry(failedFrom('not-an-ip!')), T)).toEqual([]);
    expect(r.process(entry(failedFrom(ip(5), 'u5')), T)[0]!.id).toBe(ip(5));
    expect(r.ruleHits.get('failed-password')).toBe(n + 8 + 1);
  });

  it('a reducer mutating the captures it gets does not change later results for the same message', () => {
    const def: FilterDefinition = {
      ...sshd,
      createReducer: () => ({
        reduce(m) {
          const captures = m.captures as Record<string, string>;
          const out = { id: m.host!, attempts: 1, rule: m.rule.id, captures: { ...captures } };
          try {
            captures.user = 'tampered';
          } catch {
            /* frozen is fine too */
          }
          return out;
        },
      }),
    };
    const r = new FilterRunner(def);
    const msg = failedFrom('192.0.2.1', 'root');
    expect(r.process(entry(msg), T)[0]!.captures.user).toBe('root');
    expect(r.process(entry(msg), T)[0]!.captures.user).toBe('root');
  });
});

describe('FilterRunner: custom reducers and options', () => {
  it('a custom reducer receives every match in order, with its mode and options', () => {
    const seen: RuleMatch[] = [];
    let ctxSeen: ReducerContext | undefined;
    const def: FilterDefinition = {
      id: 'sess',
      programs: ['sshd'],
      rules: [
        { id: 'connect', pattern: '^Connection from <HOST> port [0-9]+$', kind: 'info' },
        { id: 'fail', pattern: '^auth fail user (?P<user>\\S+)$' },
        { id: 'close', pattern: '^Disconnected$', kind: 'info' },
      ],
      options: { type: 'object', properties: { weight: { type: 'integer', default: 2 } }, additionalProperties: false },
      createReducer(ctx) {
        ctxSeen = ctx;
        let host: string | undefined;
        let count = 0;
        return {
          reduce(m) {
            seen.push(m);
            if (m.rule.id === 'connect') {
              host = m.host;
              count = 0;
              return null;
            }
            if (m.rule.id === 'fail') {
              count++;
              return null;
            }
            if (m.rule.id === 'close' && host && count > 0) {
              return { id: host, attempts: count * (ctx.options.weight as number), rule: 'session' };
            }
            return null;
          },
        };
      },
    };
    const r = new FilterRunner(def);
    expect(ctxSeen).toMatchObject({ mode: 'normal', options: { weight: 2 } });
    expect(typeof ctxSeen?.logger.warn).toBe('function');
    const lines = ['Connection from 192.0.2.5 port 1', 'auth fail user a', 'auth fail user b', 'unrelated', 'Disconnected'];
    const out = lines.flatMap((l) => r.process(entry(l), T));
    expect(seen.map((m) => m.rule.id)).toEqual(['connect', 'fail', 'fail', 'close']);
    expect(seen.map((m) => m.captures.user)).toEqual([undefined, 'a', 'b', undefined]);
    expect(out).toEqual([expect.objectContaining({ id: '192.0.2.5', attempts: 4, rule: 'session', filter: 'sess', captures: {} })]);
  });

  it('a reducer may return several failures at once', () => {
    const def: FilterDefinition = {
      id: 'multi',
      rules: [{ id: 'r', pattern: '^pair <ADDR> and (?P<other>\\S+)$' }],
      createReducer: () => ({
        reduce: (m) => [
          { id: m.host!, attempts: 1, rule: 'r' },
          { id: m.captures.other!, attempts: 2, rule: 'r', time: 42, lines: ['custom'] },
        ],
      }),
    };
    const out = new FilterRunner(def).process(entry('pair 192.0.2.1 and 192.0.2.2'), T);
    expect(out.map((f) => [f.id, f.attempts, f.time, f.lines])).toEqual([
      ['192.0.2.1', 1, T, [entry('pair 192.0.2.1 and 192.0.2.2').raw.toString()]],
      ['192.0.2.2', 2, 42, ['custom']],
    ]);
  });

  it('options are validated against the filter schema → F2B_ERR_PLUGIN_OPTIONS at the config path', () => {
    const def: FilterDefinition = {
      id: 'opt',
      rules: [{ id: 'r', pattern: '^x <HOST>$' }],
      options: { type: 'object', properties: { maxlines: { type: 'integer', minimum: 1 } }, additionalProperties: false },
    };
    expect(() => new FilterRunner(def, { options: { maxlines: 3 } })).not.toThrow();
    const unknown = thrown(() => new FilterRunner(def, { options: { bogus: 1 }, path: 'jails.web.filter' }));
    expect(unknown.code).toBe('F2B_ERR_PLUGIN_OPTIONS');
    expect(unknown.path).toBe('jails.web.filter.options.bogus');
    const badType = thrown(() => new FilterRunner(def, { options: { maxlines: 'many' }, path: 'jails.web.filter' }));
    expect(badType.path).toBe('jails.web.filter.options.maxlines');
    const noPath = thrown(() => new FilterRunner(def, { options: { maxlines: 0 } }));
    expect(noPath.path).toBe('options.maxlines');
  });

  it('the caller options object is not mutated by schema defaults', () => {
    const def: FilterDefinition = {
      id: 'opt',
      rules: [],
      options: { type: 'object', properties: { x: { type: 'integer', default: 1 } } },
    };
    const given = {};
    new FilterRunner(def, { options: given });
    expect(given).toEqual({});
  });

  it('sweep() reaches the reducer', () => {
    const swept: number[] = [];
    const def: FilterDefinition = {
      id: 's',
      rules: [],
      createReducer: () => ({
        reduce: () => null,
        sweep: (now) => {
          swept.push(now);
        },
      }),
    };
    new FilterRunner(def).sweep(77);
    expect(swept).toEqual([77]);
  });
});

describe('FilterRunner.explain (test-filter --explain)', () => {
  const def: FilterDefinition = {
    id: 'demo',
    programs: ['demo'],
    rules: [
      { id: 'named', pattern: '^login failed for (?P<user>\\S+) from <HOST>$' },
      { id: 'addr-only', pattern: '^login failed for \\S+ from <ADDR>$' },
      { id: 'other', pattern: '^bye from <HOST>$' },
      { id: 'raw', pattern: 'RAWMARK <HOST>$', on: 'line' },
    ],
  };
  const runner = new FilterRunner(def);

  it('chooses what find chooses, lists the rules tried and each match with captures or why it was passed over', () => {
    const e = entry('login failed for eve from 192.0.2.7', { program: 'demo' });
    const ex = runner.explain(e);
    expect(ex.prefilter).toEqual({ passed: true, why: 'the program "demo" is one the filter reads' });
    expect(ex.tried).toEqual(['named', 'addr-only']);
    expect(ex.skipped).toEqual(['other']);
    expect(ex.matched).toEqual([
      { rule: 'named', on: 'message', host: '192.0.2.7', captures: { user: 'eve' } },
      { rule: 'addr-only', on: 'message', host: '192.0.2.7', captures: {} },
    ]);
    expect(ex.chosen).toBe('named');
    expect(def.rules[runner.find(e)!.index]!.id).toBe(ex.chosen);
  });

  it('a host that is neither an address nor a valid name is passed over, with the reason; line rules come after', () => {
    // Shaped like a host name to the pattern, but no address and no valid name (numeric labels).
    const ex = runner.explain(entry('login failed for eve from 999.999.1.1', { program: 'demo', raw: 'x demo[1]: RAWMARK 192.0.2.8' }));
    expect(ex.matched.map((m) => [m.rule, m.rejected ?? 'hit'])).toEqual([
      ['named', 'its host is neither an address nor a host name the rule allows'],
      ['addr-only', 'its host is neither an address nor a host name the rule allows'],
      ['raw', 'hit'],
    ]);
    expect(ex.tried).toEqual(['named', 'addr-only', 'raw']);
    expect(ex.skipped).toEqual(['other']);
    expect(ex.chosen).toBe('raw');
  });

  it('stops at the program prefilter and says why', () => {
    expect(runner.explain(entry('login failed for eve from 192.0.2.7', { program: 'cron' }))).toEqual({
      prefilter: { passed: false, why: 'the program "cron" is not one the filter reads (demo)' },
      tried: [],
      skipped: [],
      matched: [],
      chosen: null,
    });
  });

  it('dispatchedRules: the message rules the prefix dispatch hands a message to, by id, in rule order', () => {
    expect(runner.dispatchedRules(Buffer.from('login failed for eve from 192.0.2.7'))).toEqual(['named', 'addr-only']);
    expect(runner.dispatchedRules(Buffer.from('bye from 192.0.2.7'))).toEqual(['other']);
    expect(runner.dispatchedRules(Buffer.from('session opened'))).toEqual([]);
    // A message no rule's prefix starts: every message rule skipped; the line rules are no part of
    // the dispatch and are still tried.
    const ex = runner.explain(entry('session opened for 192.0.2.7', { program: 'demo' }));
    expect(ex).toMatchObject({ tried: ['raw'], skipped: ['named', 'addr-only', 'other'], matched: [], chosen: null });
  });
});

describe('lines only a rule of other modes matches (explain: "mode aggressive would count this")', () => {
  const seen = (mode: string, lines: LogEntry[]) => {
    const out: { host: string; rule: string; modes: readonly string[]; line: string; time: number }[] = [];
    const r = new FilterRunner(sshd, { mode, onOtherMode: (m, line, time) => out.push({ host: m.host, rule: m.rule, modes: m.modes, line, time }) });
    const failures = lines.flatMap((e) => r.process(e, T));
    return { out, failures };
  };

  it('reports the rule and the modes that count it, and counts nothing', () => {
    const { out, failures } = seen('normal', [entry('Did not receive identification string from 2001:db8::5 port 4000')]);
    expect(failures).toEqual([]);
    expect(out).toEqual([
      {
        host: '2001:db8::5',
        rule: 'no-ident',
        modes: ['aggressive'],
        line: 'host sshd[1]: Did not receive identification string from 2001:db8::5 port 4000',
        time: T,
      },
    ]);
  });

  it('says nothing of lines the mode counts, of other programs, or in a mode where the rule is active', () => {
    expect(seen('normal', [entry(failedFrom('192.0.2.7'))]).out).toEqual([]);
    expect(seen('normal', [entry('Did not receive identification string from 192.0.2.8', { program: 'ftpd' })]).out).toEqual([]);
    const aggressive = seen('aggressive', [entry('Did not receive identification string from 192.0.2.9')]);
    expect(aggressive.out).toEqual([]);
    expect(aggressive.failures).toHaveLength(1);
  });

  it('keeps no other-mode rules without a listener', () => {
    const r = new FilterRunner(sshd, { mode: 'normal' });
    expect(r.process(entry('Did not receive identification string from 192.0.2.10'), T)).toEqual([]);
  });
});
