import { describe, expect, it } from 'vitest';
import { unsupportedConstruct } from '../src/filter/re2-constructs.js';
import { compileRule, validatePattern } from '../src/filter/compile.js';
import { type F2bError } from '../src/errors.js';

describe('unsupportedConstruct', () => {
  it.each([
    ['x(?=y)', 'lookahead', '(?='],
    ['x(?!y)', 'negative lookahead', '(?!'],
    ['(?<=x)y', 'lookbehind', '(?<='],
    ['(?<!x)y', 'negative lookbehind', '(?<!'],
    ['(a)\\1', 'backreference', '\\1'],
    ['(?P<a>x)(?P=a)', 'backreference', '(?P='],
    ['(?>ab)', 'atomic group', '(?>'],
    ['a*+b', 'possessive quantifier', '*+'],
    ['a{2}+', 'possessive quantifier', '}+'],
    ['(?(1)a|b)', 'conditional group', '(?('],
    ['(a(?R)?b)', 'recursion', '(?R)'],
    ['\\Gx', '\\G anchor', '\\G'],
    ['x\\Z', '\\Z anchor', '\\Z'],
  ])('%s → %s', (pattern, construct, text) => {
    expect(unsupportedConstruct(pattern)).toMatchObject({ construct, text });
  });

  it.each(['[(?=]x', '\\(\\?=', 'a+b*', '(?:x)(?P<user>y)(?<host>z)', '\\\\1', 'x\\z', 'a{2,3}'])('%s is fine', (pattern) => {
    expect(unsupportedConstruct(pattern)).toBeNull();
  });

  it('the first construct in the pattern is named', () => {
    expect(unsupportedConstruct('(a)\\1(?=b)')?.construct).toBe('backreference');
  });
});

describe('pattern errors', () => {
  it('validatePattern: F2B_ERR_PATTERN_UNSUPPORTED for a construct, F2B_ERR_PATTERN_INVALID otherwise', () => {
    const code = (p: string) => {
      try {
        validatePattern(p, 'p');
        return null;
      } catch (err) {
        return (err as F2bError).code;
      }
    };
    expect(code('from <HOST>(?=x)')).toBe('F2B_ERR_PATTERN_UNSUPPORTED');
    expect(code('from (<HOST>')).toBe('F2B_ERR_PATTERN_INVALID');
    expect(code('from <HOST> port [0-9]+')).toBeNull();
  });

  it('a filter rule RE2 rejects names the construct, the rule and the filter', () => {
    expect(() => compileRule('demo', { id: 'r1', pattern: '^x(?!y) <HOST>$' })).toThrow(
      /rule "r1" of the filter "demo": "\(\?!" negative lookahead is not supported by RE2/,
    );
  });
});
