/**
 * Issue 12: what f2b prints is escaped (C0, DEL, C1 — CSI U+009B and OSC U+009D among them) while
 * JSON stays the same value; and manual bans of addresses a jail never bans are refused.
 */
import { describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { escapeControls, escapeDeep, escapeLines, jsonText } from '../src/escape.js';
import { createLogger, stderrSink } from '../src/logger.js';
import { createTestCore } from '../src/testing/test-core.js';
import { F2bError } from '../src/errors.js';
import type { F2bPlugin } from '../src/plugin.js';

// Every C0 control, DEL and every C1 control (U+0080–U+009F).
const CONTROLS = [...Array(0x20).keys(), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)].map((c) => String.fromCharCode(c));
const HOSTILE = `user\x1b]0;owned\x07\u009b31m\u009d8;;http://x\u009c\x7f\r\nforged`;
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f]/;

describe('escaping', () => {
  it('escapeControls leaves no control character, and names each one', () => {
    for (const c of CONTROLS) {
      const out = escapeControls(`a${c}b`);
      expect(RAW.test(out)).toBe(false);
      expect(out).toBe(`a\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}b`);
    }
    expect(escapeControls('plain ünïcödé – text')).toBe('plain ünïcödé – text');
  });

  it('escapeLines keeps newlines only', () => {
    expect(escapeLines('a\x1bb\nc\u009bd')).toBe('a\\x1bb\nc\\x9bd');
  });

  it('jsonText is exact JSON with nothing raw', () => {
    const value = { line: HOSTILE, list: [HOSTILE, 1, null, true], [HOSTILE]: 'key' };
    const text = jsonText(value);
    expect(RAW.test(text)).toBe(false);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapeDeep escapes every string of an answer, keys too', () => {
    const out = escapeDeep({ jail: HOSTILE, bans: [{ lines: [HOSTILE], count: 2 }], [HOSTILE]: null });
    expect(RAW.test(JSON.stringify(out).replace(/\\[nrt]/g, ''))).toBe(false);
    expect(out.bans[0]!.count).toBe(2);
    expect(JSON.stringify(out)).not.toMatch(/\\u00(?:1b|9b|9d|07|7f)/);
  });

  it('the text log writes messages and fields escaped, on one line', () => {
    // Each line as the sink hands it to its writer (stderr's gathers a turn's lines in one write).
    const chunks: string[] = [];
    const write = (s: string) => void chunks.push(s);
    createLogger('t', 'info', stderrSink({ format: 'text', write })).warn(`msg ${HOSTILE}`, { user: HOSTILE, [HOSTILE]: 1 });
    createLogger('t', 'info', stderrSink({ format: 'json', write })).warn(`msg ${HOSTILE}`, { user: HOSTILE });
    expect(chunks).toHaveLength(2);
    for (const c of chunks) {
      expect(c.endsWith('\n')).toBe(true);
      expect(RAW.test(c.slice(0, -1))).toBe(false);
    }
    expect(JSON.parse(chunks[1]!)).toMatchObject({ msg: `msg ${HOSTILE}`, user: HOSTILE });
  });
});

const plugin: F2bPlugin = {
  meta: { name: 'demo', version: '1.0.0', core: '*' },
  apply(core) {
    core.registerFilter({ id: 'demo', rules: [{ id: 'fail', pattern: '^fail from <HOST>$' }] });
  },
};

describe('manual bans', () => {
  const refused = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(F2bError);
      return (err as F2bError).code;
    }
    return 'accepted';
  };

  it("of loopback, ignoreip and (with ignoreself) this host's addresses are refused with F2B_ERR_BAN_REFUSED", async () => {
    const self = Object.values(networkInterfaces())
      .flat()
      .map((a) => a!.address)
      .find((a) => a !== '127.0.0.1' && a !== '::1' && !a.startsWith('fe80'));
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', ignoreip: ['192.0.2.0/28'], ignoreself: true } });
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '192.0.2.5'])
      expect([ip, refused(() => t.jail.ban(ip))]).toEqual([ip, 'F2B_ERR_BAN_REFUSED']);
    if (self) expect([self, refused(() => t.jail.ban(self))]).toEqual([self, 'F2B_ERR_BAN_REFUSED']);
    expect(refused(() => t.jail.ban('192.0.2.200'))).toBe('accepted');
    expect([...t.jail.bans()].map((b) => b.id)).toEqual(['192.0.2.200']);
    const e = (() => {
      try {
        t.jail.ban('::1');
      } catch (err) {
        return err as F2bError;
      }
    })()!;
    expect(e.message).toMatch(/loopback/);
    expect(e.fix).toBeTruthy();
    await t.jail.stop();
  });

  it("of this host's addresses are allowed when ignoreself is off", async () => {
    const self = Object.values(networkInterfaces())
      .flat()
      .map((a) => a!.address)
      .find((a) => a !== '127.0.0.1' && a !== '::1' && !a.startsWith('fe80'));
    if (!self) {
      console.log('skipped: this host has no non-loopback address');
      return;
    }
    const t = await createTestCore({ plugins: [plugin], jail: { filter: 'demo', ignoreself: false } });
    expect(refused(() => t.jail.ban(self))).toBe('accepted');
    await t.jail.stop();
  });
});
