import { describe, it, expect } from 'vitest';
import { DateParser, makeZonedTime, formatIsoWithOffset } from '../src/dates.js';
import { F2bError } from '../src/errors.js';
import { wallYearMonth } from '../src/timezone.js';

const NOW = Date.UTC(2023, 11, 10, 0, 0, 0); // 2023-12-10T00:00:00Z
const utc = new DateParser({ timezone: 'UTC', now: () => NOW });
const berlin = new DateParser({ timezone: 'Europe/Berlin', now: () => NOW });
const buf = (s: string) => Buffer.from(s, 'latin1');

function parse(line: string, p = utc, from = 0) {
  const m = p.parse(buf(line), from);
  return m && { ...m, text: line.slice(m.start, m.end) };
}

describe('DateParser formats', () => {
  it.each([
    // [line, format, epoch ms, matched text]
    ['Nov  5 14:37:01 host sshd[1]: x', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01'],
    ['Nov 05 14:37:01 host sshd[1]: x', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov 05 14:37:01'],
    ['Nov 5 14:37:01 host sshd[1]: x', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov 5 14:37:01'],
    ['Nov 15 14:37:01 host', 'bsd-syslog', Date.UTC(2023, 10, 15, 14, 37, 1), 'Nov 15 14:37:01'],
    ['Nov  5 14:37:01.123456 host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1, 123), 'Nov  5 14:37:01.123456'],
    ['Nov  5 14:37:01.5 host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1, 500), 'Nov  5 14:37:01.5'],
    ['Nov  5 14:37:01 2021 host', 'bsd-syslog', Date.UTC(2021, 10, 5, 14, 37, 1), 'Nov  5 14:37:01 2021'],
    ['Nov  5 14:37:01 1234 host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01'],
    ['Nov  5 14:37:01 20210 host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01'],
    ['Nov  5 14:37:01', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01'],
    ['[Nov  5 14:37:01] x', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), '[Nov  5 14:37:01]'],
    ['<34>Oct 11 22:14:15 mymachine su: fail', 'bsd-syslog', Date.UTC(2023, 9, 11, 22, 14, 15), 'Oct 11 22:14:15'],
    ['<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - x', 'rfc5424', Date.UTC(2003, 9, 11, 22, 14, 15, 3), '2003-10-11T22:14:15.003Z'],
    ['<165>1 2003-08-24T05:14:15.000003-07:00 host app - - x', 'rfc5424', Date.UTC(2003, 7, 24, 12, 14, 15), '2003-08-24T05:14:15.000003-07:00'],
    ['2023-12-09T21:35:20 host sshd', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20), '2023-12-09T21:35:20'],
    ['2023-12-09T21:35:20.123456Z x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20, 123), '2023-12-09T21:35:20.123456Z'],
    ['2023-12-09T21:35:20+01:00 x', 'iso8601', Date.UTC(2023, 11, 9, 20, 35, 20), '2023-12-09T21:35:20+01:00'],
    ['2023-12-09T21:35:20.5+0100 x', 'iso8601', Date.UTC(2023, 11, 9, 20, 35, 20, 500), '2023-12-09T21:35:20.5+0100'],
    ['2023-12-09T21:35:20-05:30', 'iso8601', Date.UTC(2023, 11, 10, 3, 5, 20), '2023-12-09T21:35:20-05:30'],
    ['2023-12-09T21:35:20+01 x', 'iso8601', Date.UTC(2023, 11, 9, 20, 35, 20), '2023-12-09T21:35:20+01'],
    ['2020-01-16 21:34:14 sshd', 'iso8601', Date.UTC(2020, 0, 16, 21, 34, 14), '2020-01-16 21:34:14'],
    ['2020-01-16 21:34:14,123 INFO x', 'iso8601', Date.UTC(2020, 0, 16, 21, 34, 14, 123), '2020-01-16 21:34:14,123'],
    ['2020-01-16 21:34:14 +0100 msg', 'iso8601', Date.UTC(2020, 0, 16, 20, 34, 14), '2020-01-16 21:34:14 +0100'],
    ['2020-01-16 21:34:14 -1 msg', 'iso8601', Date.UTC(2020, 0, 16, 21, 34, 14), '2020-01-16 21:34:14'],
    ['[2020-01-16 21:34:14] x', 'iso8601', Date.UTC(2020, 0, 16, 21, 34, 14), '[2020-01-16 21:34:14]'],
    ['<13>2020-01-16T21:34:14Z host x', 'iso8601', Date.UTC(2020, 0, 16, 21, 34, 14), '2020-01-16T21:34:14Z'],
    ['2023/12/09 21:35:20 [error] 123#0: *1 x', 'ymd-slash', Date.UTC(2023, 11, 9, 21, 35, 20), '2023/12/09 21:35:20'],
    ['[Wed Dec 09 21:35:20.123456 2023] [auth_basic:error] x', 'apache', Date.UTC(2023, 11, 9, 21, 35, 20, 123), '[Wed Dec 09 21:35:20.123456 2023]'],
    ['[Wed Dec 09 21:35:20 2023] [error] x', 'apache', Date.UTC(2023, 11, 9, 21, 35, 20), '[Wed Dec 09 21:35:20 2023]'],
    ['Wed Dec  9 21:35:20 2023 x', 'apache', Date.UTC(2023, 11, 9, 21, 35, 20), 'Wed Dec  9 21:35:20 2023'],
    ['192.0.2.1 - - [10/Oct/2023:13:55:36 +0200] "GET / HTTP/1.1" 200 1', 'clf', Date.UTC(2023, 9, 10, 11, 55, 36), '[10/Oct/2023:13:55:36 +0200]'],
    ['www.example.com:443 2001:db8::1 - frank [10/Oct/2023:13:55:36 -0700] "GET /"', 'clf', Date.UTC(2023, 9, 10, 20, 55, 36), '[10/Oct/2023:13:55:36 -0700]'],
    ['[10/Oct/2023:13:55:36 +0000] x', 'clf', Date.UTC(2023, 9, 10, 13, 55, 36), '[10/Oct/2023:13:55:36 +0000]'],
    ['1700000000.123 456 x', 'epoch', 1700000000123, '1700000000.123'],
    ['1700000000 x', 'epoch', 1700000000000, '1700000000'],
    ['[1700000000.123] x', 'epoch', 1700000000123, '[1700000000.123]'],
    ['1700000000', 'epoch', 1700000000000, '1700000000'],
    ['09-Dec-2023 21:35:20.123 client x', 'dd-mon-yyyy', Date.UTC(2023, 11, 9, 21, 35, 20, 123), '09-Dec-2023 21:35:20.123'],
    ['9-Dec-2023 21:35:20 client x', 'dd-mon-yyyy', Date.UTC(2023, 11, 9, 21, 35, 20), '9-Dec-2023 21:35:20'],
    ['231209 21:35:20 [Note] x', 'yymmdd', Date.UTC(2023, 11, 9, 21, 35, 20), '231209 21:35:20'],
    ['231209  1:35:20 [Note] x', 'yymmdd', Date.UTC(2023, 11, 9, 1, 35, 20), '231209  1:35:20'],
    // zone names after the time (PostgreSQL `%t`, date(1), some relays)
    ['2023-12-09 21:35:20 UTC [123] x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20), '2023-12-09 21:35:20 UTC'],
    ['2023-12-09 21:35:20.5 GMT x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20, 500), '2023-12-09 21:35:20.5 GMT'],
    ['2023-12-09 21:35:20 CET x', 'iso8601', Date.UTC(2023, 11, 9, 20, 35, 20), '2023-12-09 21:35:20 CET'],
    ['2023-07-09 21:35:20 CEST x', 'iso8601', Date.UTC(2023, 6, 9, 19, 35, 20), '2023-07-09 21:35:20 CEST'],
    ['2023-12-09 21:35:20 EST x', 'iso8601', Date.UTC(2023, 11, 10, 2, 35, 20), '2023-12-09 21:35:20 EST'],
    ['2023-12-09 21:35:20 +0000 UTC x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20), '2023-12-09 21:35:20 +0000'],
    ['2023-12-09 21:35:20 IST x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20), '2023-12-09 21:35:20'],
    ['2023-12-09 21:35:20 UTCX x', 'iso8601', Date.UTC(2023, 11, 9, 21, 35, 20), '2023-12-09 21:35:20'],
    ['Nov  5 14:37:01 UTC host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01 UTC'],
    ['Nov  5 14:37:01 CET host', 'bsd-syslog', Date.UTC(2023, 10, 5, 13, 37, 1), 'Nov  5 14:37:01 CET'],
    ['Nov  5 14:37:01 2021 UTC host', 'bsd-syslog', Date.UTC(2021, 10, 5, 14, 37, 1), 'Nov  5 14:37:01 2021 UTC'],
    ['Nov  5 14:37:01 utc host', 'bsd-syslog', Date.UTC(2023, 10, 5, 14, 37, 1), 'Nov  5 14:37:01'],
    ['Wed Oct 11 14:32:52 CET 2000 x', 'apache', Date.UTC(2000, 9, 11, 13, 32, 52), 'Wed Oct 11 14:32:52 CET 2000'],
    ['2023/12/09 21:35:20 UTC x', 'ymd-slash', Date.UTC(2023, 11, 9, 21, 35, 20), '2023/12/09 21:35:20 UTC'],
    // Roundcube (PHP `d-M-Y H:i:s O`) and bind with an offset
    ['[30-Dec-2014 13:02:34 -0500]: <x> y', 'dd-mon-yyyy', Date.UTC(2014, 11, 30, 18, 2, 34), '[30-Dec-2014 13:02:34 -0500]'],
    ['09-Dec-2023 21:35:20.123 +0100 client', 'dd-mon-yyyy', Date.UTC(2023, 11, 9, 20, 35, 20, 123), '09-Dec-2023 21:35:20.123 +0100'],
    // RFC 2822
    ['Sat, 09 Dec 2023 21:35:20 +0100 x', 'rfc2822', Date.UTC(2023, 11, 9, 20, 35, 20), 'Sat, 09 Dec 2023 21:35:20 +0100'],
    ['Sat, 9 Dec 2023 21:35:20 GMT x', 'rfc2822', Date.UTC(2023, 11, 9, 21, 35, 20), 'Sat, 9 Dec 2023 21:35:20 GMT'],
    ['Sat, 9 Dec 2023 21:35:20 x', 'rfc2822', Date.UTC(2023, 11, 9, 21, 35, 20), 'Sat, 9 Dec 2023 21:35:20'],
    // daemons' own logs
    ['[Wed Oct 11 14:32:52.123456 2000] [core:error] x', 'apache', Date.UTC(2000, 9, 11, 14, 32, 52, 123), '[Wed Oct 11 14:32:52.123456 2000]'],
    ['2023/01/01 00:00:00 [error] 1#1: x', 'ymd-slash', Date.UTC(2023, 0, 1), '2023/01/01 00:00:00'],
    ['2023-01-01 00:00:00 1rAbc-000123-AB H=x', 'iso8601', Date.UTC(2023, 0, 1), '2023-01-01 00:00:00'],
    ['2023-01-01T00:00:00.123456Z 12 [Warning] x', 'iso8601', Date.UTC(2023, 0, 1, 0, 0, 0, 123), '2023-01-01T00:00:00.123456Z'],
    ['[Jan  1 00:00:00] NOTICE[1] chan_sip.c: x', 'bsd-syslog', Date.UTC(2023, 0, 1), '[Jan  1 00:00:00]'],
    ['[2023-01-01 00:00:00.250] NOTICE[1] x', 'iso8601', Date.UTC(2023, 0, 1, 0, 0, 0, 250), '[2023-01-01 00:00:00.250]'],
  ])('%s', (line, format, time, text) => {
    expect(parse(line)).toEqual({ format, time, text, start: line.indexOf(text), end: line.indexOf(text) + text.length });
  });

  it.each([
    '',
    ' ',
    'hello world',
    'Failed password for root from 1.2.3.4 port 22 ssh2',
    'sshd[123]: Invalid user admin from 203.0.113.5',
    'Nov 32 14:37:01 x',
    'Nov  0 14:37:01 x',
    'Foo  5 14:37:01 x',
    'Nov  5 24:37:01 x',
    'Nov  5 14:60:01 x',
    'Nov  5 14:37',
    'Nov  5 14:37:0x',
    '2023-02-30 10:00:00 x',
    '2023-13-01 00:00:00 x',
    '2023-12-09 x',
    '2023-12-09T21:35',
    '2023/12/09 21:35',
    '17000000001 x',
    '170000000 x',
    '1700000000x',
    '<34>garbage',
    '<34>1 - host app',
    '<1234>Nov  5 14:37:01',
    '1.2.3.4 - - [10/Foo/2023:13:55:36 +0200] x',
    '1.2.3.4 - - [10/Oct/2023:13:55:36 +0200 x',
    '[client 1.2.3.4] x',
    '32-Dec-2023 21:35:20 x',
    '231309 21:35:20 x',
    '\u00ff\u00fe\u0000\u0001garbage',
    `${'x'.repeat(130)}[10/Oct/2023:13:55:36 +0200]`,
    'Sat, 32 Dec 2023 21:35:20 x',
    'Sat, 09 Foo 2023 21:35:20 x',
  ])('finds no date in %j', (line) => {
    expect(utc.parse(buf(line))).toBeNull();
  });

  it('starts at `from`', () => {
    const line = 'ab: Nov  5 14:37:01 host';
    expect(parse(line, utc, 4)).toMatchObject({ start: 4, end: 19, time: Date.UTC(2023, 10, 5, 14, 37, 1) });
    expect(parse(line, utc, 100)).toBeNull();
  });

  it('validates the time zone', () => {
    expect(() => new DateParser({ timezone: 'Mars/Olympus' })).toThrow(F2bError);
    try {
      new DateParser({ timezone: 'Nowhere/Land' });
    } catch (err) {
      expect((err as F2bError).code).toBe('F2B_ERR_TIMEZONE_INVALID');
    }
    expect(() => new DateParser()).not.toThrow();
    expect(new DateParser().parse(buf('1700000000 x'))?.time).toBe(1700000000000);
  });
});

describe('time zones', () => {
  it('reads zone-less dates in the configured zone, across DST', () => {
    expect(parse('2023-07-01 12:00:00 x', berlin)?.time).toBe(Date.UTC(2023, 6, 1, 10));
    expect(parse('2023-01-01 12:00:00 x', berlin)?.time).toBe(Date.UTC(2023, 0, 1, 11));
    // Spring forward 2024-03-31 02:00 → 03:00: the skipped 02:30 lands at 03:30 CEST.
    expect(parse('2024-03-31 01:59:59 x', berlin)?.time).toBe(Date.UTC(2024, 2, 31, 0, 59, 59));
    expect(parse('2024-03-31 02:30:00 x', berlin)?.time).toBe(Date.UTC(2024, 2, 31, 1, 30));
    expect(parse('2024-03-31 03:00:00 x', berlin)?.time).toBe(Date.UTC(2024, 2, 31, 1, 0));
    // Fall back 2024-10-27 03:00 → 02:00: the repeated 02:30 is the earlier one (CEST).
    expect(parse('2024-10-27 01:59:59 x', berlin)?.time).toBe(Date.UTC(2024, 9, 26, 23, 59, 59));
    expect(parse('2024-10-27 02:30:00 x', berlin)?.time).toBe(Date.UTC(2024, 9, 27, 0, 30));
    expect(parse('2024-10-27 03:00:00 x', berlin)?.time).toBe(Date.UTC(2024, 9, 27, 2, 0));
    // An explicit offset wins over the zone.
    expect(parse('2023-07-01T12:00:00Z x', berlin)?.time).toBe(Date.UTC(2023, 6, 1, 12));
    expect(parse('1.2.3.4 - - [01/Jul/2023:12:00:00 +0000] x', berlin)?.time).toBe(Date.UTC(2023, 6, 1, 12));
  });

  it('makeZonedTime', () => {
    expect(makeZonedTime(2005, 8, 14, 12, 0, 0, 0, 'Europe/Berlin')).toBe(Date.UTC(2005, 7, 14, 10));
    expect(makeZonedTime(2023, 1, 15, 9, 30, 0, 250, 'America/New_York')).toBe(Date.UTC(2023, 0, 15, 14, 30, 0, 250));
    expect(makeZonedTime(2023, 6, 1, 0, 0, 0, 0, 'Asia/Kolkata')).toBe(Date.UTC(2023, 4, 31, 18, 30));
    expect(makeZonedTime(2023, 6, 1, 0, 0, 0, 0, 'UTC')).toBe(Date.UTC(2023, 5, 1));
    expect(makeZonedTime(50, 1, 1, 0, 0, 0, 0, 'UTC')).toBe(new Date('0050-01-01T00:00:00Z').getTime());
    expect(() => makeZonedTime(2023, 1, 1, 0, 0, 0, 0, 'Bad/Zone')).toThrow(F2bError);
  });

  it('formatIsoWithOffset', () => {
    expect(formatIsoWithOffset(Date.UTC(2005, 7, 14, 10), 'Europe/Berlin')).toBe('2005-08-14T12:00:00+02:00');
    expect(formatIsoWithOffset(Date.UTC(2005, 0, 14, 10), 'Europe/Berlin')).toBe('2005-01-14T11:00:00+01:00');
    expect(formatIsoWithOffset(Date.UTC(2005, 7, 14, 10), 'UTC')).toBe('2005-08-14T10:00:00+00:00');
    expect(formatIsoWithOffset(Date.UTC(2023, 0, 15, 14, 30, 0, 7), 'America/New_York')).toBe('2023-01-15T09:30:00.007-05:00');
    expect(formatIsoWithOffset(Date.UTC(2023, 4, 31, 18, 30), 'Asia/Kolkata')).toBe('2023-06-01T00:00:00+05:30');
  });
});

describe('year inference', () => {
  const at = (now: number, zone = 'UTC') => new DateParser({ timezone: zone, now: () => now });

  it('puts dates from the future into last year, around New Year', () => {
    const p = at(Date.UTC(2024, 0, 1, 0, 30));
    expect(parse('Dec 31 23:59:59 host x', p)?.time).toBe(Date.UTC(2023, 11, 31, 23, 59, 59));
    expect(parse('Jan  1 00:10:00 host x', p)?.time).toBe(Date.UTC(2024, 0, 1, 0, 10));
    expect(parse('Jan  1 12:00:00 host x', p)?.time).toBe(Date.UTC(2024, 0, 1, 12)); // within the skew tolerance
    expect(parse('Jan  3 00:00:00 host x', p)?.time).toBe(Date.UTC(2023, 0, 3));
  });

  it('allows a slightly fast clock across New Year', () => {
    const p = at(Date.UTC(2023, 11, 31, 23, 59, 50));
    expect(parse('Jan  1 00:00:05 host x', p)?.time).toBe(Date.UTC(2024, 0, 1, 0, 0, 5));
    expect(parse('Dec 31 23:59:49 host x', p)?.time).toBe(Date.UTC(2023, 11, 31, 23, 59, 49));
  });

  it('uses the year of now in the configured zone', () => {
    // 2023-12-31T23:30Z is already 2024-01-01 00:30 in Berlin.
    const p = at(Date.UTC(2023, 11, 31, 23, 30), 'Europe/Berlin');
    expect(parse('Jan  1 00:10:00 host x', p)?.time).toBe(Date.UTC(2023, 11, 31, 23, 10));
    expect(parse('Dec 31 23:59:59 host x', p)?.time).toBe(Date.UTC(2023, 11, 31, 22, 59, 59));
  });

  it("reads now's year and month as Date does, across centuries, leap days and month ends", () => {
    const check = (t: number) => {
      const d = new Date(t);
      expect(wallYearMonth(t), d.toISOString()).toBe(d.getUTCFullYear() * 16 + d.getUTCMonth() + 1);
    };
    for (const y of [1969, 1970, 1999, 2000, 2024, 2100, 2400])
      for (let mo = 0; mo < 12; mo++) {
        const t = Date.UTC(y, mo, 1);
        check(t);
        check(t - 1);
      }
    for (let t = 0; t < 4e12; t += 9_876_543_211) check(t);
  });

  it('sends Feb 29 back to the last leap year', () => {
    const p = at(Date.UTC(2025, 2, 1));
    expect(parse('Feb 29 10:00:00 host x', p)?.time).toBe(Date.UTC(2024, 1, 29, 10));
  });
});

describe('time fields of JSON and key=value logs', () => {
  it.each([
    ['{"severity":"INFO","time":"2024-10-19T19:00:04.000Z","message":"x"}', 'iso8601', Date.UTC(2024, 9, 19, 19, 0, 4)],
    ['{"level":"info","ts":1700000000.123,"msg":"x"}', 'epoch', 1700000000123],
    ['{"@timestamp": "2024-10-19T19:00:04+02:00", "msg": "x"}', 'iso8601', Date.UTC(2024, 9, 19, 17, 0, 4)],
    ['t=2024-10-19T19:00:04+0000 lvl=eror msg="Invalid username or password"', 'iso8601', Date.UTC(2024, 9, 19, 19, 0, 4)],
    ['logger=context uname= t=2024-10-19T19:00:04.12+00:00 level=info', 'iso8601', Date.UTC(2024, 9, 19, 19, 0, 4, 120)],
    ['level=warn time="2024-10-19T19:00:04Z" msg=x', 'iso8601', Date.UTC(2024, 9, 19, 19, 0, 4)],
  ])('%s', (line, format, time) => {
    expect(utc.parse(buf(line))).toMatchObject({ format, time });
  });

  it.each([
    // the logfmt key inside a quoted value, or glued to another key, is not the time field
    ['logger=x uname="a t=2000-01-01T00:00:00Z" t=2024-10-19T19:00:04Z', Date.UTC(2024, 9, 19, 19, 0, 4)],
    ['xt=2000-01-01T00:00:00Z t=2024-10-19T19:00:04Z', Date.UTC(2024, 9, 19, 19, 0, 4)],
  ])('%s: the real field wins', (line, time) => {
    expect(utc.parse(buf(line))?.time).toBe(time);
  });

  it('none beyond the first 512 bytes, and none with a malformed value', () => {
    expect(utc.parse(buf(`{"msg":"${'x'.repeat(520)}","time":"2024-10-19T19:00:04Z"}`))).toBeNull();
    expect(utc.parse(buf('{"time":"yesterday"}'))).toBeNull();
  });
});

describe('zone names on year-less dates', () => {
  it('infers the year at the named offset, not in the configured zone', () => {
    // now = 2023-12-10T00:00Z; Dec 10 00:30 CET is 2023-12-09T23:30Z, not in the future.
    expect(berlin.parse(buf('Dec 10 00:30:00 CET host x'))?.time).toBe(Date.UTC(2023, 11, 9, 23, 30));
    // Dec 10 03:00 EST is 08:00Z, later than now + a day? No: within the tolerance, this year.
    expect(utc.parse(buf('Dec 10 03:00:00 EST host x'))?.time).toBe(Date.UTC(2023, 11, 10, 8, 0));
    // Dec 12 is more than a day ahead: last year.
    expect(utc.parse(buf('Dec 12 03:00:00 UTC host x'))?.time).toBe(Date.UTC(2022, 11, 12, 3, 0));
  });
});

describe('the second cache', () => {
  it('returns correct times for consecutive, repeated and alternating timestamps', () => {
    const lines = [
      'Nov  5 14:37:01 a',
      'Nov  5 14:37:01 b',
      'Nov  5 14:37:01.250 c',
      'Nov  5 14:37:02 d',
      'Nov  5 14:37:01 2021 e',
      'Nov  5 14:37:01 f',
      '2023-11-05 14:37:01 g',
      '2023-11-05T14:37:01Z h',
      '2023-11-05 14:37:01.999 i',
      '2024-10-27 02:30:00 j',
      '2024-10-27 02:30:00 k',
      '2024-10-27 03:30:00 l',
      '05-Nov-2023 14:37:01 m',
      '231105 14:37:01 n',
      'Nov  5 14:37:01 o',
    ];
    const shared = new DateParser({ timezone: 'Europe/Berlin', now: () => NOW });
    for (const line of lines) {
      const fresh = new DateParser({ timezone: 'Europe/Berlin', now: () => NOW });
      expect(shared.parse(buf(line)), line).toEqual(fresh.parse(buf(line)));
    }
    expect(shared.parse(buf('Nov  5 14:37:01.250 c'))?.time).toBe(Date.UTC(2023, 10, 5, 13, 37, 1, 250));
    expect(shared.parse(buf('Nov  5 14:37:01 2021 e'))?.time).toBe(Date.UTC(2021, 10, 5, 13, 37, 1));
    expect(shared.parse(buf('2023-11-05T14:37:01Z h'))?.time).toBe(Date.UTC(2023, 10, 5, 14, 37, 1));
  });

  it('does not carry a parsed year or offset into the next line', () => {
    const p = new DateParser({ timezone: 'UTC', now: () => NOW });
    expect(p.parse(buf('<34>1 2003-10-11T22:14:15Z host'))?.time).toBe(Date.UTC(2003, 9, 11, 22, 14, 15));
    expect(p.parse(buf('Oct 11 22:14:15 host'))?.time).toBe(Date.UTC(2023, 9, 11, 22, 14, 15));
    expect(p.parse(buf('2003-10-11 22:14:15+02:00 x'))?.time).toBe(Date.UTC(2003, 9, 11, 20, 14, 15));
    expect(p.parse(buf('2003-10-11 22:14:15 x'))?.time).toBe(Date.UTC(2003, 9, 11, 22, 14, 15));
  });
});
