import { describe, it, expect } from 'vitest';
import { parseIp, normalizeIp, parseCidr, tryParseCidr, cidrContains, IpSet, isLoopback, widen, formatIp, looksLikeHostname } from '../src/ip.js';
import { F2bError } from '../src/errors.js';

const ip = (t: string) => {
  const a = parseIp(t);
  if (a === null) throw new Error(`not an ip: ${t}`);
  return a;
};

describe('parseIp / normalizeIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4', 4],
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['192.030.0.6', '192.30.0.6', 4], // leading zeros are decimal
    ['010.000.001.009', '10.0.1.9', 4],
    ['::', '::', 6],
    ['::1', '::1', 6],
    ['2001:db8::', '2001:db8::', 6],
    ['2001:DB8::1', '2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1', 6], // the longest run wins
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 6],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8', 6],
    ['fe80::1:2', 'fe80::1:2', 6],
    ['::ffff:192.0.2.1', '192.0.2.1', 4],
    ['::FFFF:c000:0201', '192.0.2.1', 4],
    ['[::ffff:192.0.2.1]', '192.0.2.1', 4],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201', 6],
    ['::192.0.2.1', '::c000:201', 6],
    ['[2001:db8::1]', '2001:db8::1', 6],
  ])('%s → %s', (input, text, version) => {
    const a = ip(input);
    expect(a.text).toBe(text);
    expect(a.version).toBe(version);
    expect(a.bytes.length).toBe(version === 4 ? 4 : 16);
    expect(normalizeIp(input)).toBe(text);
    expect(formatIp(a)).toBe(text);
  });

  it('gives the bytes in network order', () => {
    expect([...ip('192.0.2.1').bytes]).toEqual([192, 0, 2, 1]);
    expect([...ip('2001:db8::ff').bytes]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
  });

  it.each([
    '',
    '1',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.256',
    '1.2.3.-1',
    '1..2.3',
    '.1.2.3',
    '1.2.3.4.',
    '0001.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    'a.b.c.d',
    'example.com',
    'localhost',
    '[1.2.3.4]',
    ':',
    ':::',
    '1:2',
    '1::2::3',
    ':1::',
    '1:',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::1.2.3',
    '::1.2.3.4:5',
    '1.2.3.4::',
    '::ffff:256.1.1.1',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    'fe80::1%1',
    '[::1',
    '::1]',
    '[]',
    '1.2.3.4/32',
  ])('rejects %j', (input) => {
    expect(parseIp(input)).toBeNull();
    expect(normalizeIp(input)).toBeNull();
  });

  it('rejects non-strings', () => {
    expect(parseIp(undefined as unknown as string)).toBeNull();
    expect(parseIp(1234 as unknown as string)).toBeNull();
  });

  it('keeps a full 8-group address with a trailing embedded IPv4', () => {
    expect(ip('1:2:3:4:5:6:1.2.3.4').text).toBe('1:2:3:4:5:6:102:304');
  });
});

describe('parseCidr', () => {
  it.each([
    ['192.0.2.0/24', '192.0.2.0/24'],
    ['192.0.2.77/24', '192.0.2.0/24'],
    ['10.1.2.3/0', '0.0.0.0/0'],
    ['10.1.2.3/9', '10.0.0.0/9'],
    ['10.255.2.3/9', '10.128.0.0/9'],
    ['1.2.3.4', '1.2.3.4/32'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['2001:db8:1:2:3:4:5:6/64', '2001:db8:1:2::/64'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['[2001:db8::]/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['::ffff:192.0.2.1/120', '192.0.2.0/24'],
    ['::ffff:0:0/96', '0.0.0.0/0'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
    ['  192.0.2.0/24 ', '192.0.2.0/24'],
  ])('%s → %s', (input, text) => {
    expect(parseCidr(input).text).toBe(text);
    expect(tryParseCidr(input)?.text).toBe(text);
  });

  it('zeroes the host bits in the bytes', () => {
    const c = parseCidr('192.0.2.255/25');
    expect([...c.bytes]).toEqual([192, 0, 2, 128]);
    expect(c.prefix).toBe(25);
    expect(c.version).toBe(4);
  });

  it.each(['', '/24', '1.2.3.4/', '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/2a', '1.2.3.4/0024', '::/129', 'example.com/24', '1.2.3.4/24/1', '300.1.1.1/8'])(
    'rejects %j',
    (input) => {
      expect(tryParseCidr(input)).toBeNull();
      expect(() => parseCidr(input, 'jails.sshd.ignoreip')).toThrow(F2bError);
    },
  );

  it('throws F2B_ERR_ADDRESS_INVALID with the path', () => {
    try {
      parseCidr('nope', 'jails.sshd.ignoreip[0]');
      expect.unreachable();
    } catch (err) {
      expect((err as F2bError).code).toBe('F2B_ERR_ADDRESS_INVALID');
      expect((err as F2bError).path).toBe('jails.sshd.ignoreip[0]');
    }
  });
});

describe('cidrContains', () => {
  it('handles /0, /32, /128 and /64', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0'), ip('203.0.113.9'))).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0'), ip('::1'))).toBe(false);
    expect(cidrContains(parseCidr('::/0'), ip('2001:db8::1'))).toBe(true);
    expect(cidrContains(parseCidr('1.2.3.4/32'), ip('1.2.3.4'))).toBe(true);
    expect(cidrContains(parseCidr('1.2.3.4/32'), ip('1.2.3.5'))).toBe(false);
    expect(cidrContains(parseCidr('2001:db8::1/128'), ip('2001:db8::1'))).toBe(true);
    expect(cidrContains(parseCidr('2001:db8::1/128'), ip('2001:db8::2'))).toBe(false);
    const net64 = parseCidr('2001:db8:1:2::/64');
    expect(cidrContains(net64, ip('2001:db8:1:2:ffff:ffff:ffff:ffff'))).toBe(true);
    expect(cidrContains(net64, ip('2001:db8:1:3::'))).toBe(false);
  });

  it('handles prefixes that split a byte', () => {
    const c = parseCidr('10.0.0.0/9');
    expect(cidrContains(c, ip('10.127.255.255'))).toBe(true);
    expect(cidrContains(c, ip('10.128.0.0'))).toBe(false);
    expect(cidrContains(parseCidr('192.0.2.128/25'), ip('192.0.2.127'))).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 networks', () => {
    const c = parseCidr('192.0.2.0/24');
    expect(cidrContains(c, ip('::ffff:192.0.2.7'))).toBe(true);
    // Even a hand-made, un-normalised mapped address.
    const raw = { version: 6 as const, bytes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 7]), text: 'x' };
    expect(cidrContains(c, raw)).toBe(true);
    expect(cidrContains(parseCidr('::ffff:0:0/95'), ip('192.0.2.7'))).toBe(true);
  });
});

describe('IpSet', () => {
  it('answers membership across versions and prefixes', () => {
    const set = new IpSet(['127.0.0.1/8', '192.0.2.0/24', '198.51.100.7', '2001:db8::/32', '::1', parseCidr('10.0.0.0/8')]);
    expect(set.size).toBe(6);
    expect(set.has('127.9.9.9')).toBe(true);
    expect(set.has('192.0.2.255')).toBe(true);
    expect(set.has('192.0.3.0')).toBe(false);
    expect(set.has('198.51.100.7')).toBe(true);
    expect(set.has('198.51.100.8')).toBe(false);
    expect(set.has('::ffff:10.1.2.3')).toBe(true);
    expect(set.has('2001:db8:ffff::1')).toBe(true);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has(ip('::1'))).toBe(true);
    expect(set.has('::2')).toBe(false);
    expect(set.has('not an ip')).toBe(false);
  });

  it('is empty by default and drops duplicates', () => {
    expect(new IpSet().has('1.2.3.4')).toBe(false);
    const set = new IpSet(['192.0.2.0/24', '192.0.2.9/24', ip('192.0.2.1')]);
    expect(set.size).toBe(2);
    expect(set.entries().map((c) => c.text)).toEqual(['192.0.2.0/24', '192.0.2.1/32']);
  });

  it('handles /0 in both families', () => {
    const set = new IpSet(['0.0.0.0/0', '::/0']);
    expect(set.has('8.8.8.8')).toBe(true);
    expect(set.has('2606:4700::1111')).toBe(true);
  });

  it('scales to hundreds of entries', () => {
    const entries: string[] = [];
    for (let i = 0; i < 500; i++) entries.push(`10.${i >> 8}.${i & 255}.0/24`, `2001:db8:${i.toString(16)}::/48`);
    const set = new IpSet(entries);
    expect(set.size).toBe(1000);
    expect(set.has('10.1.243.77')).toBe(true);
    expect(set.has('10.1.244.77')).toBe(false);
    expect(set.has('2001:db8:1f3:1::5')).toBe(true);
    expect(set.has('2001:db8:1f4::5')).toBe(false);
  });

  it('throws on a bad entry, naming the path', () => {
    expect(() => new IpSet(['1.2.3.4', 'bogus'], 'ignoreip')).toThrow(/bogus/);
  });
});

describe('helpers', () => {
  it('isLoopback', () => {
    expect(isLoopback(ip('127.0.0.1'))).toBe(true);
    expect(isLoopback(ip('127.255.0.3'))).toBe(true);
    expect(isLoopback(ip('::ffff:127.0.0.1'))).toBe(true);
    expect(isLoopback(ip('::1'))).toBe(true);
    expect(isLoopback(ip('128.0.0.1'))).toBe(false);
    expect(isLoopback(ip('::2'))).toBe(false);
    expect(isLoopback(ip('::'))).toBe(false);
  });

  it('widen', () => {
    expect(widen(ip('2001:db8:1:2:3:4:5:6'), 64).text).toBe('2001:db8:1:2::/64');
    expect(widen(ip('192.0.2.77'), 24).text).toBe('192.0.2.0/24');
    expect(widen(ip('192.0.2.77'), 32).text).toBe('192.0.2.77/32');
    expect(() => widen(ip('192.0.2.77'), 33)).toThrow(F2bError);
    expect(() => widen(ip('::1'), 1.5)).toThrow(F2bError);
  });

  it.each([
    ['example.com', true],
    ['mail-1.example.org.', true],
    ['localhost', true],
    ['a', true],
    ['1e100.net', true],
    ['host-', false],
    ['-host', false],
    ['a..b', false],
    ['.a', false],
    ['1.2.3.4', false],
    ['12345', false],
    ['', false],
    ['under_score.com', false],
    ['::1', false],
    [`${'a'.repeat(63)}.com`, true],
    [`${'a'.repeat(64)}.com`, false],
    [Array(63).fill('abc').join('.'), true],
    [Array(51).fill('abcd').join('.'), false],
    ['ex ample.com', false],
    ['exämple.com', false],
  ])('looksLikeHostname(%j) = %s', (text, expected) => {
    expect(looksLikeHostname(text)).toBe(expected);
  });
});
