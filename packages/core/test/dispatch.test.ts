import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import RE2 from 're2';
import { literalPrefixes } from '../src/filter/prefixes.js';
import { Dispatcher } from '../src/filter/dispatch.js';
import { expandPattern, positionalGroups } from '../src/filter/compile.js';

const source = (p: string) => positionalGroups(expandPattern(p)).source;

describe('literalPrefixes', () => {
  it.each([
    ['^Failed password for (.*) from <HOST>$', ['Failed password for ']],
    ['^(?:error: |fatal: )?Timeout$', ['error: Timeout', 'fatal: Timeout', 'Timeout']],
    ['^(?:Invalid|Illegal) user (?P<user>.*)$', ['Invalid user ', 'Illegal user ']],
    ['^pam_[a-z]+\\(sshd\\)', ['pam_']],
    ['^a\\.b\\[c x', ['a.b[c x']],
    ['^abc|^abd', ['abc', 'abd']],
    ['^ab?c', ['abc', 'ac']],
    ['^(?:ab)+c', null],
    ['^ab*c', ['a']],
    ['^x{2}y', ['xx']],
    ['^(?:|ab)c', ['c', 'abc']],
  ] as [string, string[] | null][])('%s', (pattern, expected) => {
    const got = literalPrefixes(source(pattern));
    if (expected === null) expect(got).toBeNull();
    else expect(got?.sort()).toEqual([...expected].sort());
  });

  it.each([
    'abc', // not anchored
    '^abc|abd', // one alternative not anchored
    '(?i)^abc',
    '^(?i:abc)',
    '^\\x41b',
    '^\\pLx',
    '^.*x',
    '^[ab]c',
    '^\\sx',
  ])('%s: no prefix (tried on every line)', (pattern) => {
    expect(literalPrefixes(source(pattern))).toBeNull();
  });

  it('a prefix another one extends is left out (the shorter is the condition)', () => {
    expect(literalPrefixes(source('^Disconnected (?:from|from user)[a-z]'))).toEqual(['Disconnected from']);
  });
});

describe('Dispatcher', () => {
  const patterns = ['^Failed (\\S+) for (.*) from <HOST>$', '^Failed publickey for (.*) from <HOST>$', '^Accepted \\S+ for', '.*anywhere'];
  const dispatcher = new Dispatcher(patterns.map(source));
  const found = (text: string) => {
    const buf = Buffer.from(text);
    return [...dispatcher.found.subarray(0, dispatcher.candidates(buf, 0, buf.length))];
  };

  it('sends a line to the rules that start like it, in rule order, with the rules that have no prefix', () => {
    expect(found('Failed password for root from 192.0.2.1')).toEqual([0, 3]);
    expect(found('Failed publickey for root from 192.0.2.1')).toEqual([0, 1, 3]);
    expect(found('Accepted password for x')).toEqual([2, 3]);
    expect(found('session opened')).toEqual([3]);
    expect(found('')).toEqual([3]);
  });

  it('no rule for a line that starts like none, when every rule has a prefix', () => {
    const d = new Dispatcher(patterns.slice(0, 3).map(source));
    const buf = Buffer.from('pam_unix(sshd:session): session opened');
    expect(d.candidates(buf, 0, buf.length)).toBe(0);
    expect(d.candidates(buf, 0, 0)).toBe(0);
  });

  it('never leaves out a rule that matches (random texts and patterns built from the same pieces)', () => {
    const piece = fc.constantFrom('a', 'b', ' ', 'x?', '(?:a|b)', '(?:ab|)', '[ab]', '.*', 'b+', '(a)', '\\.', '.');
    const text = fc.stringMatching(/^[ab .x]{0,8}$/);
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), fc.array(text, { maxLength: 10 }), (rules, texts) => {
        const sources = rules.map((r) => `^${r.join('')}`);
        const d = new Dispatcher(sources);
        const res = sources.map((s) => new RE2(s));
        for (const t of texts) {
          const buf = Buffer.from(t);
          const got = new Set(d.found.subarray(0, d.candidates(buf, 0, buf.length)));
          res.forEach((re, i) => {
            if (re.test(t)) expect(got.has(i)).toBe(true);
          });
        }
      }),
      { seed: 17, numRuns: 400 },
    );
  });
});
