import { describe, expect, it } from 'vitest';
import { normalizeRecord, parseRecord, recordToEntry } from '../src/record.js';

describe('journal records', () => {
  it('turns a record into the entry filters see', () => {
    const e = recordToEntry({
      __CURSOR: 's=1',
      __REALTIME_TIMESTAMP: '1700000000123456',
      _HOSTNAME: 'web1',
      SYSLOG_IDENTIFIER: 'sshd-session',
      _PID: '77',
      _SYSTEMD_UNIT: 'ssh.service',
      MESSAGE: 'Failed password for root from 192.0.2.1 port 22 ssh2',
    })!;
    expect(e.message.toString()).toBe('Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(e).toMatchObject({ time: 1700000000123, host: 'web1', program: 'sshd-session', pid: 77, unit: 'ssh.service', dateFormat: 'journal' });
    expect(e.raw.toString()).toBe('web1 sshd-session[77]: Failed password for root from 192.0.2.1 port 22 ssh2');
  });

  it('keeps a binary MESSAGE (array of bytes) byte for byte', () => {
    const bytes = [0x61, 0xff, 0xfe, 0x0a, 0x62];
    expect([...recordToEntry({ MESSAGE: bytes })!.message]).toEqual(bytes);
  });

  it('folds fields journalctl prints as lists of values (a field given twice)', () => {
    expect(normalizeRecord({ MESSAGE: ['one', 'two'], SYSLOG_IDENTIFIER: ['sshd', 'x'] })).toEqual({ MESSAGE: 'one\ntwo', SYSLOG_IDENTIFIER: 'sshd' });
    expect(normalizeRecord({ MESSAGE: ['a', [0xff]] })).toEqual({ MESSAGE: [0x61, 0x0a, 0xff] });
    const plain = { MESSAGE: 'x' };
    expect(normalizeRecord(plain)).toBe(plain);
    expect(recordToEntry({ MESSAGE: ['one', 'two'] })!.message.toString()).toBe('one\ntwo');
  });

  it('skips records without a usable MESSAGE and lines that are not JSON objects', () => {
    expect(recordToEntry({ MESSAGE: null })).toBeNull();
    expect(recordToEntry({})).toBeNull();
    expect(parseRecord(Buffer.from('[1,2]'))).toBeNull();
    expect(parseRecord(Buffer.from('{"MESSAGE":"x"'))).toBeNull();
    expect(parseRecord(Buffer.from('{"MESSAGE":"x"}'))).toEqual({ MESSAGE: 'x' });
  });
});
