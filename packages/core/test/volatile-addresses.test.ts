/**
 * The engine's carrying over of memoised hits to another address (`volatileAddresses`): only when
 * the host was read from the one token that changed, and nothing else from any token — checked by
 * trying the message with its tokens replaced, so a filter whose declaration is wrong for some
 * message still gets every line's own answer.
 */
import { describe, expect, it } from 'vitest';
import { FilterRunner } from '../src/filter/engine.js';
import type { FilterDefinition } from '../src/filter/types.js';
import type { LogEntry } from '../src/types.js';

const T = Date.UTC(2024, 0, 15, 12, 0, 0);

function entry(message: string): LogEntry {
  return { raw: Buffer.from(`host app[1]: ${message}`), message: Buffer.from(message), time: T, program: 'app' };
}

const filter = (pattern: string): FilterDefinition => ({ id: 'app', programs: ['app'], volatileAddresses: true, rules: [{ id: 'r', pattern }] });

describe('volatileAddresses: carrying a hit over', () => {
  it('carries the hit of one message to the same message from other addresses', () => {
    const runner = new FilterRunner(filter('^login failed for (?P<user>\\S+) from <ADDR>$'));
    const hosts = ['192.0.2.1', '198.51.100.7', '192.0.2.1', '2001:db8::9'].map((a) => runner.find(entry(`login failed for bob from ${a}`)));
    expect(hosts.map((h) => h?.host)).toEqual(['192.0.2.1', '198.51.100.7', '192.0.2.1', '2001:db8::9']);
    expect(hosts.map((h) => h?.captures.user)).toEqual(['bob', 'bob', 'bob', 'bob']);
    // One entry: the second line's hit shares the first one's captures.
    expect(hosts[1]!.captures).toBe(hosts[0]!.captures);
  });

  it('not when the host was read from text that only parses the same (an address with its port)', () => {
    // The first token is the host's address too, but the rule reads the host after `from`.
    const runner = new FilterRunner(filter('^client \\S+ from <ADDR>:22$'));
    expect(runner.find(entry('client 192.0.2.1 from 192.0.2.1:22'))?.host).toBe('192.0.2.1');
    expect(runner.find(entry('client 198.51.100.9 from 192.0.2.1:22'))?.host).toBe('192.0.2.1');
  });

  it('not when a rule singles out addresses (a declaration the rules do not keep)', () => {
    // Odd addresses only: the message of another address may not match at all.
    const runner = new FilterRunner(filter('^denied (?P<host>[0-9.]+[13579])$'));
    expect(runner.find(entry('denied 192.0.2.5'))?.host).toBe('192.0.2.5');
    expect(runner.find(entry('denied 192.0.2.6'))).toBeNull();
    expect(runner.find(entry('denied 198.51.100.7'))?.host).toBe('198.51.100.7');
  });

  it('not when a capture holds an address, nor for a message no rule matched', () => {
    const runner = new FilterRunner(filter('^user (?P<user>\\S+) from <ADDR> refused$'));
    expect(runner.find(entry('user 203.0.113.4 from 192.0.2.1 refused'))?.captures.user).toBe('203.0.113.4');
    expect(runner.find(entry('user 203.0.113.5 from 192.0.2.1 refused'))?.captures.user).toBe('203.0.113.5');
    const strict = new FilterRunner(filter('^from <ADDR> refused$'));
    expect(strict.find(entry('from 300.1.2.3 refused'))).toBeNull();
    expect(strict.find(entry('from 192.0.2.3 refused'))?.host).toBe('192.0.2.3');
  });

  it('the rules decide afresh when the address in the host’s place is none', () => {
    const runner = new FilterRunner(filter('^from <ADDR> refused$'));
    expect(runner.find(entry('from 192.0.2.3 refused'))?.host).toBe('192.0.2.3');
    expect(runner.find(entry('from 999.0.2.3 refused'))).toBeNull();
    expect(runner.find(entry('from 192.0.2.4 refused'))?.host).toBe('192.0.2.4');
  });
});
