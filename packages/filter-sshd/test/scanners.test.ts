/**
 * The scanners (src/scanners.ts) give exactly the groups RE2's exec gives, wherever RE2 finds the
 * rule to match and the scanner does not decline: on generated messages built around each rule's
 * layout with hostile pieces in every slot (forged tails in user names, IPv6 and malformed
 * addresses, stray `[preauth]`, colons, tabs) and on every line of the sample logs. The oracle is
 * RE2 with the rule's own named pattern, not the engine. Then the engine with and without scanners
 * gives the same hits on the sample logs, in every mode.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import RE2 from 're2';
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { EntryParser, FilterRunner, expandPattern, type FilterDefinition, type FilterRule } from '@f2b/core';
import { sshdFilter } from '../src/index.js';

interface Checked {
  rule: FilterRule;
  re: RE2;
}

/** One entry per rule id (info and failure twins share pattern and scanner). */
const scanned: Checked[] = [...new Map(sshdFilter.rules.filter((r) => r.scan).map((r) => [r.id, r])).values()].map((rule) => ({
  rule,
  re: new RE2(expandPattern(rule.pattern)),
}));

/** What exec says: the named groups that took part. */
function execGroups(re: RE2, text: string): Record<string, string> {
  const m = re.exec(text)!;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Checks every scanner on one message; returns the ids of the rules it scanned. A scanner may
 * decline (undefined), never differ.
 */
function check(message: string): string[] {
  const buf = Buffer.from(message, 'latin1');
  if (!isAscii(buf)) return [];
  const used: string[] = [];
  for (const { rule, re } of scanned) {
    if (!re.test(message)) continue;
    const got = rule.scan!(buf);
    if (got === undefined) continue;
    expect({ rule: rule.id, message, groups: { ...got } }).toEqual({ rule: rule.id, message, groups: execGroups(re, message) });
    used.push(rule.id);
  }
  return used;
}

/** Mostly `usual` (so that RE2 often matches), sometimes one of the hostile variants. */
const mostly = (usual: string, ...hostile: string[]) =>
  fc.oneof({ weight: 4, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...hostile) });

// Pieces that meet the layouts at their edges: forged tails, addresses of every shape, suffixes.
const hostilePiece = fc.constantFrom(
  ' ',
  '  ',
  'from',
  ' from ',
  'port',
  ' port ',
  '22',
  ' ssh2',
  ' ssh1',
  'ssh2',
  ' [preauth]',
  '[preauth]',
  ' [postauth]',
  ':',
  ': ',
  '::',
  '\t',
  '\r',
  '\f',
  '\v',
  '.',
  '1',
  '1.2.3.4',
  ' 1.2.3.4',
  '192.0.2.1 port 22',
  ' from 1.2.3.4 port 22 ssh2',
  '::1',
  '2001:db8::1',
  '[2001:db8::1]',
  'invalid user ',
  'illegal user ',
  'user=',
  ' user=u',
  ' ruser=',
  ' rhost=',
  ' rhost=1.2.3.4',
  ': Too many authentication failures',
  ': 11: bye',
  'é',
);
const piece = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('x', 'root', 'admin', 'a b', '0') }, { weight: 2, arbitrary: hostilePiece });
const text = fc.array(piece, { maxLength: 5 }).map((p) => p.join(''));
const token = fc
  .array(
    fc.oneof({ weight: 6, arbitrary: fc.constantFrom('a', 'b', '1', '.', '-', '_', '=') }, { weight: 1, arbitrary: fc.constantFrom(' ', ':', '[', ']', '\t') }),
    { maxLength: 5 },
  )
  .map((p) => p.join(''));
const addr = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('192.0.2.10', '10.0.0.255', '1.2.3.4', '0.0.0.0', '01.002.3.4') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '999.1.1.1',
      '::1',
      '2001:db8::1',
      '[2001:db8::1]',
      '::ffff:1.2.3.4',
      '1.2.3.4:22',
      'host.example',
      'a',
      '',
      '1.2.3.4]',
      '[1.2.3.4',
    ),
  },
);
const digits = mostly('22', '0', '65535', '00', '');
const opt = (a: fc.Arbitrary<string>) => fc.option(a, { nil: '' });
const preauth = fc.constantFrom('', '', ' [preauth]', ' [preauth]', ' [preauth] ', '[preauth]', ' [postauth]');
const port = opt(digits.map((d) => ` port ${d}`));
const space = mostly(' ', '  ', ' from ', '');
const from = mostly(' from ', ' ', ' from  ');

const layouts: fc.Arbitrary<string>[] = [
  // invalid-user
  fc.tuple(mostly('Invalid user ', 'Illegal user ', 'invalid user '), text, from, addr, port, preauth).map((p) => p.join('')),
  // closed-invalid-user, closed-authenticating-user
  fc
    .tuple(
      mostly('Disconnected from ', 'Connection closed by ', 'Connection reset by ', 'Disconnected by '),
      fc.constantFrom('invalid user ', 'authenticating user ', 'user '),
      text,
      space,
      addr,
      port,
      preauth,
    )
    .map((p) => p.join('')),
  // too-many-failures
  fc
    .tuple(
      mostly('Disconnecting invalid user ', 'Disconnecting authenticating user ', 'Disconnecting user '),
      text,
      space,
      addr,
      port,
      mostly(': Too many authentication failures', ': Too many authentication failure', ''),
      preauth,
    )
    .map((p) => p.join('')),
  // max-auth-tries
  fc
    .tuple(
      mostly('', 'error: ', 'fatal: ', 'warn: '),
      fc.constant('maximum authentication attempts exceeded for '),
      fc.constantFrom('', 'invalid user ', 'invalid user', 'invalid user invalid user '),
      text,
      from,
      addr,
      port,
      mostly(' ssh2', ' ssh1', '', ' ssh2 ssh2'),
      preauth,
    )
    .map((p) => p.join('')),
  // failed-invalid-user, failed
  fc
    .tuple(
      mostly('Failed ', 'Failed  ', 'kernel: [ 1.2] Failed '),
      mostly('password', 'publickey', 'none', 'keyboard-interactive/pam', 'pass\tword', ''),
      mostly(' for ', ' for  ', ' fo '),
      fc.constantFrom('', 'invalid user ', 'invalid user ', 'illegal user ', 'invalid user'),
      text,
      from,
      addr,
      port,
      mostly(' ssh2', '', ' ssh1', ' ssh3', ' ssh2: RSA SHA256:abc', 'ssh2'),
      preauth,
    )
    .map((p) => p.join('')),
  // pam-auth-failure, pam-more-failures
  fc
    .tuple(
      fc.constantFrom(
        'pam_unix(sshd:auth): authentication failure; ',
        'PAM 2 more authentication failures; ',
        'pam_unix(sshd:auth): PAM 1 more authentication failure; ',
        'pam_x(ssh:auth): authentication failure; ',
      ),
      token,
      digits,
      digits,
      token,
      token,
      mostly(' rhost=', ' rhost= ', ' rhost'),
      addr,
      opt(fc.tuple(mostly(' ', '  ', ''), mostly('user=', 'user', 'ruser='), token).map((p) => p.join(''))),
      preauth,
      mostly('', ' ', '  ', '\t'),
    )
    .map(
      ([head, logname, uid, euid, tty, ruser, rhost, host, user, pre, spaces]) =>
        `${head}logname=${logname} uid=${uid} euid=${euid} tty=${tty} ruser=${ruser}${rhost}${host}${user}${pre}${spaces}`,
    ),
  // the disconnect rules
  fc
    .tuple(
      mostly('', 'error: ', 'fatal: '),
      mostly('Received disconnect from ', 'Received disconnect from  '),
      addr,
      port,
      mostly(': 11: ', ':11: ', ': 3: ', ': 14: No authentication methods available', ': x: ', ':', ''),
      text,
      preauth,
    )
    .map((p) => p.join('')),
  fc
    .tuple(
      mostly('', 'error: '),
      fc.constant('Received disconnect from '),
      addr,
      port,
      mostly(': ', ':', ': : '),
      fc.constantFrom(
        '3: com.jcraft.jsch.JSchException: Auth fail',
        '3: Auth failed',
        '3: x Auth failure',
        '14: No supported authentication methods available',
        '14: No more user authentication methods available.',
        '14: No authentication methods available',
      ),
      preauth,
    )
    .map((p) => p.join('')),
];

/** The layout with the most parts to get right: drawn more often. */
const FAILED_LAYOUT = 4;

/** A layout's message, sometimes with a hostile piece put in somewhere. */
const message = fc
  .tuple(fc.oneof(...layouts.map((arbitrary, i) => ({ arbitrary, weight: i === FAILED_LAYOUT ? 4 : 1 }))), fc.option(fc.tuple(fc.nat(), hostilePiece)))
  .map(([m, insert]) => {
    if (!insert) return m;
    const at = insert[0] % (m.length + 1);
    return m.slice(0, at) + insert[1] + m.slice(at);
  });

describe('the sshd scanners give the groups RE2 gives', () => {
  it('on generated messages around each layout', () => {
    const uses = new Map<string, number>();
    fc.assert(
      fc.property(message, (m) => {
        for (const id of check(m)) uses.set(id, (uses.get(id) ?? 0) + 1);
      }),
      { numRuns: 30_000 },
    );
    // Not vacuous: every scanner read many messages that RE2 matched (about a hundred each; the
    // bound leaves room for the draw).
    for (const { rule } of scanned) expect(uses.get(rule.id) ?? 0, rule.id).toBeGreaterThan(20);
  });

  it('on every line of the sample logs', () => {
    const parser = new EntryParser({ timezone: 'UTC' });
    const uses = new Set<string>();
    for (const log of ['sshd.log', 'sshd-catalogue.log', 'lab/sshd.log']) {
      for (const line of readFileSync(new URL(`./fixtures/${log}`, import.meta.url), 'utf8').split('\n')) {
        if (line.startsWith('#') || line === '') continue;
        for (const id of check(parser.parse(Buffer.from(line)).message.toString('latin1'))) uses.add(id);
      }
    }
    expect([...uses].sort()).toEqual([
      'closed-authenticating-user',
      'closed-invalid-user',
      'disconnect',
      'disconnect-auth-fail',
      'disconnect-no-auth-methods',
      'disconnect-preauth',
      'failed',
      'failed-invalid-user',
      'invalid-user',
      'max-auth-tries',
      'pam-auth-failure',
      'pam-more-failures',
      'too-many-failures',
    ]);
  });
});

describe('the engine with scanners', () => {
  it('finds what it finds without them, line by line, in every mode', () => {
    const plain: FilterDefinition = { ...sshdFilter, rules: sshdFilter.rules.map(({ scan: _scan, ...rule }) => rule) };
    const lines = ['sshd.log', 'sshd-catalogue.log', 'lab/sshd.log']
      .flatMap((log) => readFileSync(new URL(`./fixtures/${log}`, import.meta.url), 'utf8').split('\n'))
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const mode of sshdFilter.modes!) {
      const fast = new FilterRunner(sshdFilter, { mode }),
        slow = new FilterRunner(plain, { mode });
      const parser = new EntryParser({ timezone: 'UTC' });
      for (const line of lines) {
        const entry = parser.parse(Buffer.from(line));
        expect({ line, hit: fast.find(entry) }).toEqual({ line, hit: slow.find(entry) });
      }
    }
  });
});
