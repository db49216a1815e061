import { describe, it, expect } from 'vitest';
import { EntryParser, hasPriority } from '../src/entry.js';
import { journalRecordToEntry, parseJournalJsonLine } from '../src/journal.js';
import type { LogEntry } from '../src/types.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });

/** The entry with Buffers as strings, undefined fields dropped. */
function view(e: LogEntry) {
  const out: Record<string, unknown> = {};
  // The LogEntry fields by name: parsed entries compute `message` and `host` lazily (getters).
  const fields = ['message', 'time', 'host', 'program', 'pid', 'unit', 'dateFormat', 'origin'] as const;
  for (const k of fields) {
    const v = e[k];
    if (v === undefined) continue;
    out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  }
  return out;
}
const parse = (line: string | Buffer, origin?: string) => parser.parse(typeof line === 'string' ? Buffer.from(line) : line, origin);

describe('EntryParser: syslog headers', () => {
  it('BSD syslog: host, program, pid, message, time', () => {
    const e = parse('Jan  5 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.1 port 22 ssh2', 'auth.log');
    expect(view(e)).toEqual({
      message: 'Failed password for root from 192.0.2.1 port 22 ssh2',
      time: Date.UTC(2024, 0, 5, 1, 31, 41),
      host: 'www',
      program: 'sshd',
      pid: 1643,
      dateFormat: 'bsd-syslog',
      origin: 'auth.log',
    });
    expect(e.raw.toString()).toBe('Jan  5 01:31:41 www sshd[1643]: Failed password for root from 192.0.2.1 port 22 ssh2');
  });

  it('the message is a slice of the line, not a copy', () => {
    const raw = Buffer.from('Jan  5 01:31:41 www sshd[1643]: hello');
    const e = parser.parse(raw);
    expect(e.raw).toBe(raw);
    expect(e.message.buffer).toBe(raw.buffer);
    expect(e.message.toString()).toBe('hello');
  });

  it('RFC 3339 (rsyslog high precision): offset applied, microseconds cut to ms', () => {
    const e = parse('2024-03-10T14:01:02.123456+01:00 host sshd[123]: Invalid user x from 192.0.2.1');
    expect(view(e)).toEqual({
      message: 'Invalid user x from 192.0.2.1',
      time: Date.UTC(2024, 2, 10, 13, 1, 2, 123),
      host: 'host',
      program: 'sshd',
      pid: 123,
      dateFormat: 'iso8601',
    });
  });

  it('program without pid', () => {
    const e = parse('Jan  5 01:31:41 host CRON: (root) CMD (run-parts)');
    expect(view(e)).toMatchObject({ host: 'host', program: 'CRON', message: '(root) CMD (run-parts)' });
    expect(e.pid).toBeUndefined();
  });

  it('program without host: `sshd[99]: msg`', () => {
    const e = parse('Jan  5 01:31:41 sshd[99]: Connection closed');
    expect(view(e)).toMatchObject({ program: 'sshd', pid: 99, message: 'Connection closed' });
    expect(e.host).toBeUndefined();
  });

  it('bracketed program without host: `[sshd]: msg`', () => {
    const e = parse('Jan  5 01:31:41 [sshd]: Connection closed');
    expect(view(e)).toMatchObject({ program: 'sshd', message: 'Connection closed' });
    expect(e.host).toBeUndefined();
    expect(e.pid).toBeUndefined();
  });

  it.each([
    ['sshd-session[99]', 'sshd-session', 99],
    ['postfix/smtpd[12]', 'postfix/smtpd', 12],
    ['dovecot[7]', 'dovecot', 7],
    ['named', 'named', undefined],
  ])('program token %s → %s', (token, program, pid) => {
    const e = parse(`Jan  5 01:31:41 mail ${token}: something happened`);
    expect(e.program).toBe(program);
    expect(e.pid).toBe(pid);
    expect(e.host).toBe('mail');
    expect(e.message.toString()).toBe('something happened');
  });

  it('a bracketed date: `[Jan  5 01:31:41] host prog[1]: msg`', () => {
    expect(view(parse('[Jan  5 01:31:41] www sshd[1643]: hello'))).toMatchObject({ host: 'www', program: 'sshd', pid: 1643, message: 'hello' });
  });

  it('Solaris `[ID 800047 auth.info]` tag is stripped from the message', () => {
    const e = parse('Jan  5 01:31:41 solhost sshd[123]: [ID 800047 auth.info] Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(view(e)).toMatchObject({ host: 'solhost', program: 'sshd', pid: 123, message: 'Failed password for root from 192.0.2.1 port 22 ssh2' });
  });

  it('a bracket in the message that is not a Solaris tag is kept', () => {
    expect(parse('Jan  5 01:31:41 h sshd[1]: [IDX 1] hi').message.toString()).toBe('[IDX 1] hi');
    expect(parse('Jan  5 01:31:41 h sshd[1]: [preauth] hi').message.toString()).toBe('[preauth] hi');
  });

  it('injection: `sshd[2]: ` later in the message does not change the program', () => {
    const e = parse('Jan  5 01:31:41 host cron[1]: x sshd[2]: Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(e.program).toBe('cron');
    expect(e.pid).toBe(1);
    expect(e.message.toString()).toBe('x sshd[2]: Failed password for root from 192.0.2.1 port 22 ssh2');
  });

  it.each([
    ['no colon after a program without pid', 'Jan  5 01:31:41 host sshd hello'],
    ['non-numeric pid', 'Jan  5 01:31:41 host sshd[abc]: hello'],
    ['empty pid', 'Jan  5 01:31:41 host sshd[]: hello'],
    ['text after the pid bracket', 'Jan  5 01:31:41 host sshd[1]x: hello'],
  ])('not a header (%s): no program, message is the rest of the line', (_label, line) => {
    const e = parse(line);
    expect(e.program).toBeUndefined();
    expect(e.host).toBeUndefined();
    expect(e.message.toString()).toBe(line.slice('Jan  5 01:31:41 '.length));
    expect(e.time).toBe(Date.UTC(2024, 0, 5, 1, 31, 41));
  });

  it('a line with no date: message is the whole line, time undefined', () => {
    const line = 'Failed password for root from 192.0.2.1 port 22 ssh2';
    const e = parse(line, '-');
    expect(view(e)).toEqual({ message: line, origin: '-' });
    expect(e.time).toBeUndefined();
  });

  it('a line with the date inside (access log): the message is the whole line', () => {
    const line = '192.0.2.8 - - [15/Jan/2024:12:00:00 +0000] "GET / HTTP/1.1" 401 12';
    const e = parse(line);
    expect(e.message.toString()).toBe(line);
    expect(e.time).toBe(Date.UTC(2024, 0, 15, 12, 0, 0));
    expect(e.program).toBeUndefined();
  });

  it('a BSD syslog line with a <pri> prefix still has its header parsed', () => {
    const e = parse('<38>Jan  5 01:31:41 www sshd[1643]: Failed password');
    expect(view(e)).toMatchObject({ host: 'www', program: 'sshd', pid: 1643, message: 'Failed password', time: Date.UTC(2024, 0, 5, 1, 31, 41) });
    expect(hasPriority(e.raw)).toBe(true);
    expect(hasPriority(Buffer.from('Jan  5'))).toBe(false);
  });
});

describe('EntryParser: RFC 5424', () => {
  it('`<34>1 date host app procid msgid - msg`', () => {
    const e = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su 123 ID47 - BOM'su root' failed for lonvick on /dev/pts/8");
    expect(view(e)).toEqual({
      message: "BOM'su root' failed for lonvick on /dev/pts/8",
      time: Date.UTC(2003, 9, 11, 22, 14, 15, 3),
      host: 'mymachine.example.com',
      program: 'su',
      pid: 123,
      dateFormat: 'rfc5424',
    });
  });

  it('with structured data (several elements, escaped `]` in a value) and a BOM', () => {
    const line = Buffer.concat([
      Buffer.from(
        '<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="App\\]x"][examplePriority@32473 class="high"] ',
      ),
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('An application event log entry'),
    ]);
    const e = parse(line);
    expect(e.message.toString()).toBe('An application event log entry');
    expect(e.program).toBe('evntslog');
    expect(e.pid).toBeUndefined();
    expect(e.host).toBe('host');
  });

  it('nil host and app (`-`) give undefined; a non-numeric procid is no pid', () => {
    const e = parse('<34>1 2003-10-11T22:14:15Z - - abc - - the message');
    expect(view(e)).toMatchObject({ message: 'the message', dateFormat: 'rfc5424' });
    expect(e.host).toBeUndefined();
    expect(e.program).toBeUndefined();
    expect(e.pid).toBeUndefined();
  });

  it('without a message', () => {
    const e = parse('<34>1 2003-10-11T22:14:15Z host app 1 - -');
    expect(e.program).toBe('app');
    expect(e.message.toString()).toBe('');
  });
});

describe('EntryParser: journal-line format', () => {
  const jp = new EntryParser({ format: 'journal-line', timezone: 'UTC', now: () => NOW });

  it('`host ident[pid]: msg` without a date', () => {
    const e = jp.parse(Buffer.from('srv sshd[32310]: Failed password for root from 192.0.2.1 port 22 ssh2'), 'journal');
    expect(view(e)).toEqual({ message: 'Failed password for root from 192.0.2.1 port 22 ssh2', host: 'srv', program: 'sshd', pid: 32310, origin: 'journal' });
    expect(e.time).toBeUndefined();
  });

  it('no host (first token ends in a colon): the whole line is the message', () => {
    const e = jp.parse(Buffer.from('sshd[1]: hello'));
    expect(e.program).toBeUndefined();
    expect(e.message.toString()).toBe('sshd[1]: hello');
  });

  it('a leading date (journalctl -o short / short-iso) is parsed, then the header', () => {
    const e = jp.parse(Buffer.from('Jan  5 01:31:41 www sshd[1]: x'));
    expect(e.time).toBe(Date.UTC(2024, 0, 5, 1, 31, 41));
    expect([e.host, e.program, e.pid, e.message.toString()]).toEqual(['www', 'sshd', 1, 'x']);
  });
});

describe('journal records', () => {
  const base = {
    MESSAGE: 'Failed password for root from 192.0.2.1 port 22 ssh2',
    SYSLOG_IDENTIFIER: 'sshd',
    SYSLOG_PID: '4242',
    _HOSTNAME: 'srv',
    _SYSTEMD_UNIT: 'ssh.service',
    __REALTIME_TIMESTAMP: '1700000000123456',
  };

  it('MESSAGE as a string; __REALTIME_TIMESTAMP µs → ms; raw is the short form', () => {
    const e = journalRecordToEntry(base)!;
    expect(view(e)).toEqual({
      message: base.MESSAGE,
      time: 1700000000123,
      host: 'srv',
      program: 'sshd',
      pid: 4242,
      unit: 'ssh.service',
      dateFormat: 'journal',
      origin: 'journal',
    });
    expect(e.raw.toString()).toBe(`srv sshd[4242]: ${base.MESSAGE}`);
  });

  it('MESSAGE as a byte array with invalid UTF-8 keeps the exact bytes', () => {
    const bytes = [0x75, 0x73, 0x65, 0x72, 0x20, 0xff, 0xfe, 0xc3, 0x28];
    const e = journalRecordToEntry({ ...base, MESSAGE: bytes }, 'j')!;
    expect([...e.message]).toEqual(bytes);
    expect(e.origin).toBe('j');
    expect(e.raw.subarray(e.raw.length - bytes.length).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['a number', 42],
    ['an object', { a: 1 }],
    ['an array with non-bytes', [65, 300]],
    ['an array of objects', [{ a: 1 }]],
  ])('MESSAGE %s → null', (_label, message) => {
    const rec: Record<string, unknown> = { ...base, MESSAGE: message };
    if (message === undefined) delete rec.MESSAGE;
    expect(journalRecordToEntry(rec)).toBeNull();
  });

  it('folds fields journalctl prints as lists (a field given twice): MESSAGE joined, others the first', () => {
    const e = journalRecordToEntry({ ...base, MESSAGE: ['first', 'second'], SYSLOG_IDENTIFIER: ['sshd', 'other'] })!;
    expect(e.message.toString()).toBe('first\nsecond');
    expect(e.program).toBe('sshd');
  });

  it('falls back to _COMM, _PID and _SOURCE_REALTIME_TIMESTAMP; missing fields are undefined', () => {
    const e = journalRecordToEntry({ MESSAGE: 'm', _COMM: 'sshd', _PID: '7', _SOURCE_REALTIME_TIMESTAMP: '5000' })!;
    expect(view(e)).toMatchObject({ program: 'sshd', pid: 7, time: 5 });
    expect(e.host).toBeUndefined();
    expect(e.raw.toString()).toBe('localhost sshd[7]: m');
    const bare = journalRecordToEntry({ MESSAGE: 'm' })!;
    expect(bare.time).toBeUndefined();
    expect(bare.raw.toString()).toBe('localhost unknown: m');
  });

  it('a malformed pid or timestamp is ignored', () => {
    const e = journalRecordToEntry({ MESSAGE: 'm', SYSLOG_PID: '12x', __REALTIME_TIMESTAMP: 'soon' })!;
    expect(e.pid).toBeUndefined();
    expect(e.time).toBeUndefined();
  });

  it('very long messages are cut to 64 KiB', () => {
    const e = journalRecordToEntry({ MESSAGE: 'a'.repeat(100_000) })!;
    expect(e.message.length).toBe(64 * 1024);
  });

  it('parseJournalJsonLine: a JSON object line (string or Buffer) → entry', () => {
    const line = JSON.stringify(base);
    expect(parseJournalJsonLine(line)!.program).toBe('sshd');
    expect(parseJournalJsonLine(Buffer.from(line), 'x')!.origin).toBe('x');
  });

  it.each(['', 'not json', '{"MESSAGE": ', '[1,2]', 'null', '42', '"str"', '{"NO_MESSAGE": "x"}'])('parseJournalJsonLine(%j) → null', (line) => {
    expect(parseJournalJsonLine(line)).toBeNull();
  });
});

describe('EntryParser: prefixes real systems write', () => {
  const T = Date.UTC(2024, 0, 5, 1, 31, 41);
  const FAIL = 'Failed password for root from 192.0.2.1 port 22 ssh2';
  it.each([
    // [label, line, expected fields]
    ['syslog with host', `Jan  5 01:31:41 www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['syslog without host', `Jan  5 01:31:41 sshd[1643]: ${FAIL}`, { time: T, program: 'sshd', pid: 1643 }],
    ['FreeBSD <facility.level> before the host', `Jan  5 01:31:41 <auth.info> www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['RFC 3164 with <PRI>', `<13>Jan  5 01:31:41 www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    [
      'RFC 5424 with <PRI>',
      `<38>1 2024-01-05T01:31:41Z www sshd 1643 - - ${FAIL}`,
      { time: T, host: 'www', program: 'sshd', pid: 1643, dateFormat: 'rfc5424' },
    ],
    ['<PRI> without a date (time of reading)', `<13>sshd[1643]: ${FAIL}`, { program: 'sshd', pid: 1643 }],
    ['kernel clock after the program', `Jan  5 01:31:41 www kernel: [  970.699396] ${FAIL}`, { time: T, host: 'www', program: 'kernel' }],
    ['kernel clock without padding', `Jan  5 01:31:41 www kernel: [970.699396] ${FAIL}`, { time: T, host: 'www', program: 'kernel' }],
    ['kernel clock at the start (dmesg)', `[  970.699396] ${FAIL}`, {}],
    ['[vserver] tag before the host', `Jan  5 01:31:41 [vserver] www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['@vserver_ tag after the host', `Jan  5 01:31:41 www @vserver_ct1 sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['[container] tag after the host', `Jan  5 01:31:41 www [ct1] sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['host/container', `Jan  5 01:31:41 www/ct1 sshd[1643]: ${FAIL}`, { time: T, host: 'www/ct1', program: 'sshd', pid: 1643 }],
    ['Solaris [ID n facility.level]', `Jan  5 01:31:41 www sshd[1643]: [ID 800047 auth.info] ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['program with (module)', `Jan  5 01:31:41 www sshd(pam_unix)[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['program with (module), no pid', `Jan  5 01:31:41 www sshd(pam_unix): ${FAIL}`, { time: T, host: 'www', program: 'sshd' }],
    [
      'program with two / parts',
      `Jan  5 01:31:41 www postfix/submission/smtpd[1643]: ${FAIL}`,
      { time: T, host: 'www', program: 'postfix/submission/smtpd', pid: 1643 },
    ],
    ['prog[pid] without a colon (old syslogd, ProFTPD)', `Jan  5 01:31:41 www proftpd[1643] ${FAIL}`, { time: T, host: 'www', program: 'proftpd', pid: 1643 }],
    ['[pid] after the date (exim +pid)', `2024-01-05 01:31:41 [1643] ${FAIL}`, { time: T, pid: 1643 }],
    ['a zone name after the time', `Jan  5 01:31:41 UTC www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['a zone name after the year', `Jan  5 01:31:41 2024 GMT www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    ['ISO with a zone name', `2024-01-05 02:31:41 CET www sshd[1643]: ${FAIL}`, { time: T, host: 'www', program: 'sshd', pid: 1643 }],
    [
      'ISO with T, comma fraction and +0000',
      `2024-01-05T01:31:41,250+0000 www sshd[1643]: ${FAIL}`,
      { time: T + 250, host: 'www', program: 'sshd', pid: 1643 },
    ],
    ['ISO with a space and a dot fraction', `2024-01-05 01:31:41.250 www sshd[1643]: ${FAIL}`, { time: T + 250, host: 'www', program: 'sshd', pid: 1643 }],
    ['an unreadable date: the header is still found', `Jan 32 25:00:00 www sshd[1643]: ${FAIL}`, { host: 'www', program: 'sshd', pid: 1643 }],
    ['a date format we do not know', `Jan 5, 2024 1:31:41 AM www sshd[1643]: ${FAIL}`, { host: 'www', program: 'sshd', pid: 1643 }],
    ['no date, program with pid', `sshd[1643]: ${FAIL}`, { program: 'sshd', pid: 1643 }],
    ['no date, host and program with pid', `www sshd[1643]: ${FAIL}`, { host: 'www', program: 'sshd', pid: 1643 }],
  ])('%s', (_label, line, fields) => {
    const e = parse(line);
    expect(e.message.toString()).toBe(FAIL);
    expect({ time: e.time, host: e.host, program: e.program, pid: e.pid, ...('dateFormat' in fields ? { dateFormat: e.dateFormat } : {}) }).toEqual({
      time: undefined,
      host: undefined,
      program: undefined,
      pid: undefined,
      ...fields,
    });
  });

  it.each([
    // Undated lines that are not syslog keep the whole line as the message.
    'error: something failed for 192.0.2.1',
    '[client 192.0.2.1] user x: authentication failure',
    'Failed password for root from 192.0.2.1: x',
  ])('undated, no header: %j stays whole', (line) => {
    const e = parse(line);
    expect(e.message.toString()).toBe(line);
    expect([e.program, e.host, e.pid, e.time]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('JSON and key=value logs: the time field dates the line, the message is the whole line', () => {
    const line = '{"time":"2024-01-05T01:31:41Z","message":"Failed Login: username=root ip=192.0.2.1"}';
    const e = parse(line);
    expect([e.time, e.dateFormat, e.message.toString(), e.program]).toEqual([T, 'iso8601', line, undefined]);
  });

  it.each([
    `sshd[1643]: Failed password for invalid user t=2020-01-01T00:00:00Z from 192.0.2.1 port 22 ssh2`,
    `Jan 32 25:00:00 www sshd[1643]: Failed password for invalid user t=2020-01-01T00:00:00Z from 192.0.2.1 port 22 ssh2`,
  ])('a time field inside a syslog message neither dates the line nor hides its header: %s', (line) => {
    const e = parse(line);
    expect([e.time, e.program, e.pid]).toEqual([undefined, 'sshd', 1643]);
    expect(e.message.toString()).toBe('Failed password for invalid user t=2020-01-01T00:00:00Z from 192.0.2.1 port 22 ssh2');
  });

  it('a bracketed word that is not followed by a header stays the program (`[sshd] msg`)', () => {
    const e = parse('Jan  5 01:31:41 [sshd] Failed password for x from 192.0.2.1: y');
    expect(e.program).toBe('sshd');
    expect(e.host).toBeUndefined();
    expect(e.message.toString()).toBe('Failed password for x from 192.0.2.1: y');
  });

  it('a container tag is taken only before a header with a pid; the message cannot pose as one', () => {
    const e = parse('Jan  5 01:31:41 [x] Failed password: y');
    expect(e.program).toBe('x');
    expect(e.message.toString()).toBe('Failed password: y');
  });
});
