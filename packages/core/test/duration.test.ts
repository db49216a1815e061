import { describe, it, expect } from 'vitest';
import { parseDuration, formatDuration, MAX_DURATION_SECONDS } from '../src/duration.js';
import { F2bError } from '../src/errors.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [600, 600],
    [1.5, 1.5],
    ['600', 600],
    [' 600 ', 600],
    ['0', 0],
    ['2.5', 2.5],
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    ['1d', 86400],
    ['1w', 604800],
    ['1h30m', 5400],
    ['1h 30m', 5400],
    ['1d2h3m4s', 93784],
    ['30m1h', 5400],
    ['1.5h', 5400],
    ['10min', 600],
    ['10 mins', 600],
    ['2hours', 7200],
    ['1 hour', 3600],
    ['1day', 86400],
    ['3 days', 259200],
    ['1week', 604800],
    ['2weeks', 1209600],
    ['45sec', 45],
    ['1 second', 1],
    ['5 minutes', 300],
    ['1H', 3600],
  ])('%j → %s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    -1,
    -5,
    NaN,
    Infinity,
    '',
    ' ',
    '-1',
    '-5',
    '+5',
    'abc',
    '10x',
    '1h30',
    'h',
    '1.h',
    '.5h',
    '1..5h',
    '10 m s',
    'forever',
    null,
    undefined,
    true,
    {},
    [],
    '1e3',
    '0x10',
    '1moo',
    '1yr',
  ])('rejects %j', (input) => {
    expect(() => parseDuration(input, 'jails.sshd.bantime')).toThrow(F2bError);
  });

  it('throws F2B_ERR_DURATION_INVALID with the path', () => {
    try {
      parseDuration('soon', 'jails.sshd.findtime');
      expect.unreachable();
    } catch (err) {
      expect((err as F2bError).code).toBe('F2B_ERR_DURATION_INVALID');
      expect((err as F2bError).path).toBe('jails.sshd.findtime');
      expect((err as F2bError).message).toContain('"soon"');
    }
  });

  // fail2ban's jail.conf(5) units; its month and year lengths are what `fail2ban-client --str2sec`
  // answers for 1mo and 1y: 365.25 days a year, a twelfth of that a month.
  it.each([
    ['1mo', 2_629_800],
    ['1mon', 2_629_800],
    ['2months', 5_259_600],
    ['1y', 31_557_600],
    ['1yy', 31_557_600],
    ['1year', 31_557_600],
    ['1y 6mo', 47_336_400],
    ['1ww', 604_800],
    ['1dd', 86_400],
    ['1hh', 3600],
    ['1mm', 60],
    ['1ss', 1],
    ['1m', 60],
  ])('fail2ban unit %j → %s', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it('refuses durations longer than 100 years (their end is no longer a date)', () => {
    expect(parseDuration('100y')).toBe(MAX_DURATION_SECONDS);
    for (const v of ['101y', MAX_DURATION_SECONDS + 1, 9_999_999_999_999, '200000w']) {
      try {
        parseDuration(v, 'jails.sshd.bantime', { allowForever: true });
        expect.unreachable();
      } catch (err) {
        expect((err as F2bError).code).toBe('F2B_ERR_DURATION_INVALID');
        expect((err as F2bError).message).toContain('longer than the maximum of 100 years');
        expect((err as F2bError).fix).toContain('-1');
      }
    }
  });

  it('refuses zero where a positive duration is needed', () => {
    expect(parseDuration(0)).toBe(0);
    for (const v of [0, '0', '0s', '0m']) {
      expect(() => parseDuration(v, 'jails.sshd.findtime', { positive: true })).toThrow(/is zero/);
    }
  });

  it('accepts forever only when allowed', () => {
    const opts = { allowForever: true };
    expect(parseDuration(-1, 'p', opts)).toBe(-1);
    expect(parseDuration('-1', 'p', opts)).toBe(-1);
    expect(parseDuration(' forever ', 'p', opts)).toBe(-1);
    expect(parseDuration('1h', 'p', opts)).toBe(3600);
    expect(() => parseDuration(-2, 'p', opts)).toThrow(F2bError);
    expect(() => parseDuration('-2', 'p', opts)).toThrow(F2bError);
  });
});

describe('formatDuration', () => {
  it.each([
    [-1, 'forever'],
    [0, '0s'],
    [45, '45s'],
    [600, '10m'],
    [5400, '1h30m'],
    [3600, '1h'],
    [86400, '1d'],
    [604800, '1w'],
    [93784, '1d2h3m4s'],
    [1209600 + 61, '2w1m1s'],
    [1.5, '1.5s'],
    [60.25, '1m0.25s'],
  ])('%s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const s of [1, 59, 60, 61, 3599, 3600, 3601, 86399, 86400, 90061, 604800, 31536000, 123456789]) {
      expect(parseDuration(formatDuration(s))).toBe(s);
    }
  });

  it('rejects negative and non-finite values other than -1', () => {
    expect(() => formatDuration(-2)).toThrow(F2bError);
    expect(() => formatDuration(NaN)).toThrow(F2bError);
  });
});
