import { describe, it, expect } from 'vitest';
import { EntryParser, FilterRunner } from '@f2b/core';
import { FilterTester } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';
import { newSession, SessionTable } from '../src/sessions.js';
import { A, B, failed, L, NOW, pamFail, run, T0, totals } from './helpers.js';

FilterTester.describe = describe;
FilterTester.it = it;

// Attempts per connection (normal mode), as RuleTester cases: the lines of one connection fed
// through one runner, and what they add up to per source.
const max = (user: string, s = 0) => L(100, `error: maximum authentication attempts exceeded for ${user} from ${A} port 50000 ssh2 [preauth]`, s);
const tooMany = (user: string, s = 0) => L(100, `Disconnecting authenticating user ${user} ${A} port 50000: Too many authentication failures [preauth]`, s);
const key = (n: number) => L(100, `Failed publickey for bob from ${A} port 50000 ssh2: ED25519 SHA256:KEY${n}`, n);

new FilterTester({ now: NOW }).run(sshdFilter, {
  valid: [
    {
      name: 'three stale agent keys, then the right one: forgiven',
      line: [key(0), key(1), key(2), L(100, `Accepted publickey for bob from ${A} port 50000 ssh2: ED25519 SHA256:GOOD`, 3)],
    },
    {
      name: 'forgives pending failures of the user who then logs in (stacked PAM)',
      line: [L(100, pamFail(A, 'carol')), L(100, `Accepted password for carol from ${A} port 50000 ssh2`)],
    },
    {
      name: 'forgives refused agent keys of the user who then logs in',
      line: [
        L(100, `Failed publickey for alice from ${A} port 50000 ssh2: ED25519 SHA256:AAAA`),
        L(100, `Failed publickey for alice from ${A} port 50000 ssh2: RSA SHA256:BBBB`),
        L(100, `Accepted publickey for alice from ${A} port 50000 ssh2: ECDSA SHA256:CCCC`),
        L(100, `Disconnected from user alice ${A} port 50000`, 60),
      ],
    },
    {
      name: "a PAM line without user= may be anyone's: the success forgives it",
      line: [
        L(100, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}`),
        L(100, `Accepted password for carol from ${A} port 50000 ssh2`),
      ],
    },
    {
      name: 'extra only: a close of an authenticating user without logged failure',
      line: L(100, `Connection closed by authenticating user root ${A} port 50000 [preauth]`),
    },
  ],
  invalid: [
    {
      name: 'each Failed line counts once: 3 failed passwords are 3 attempts',
      line: [L(100, failed('root')), L(100, failed('root'), 2), L(100, failed('root'), 4)],
      id: A,
      attempts: 3,
      failures: [{ attempts: 1 }, { attempts: 1 }, { attempts: 1 }],
    },
    {
      name: 'Invalid user + Failed password for invalid user is one attempt (OpenSSH 9.2, Debian 12)',
      line: [
        L(100, `Invalid user oracle from ${A} port 50000`),
        L(100, 'pam_unix(sshd:auth): check pass; user unknown'),
        L(100, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}`),
        L(100, failed('invalid user oracle'), 2),
        L(100, `Received disconnect from ${A} port 50000:11: Bye Bye [preauth]`, 3),
        L(100, `Disconnected from invalid user oracle ${A} port 50000 [preauth]`, 3),
      ],
      // The Failed and Disconnected lines still show as matched, with 0 attempts.
      id: A,
      attempts: 1,
      failures: [
        { rule: 'invalid-user', attempts: 1 },
        { rule: 'failed-invalid-user', attempts: 0 },
        { rule: 'closed-invalid-user', attempts: 0 },
      ],
    },
    { name: 'an Invalid user connection without a password is one attempt', line: L(100, `Invalid user admin from ${A} port 50000`), id: A, attempts: 1 },
    {
      name: 'an Invalid user connection closed without a password is one attempt',
      line: [L(100, `Invalid user admin from ${A} port 50000`), L(100, `Connection closed by invalid user admin ${A} port 50000 [preauth]`, 1)],
      id: A,
      attempts: 1,
    },
    {
      name: '6 failures + maximum attempts exceeded + Disconnecting are 6, not 8',
      line: [
        ...Array.from({ length: 6 }, (_, i) => L(100, failed('root'), i)),
        max('root', 6),
        tooMany('root', 6),
        L(100, `PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}  user=root`, 6),
      ],
      id: A,
      attempts: 6,
    },
    { name: 'MaxAuthTries reached, nothing else logged: one', line: max('git'), id: A, attempts: 1 },
    { name: 'MaxAuthTries reached and Disconnecting: one', line: [max('git'), tooMany('git')], id: A, attempts: 1 },
    { name: 'Disconnecting (Too many authentication failures) alone: one', line: tooMany('git'), id: A, attempts: 1 },
    {
      name: 'two failures, then MaxAuthTries: what sshd logged',
      line: [L(100, failed('root')), L(100, failed('root')), max('git'), tooMany('git')],
      id: A,
      attempts: 2,
    },
    {
      name: 'does not ban the innocent: three typos on a MaxAuthTries 3 server are 3 attempts, not 6',
      // OpenSSH 9.2 with UsePAM: each password attempt is a PAM line and a Failed line; at the third
      // failure sshd reports the limit twice, then PAM sums up.
      line: [
        ...[0, 2, 4].flatMap((t) => [L(100, pamFail(A, 'alice'), t), L(100, failed('alice'), t + 1)]),
        max('alice', 5),
        tooMany('alice', 5),
        L(100, `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}  user=alice`, 5),
      ],
      id: A,
      attempts: 3,
    },
    {
      // MaxAuthTries 6: sshd logs refused keys at INFO from the 3rd failure on (auth.c auth_log).
      name: "an agent's refused keys are one attempt",
      line: [key(3), key(4), key(5), max('bob', 6), tooMany('bob', 6)],
      id: A,
      attempts: 1,
    },
    { name: 'maxauthtries 3 pads a MaxAuthTries disconnect to 3', line: max('git'), options: { maxauthtries: 3 }, id: A, attempts: 3 },
    { name: 'maxauthtries 6 pads a MaxAuthTries disconnect to 6', line: max('git'), options: { maxauthtries: 6 }, id: A, attempts: 6 },
    {
      name: 'maxauthtries 3 pads two failures and the disconnect to 3',
      line: [L(100, failed('root')), L(100, failed('root')), max('git')],
      options: { maxauthtries: 3 },
      id: A,
      attempts: 3,
    },
    {
      name: 'more failures than maxauthtries says were logged: nothing is taken back',
      line: [L(100, failed('root')), L(100, failed('root')), max('git')],
      options: { maxauthtries: 1 },
      id: A,
      attempts: 2,
    },
    {
      name: 'failures before a success are kept: 2 failures then Accepted are 2',
      line: [L(100, failed('root')), L(100, failed('root'), 1), L(100, `Accepted password for root from ${A} port 50000 ssh2`, 2)],
      id: A,
      attempts: 2,
    },
    {
      name: 'pending failures are confirmed when the connection ends without success',
      line: [L(100, pamFail()), L(100, `Connection closed by authenticating user root ${A} port 50000 [preauth]`, 2)],
      id: A,
      attempts: 1,
    },
    {
      name: 'refused keys of a connection that ends without success: one attempt',
      line: [
        L(100, `Failed publickey for git from ${A} port 50000 ssh2: ED25519 SHA256:AAAA`),
        L(100, `Failed publickey for git from ${A} port 50000 ssh2: RSA SHA256:BBBB`),
        L(100, `Connection closed by authenticating user git ${A} port 50000 [preauth]`),
      ],
      id: A,
      attempts: 1,
    },
    {
      name: 'a PAM failure of another user than the one who logs in was a real failure',
      line: [L(100, pamFail(A, 'root')), L(100, `Accepted password for known from ${A} port 50000 ssh2`)],
      id: A,
      attempts: 1,
    },
    {
      name: 'interleaved connections are kept apart by pid',
      line: [
        L(100, failed('root', A, 1)),
        L(200, `Invalid user test from ${B} port 2`),
        L(100, failed('root', A, 1), 1),
        L(200, failed('invalid user test', B, 2), 1),
        L(100, failed('root', A, 1), 2),
        L(200, failed('invalid user test', B, 2), 2),
      ],
      attempts: { [A]: 3, [B]: 2 },
    },
    {
      name: 'the same pid on two machines is two connections',
      line: [L(100, `Invalid user test from ${A} port 1`, 0, 'sshd', 'hostA'), L(100, failed('invalid user test', A, 1), 1, 'sshd', 'hostB')],
      id: A,
      attempts: 2,
    },
    {
      name: 'sshd and sshd-session share a pid',
      line: [L(100, `Invalid user test from ${A} port 1`, 0, 'sshd-session'), L(100, failed('invalid user test', A, 1), 1, 'sshd')],
      id: A,
      attempts: 1,
    },
    {
      name: 'a pid that comes back with another address, or after the connection ended, starts over',
      line: [
        L(100, `Invalid user a from ${A} port 1`),
        L(100, `Invalid user b from ${B} port 2`, 1),
        L(100, failed('invalid user b', B, 2), 1),
        L(100, `error: maximum authentication attempts exceeded for root from ${A} port 3 ssh2 [preauth]`, 5),
        L(100, failed('root', A, 4), 6),
      ],
      attempts: { [A]: 1 + 1 + 1, [B]: 1 },
    },
    {
      name: 'an address-less line gets the address of an earlier line of the connection',
      line: [
        L(100, `Connection from ${A} port 50000 on 192.0.2.1 port 22 rdomain ""`),
        L(100, 'Disconnecting: Too many authentication failures for git [preauth]', 5),
      ],
      id: A,
      attempts: 1,
    },
    {
      name: 'an address-less line gets the address of a later line of the connection',
      line: [L(100, 'Disconnecting: Too many authentication failures for git [preauth]'), L(100, `Connection closed by ${A} [preauth]`, 1)],
      id: A,
      attempts: 1,
      rule: 'closed-preauth',
    },
    // Other modes.
    { name: 'ddos: a probe is one attempt', line: L(100, `Did not receive identification string from ${A} port 5`), mode: 'ddos', id: A, attempts: 1 },
    {
      name: 'ddos: a connection that tried to log in is no probe',
      line: [
        L(100, failed('root')),
        L(100, failed('root'), 1),
        L(100, `Received disconnect from ${A} port 50000:11: Bye Bye [preauth]`, 2),
        L(100, `Disconnected from authenticating user root ${A} port 50000 [preauth]`, 2),
      ],
      mode: 'ddos',
      attempts: { [A]: 0 },
    },
    { name: 'aggressive counts failed passwords', line: [L(100, failed('root')), L(100, failed('root'), 1)], mode: 'aggressive', id: A, attempts: 2 },
    {
      name: 'extra: a close of an authenticating user without logged failure counts one',
      line: L(100, `Connection closed by authenticating user root ${A} port 50000 [preauth]`),
      mode: 'extra',
      id: A,
      attempts: 1,
    },
  ],
});

// journald lines (host ident[pid]: message).
new FilterTester({ now: NOW, logtype: 'journal' }).run(sshdFilter, {
  valid: [],
  invalid: [
    {
      name: 'reads journald lines',
      line: [
        `gw1 sshd-session[100]: Invalid user test from ${A} port 50000`,
        `gw1 sshd-session[100]: Failed password for invalid user test from ${A} port 50000 ssh2`,
        `gw1 sshd-session[100]: Failed password for invalid user test from ${A} port 50000 ssh2`,
        `gw2 sshd[100]: Failed password for root from ${B} port 50001 ssh2`,
      ],
      attempts: { [A]: 2, [B]: 1 },
    },
  ],
});

describe('attempts per connection (normal mode)', () => {
  it('refuses maxauthtries values it cannot use, and unknown options', () => {
    expect(() => run([], { options: { maxauthtries: 0 } })).toThrow(/maxauthtries/);
    expect(() => run([], { options: { maxauthtries: 'six' } })).toThrow(/maxauthtries/);
    expect(() => run([], { options: { maxtries: 3 } })).toThrow(/maxtries/);
  });

  it('forgets connections: sweep drops idle ones', () => {
    const runner = new FilterRunner(sshdFilter);
    const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
    const feed = (l: string) => runner.process(parser.parse(Buffer.from(l)), NOW);
    feed(L(100, `Connection from ${A} port 50000`));
    feed(L(101, `Connection from ${B} port 50001`, 660));
    runner.sweep(T0 + 11 * 60_000);
    expect(feed(L(100, 'Disconnecting: Too many authentication failures [preauth]', 661))).toEqual([]);
    expect(totals(feed(L(101, 'Disconnecting: Too many authentication failures [preauth]', 661)))).toEqual({ [B]: 1 });
  });
});

describe('session table', () => {
  it('is bounded: the least recently seen connection goes first', () => {
    const t = new SessionTable(60_000, 3);
    for (const k of ['a', 'b', 'c']) t.set(k, newSession(0));
    t.get('a', 1);
    t.set('d', newSession(2));
    expect(t.size).toBe(3);
    expect(t.get('b', 3)).toBeUndefined();
    expect(t.get('a', 3)).toBeDefined();
  });

  it('sweeps by the log clock when the log lags the wall clock', () => {
    const t = new SessionTable(60_000, 10);
    t.set('old', newSession(0));
    t.get('old', 0);
    t.set('new', newSession(50_000));
    t.get('new', 50_000);
    t.sweep(Date.now());
    expect(t.size).toBe(2);
    t.get('new', 70_000);
    t.sweep(Date.now());
    expect(t.size).toBe(1);
  });
});

describe('saved state (exact resume)', () => {
  const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
  const feed = (r: FilterRunner, l: string) => totals(r.process(parser.parse(Buffer.from(l)), NOW));

  it('carries a connection half-way through an attempt into a new runner, through JSON', () => {
    const first = new FilterRunner(sshdFilter);
    expect(feed(first, L(100, `Invalid user x from ${A} port 1`))).toEqual({ [A]: 1 });
    const saved = JSON.parse(JSON.stringify(first.exportState()));
    const next = new FilterRunner(sshdFilter);
    expect(next.importState(saved)).toBe(true);
    expect(feed(next, L(100, failed('invalid user x', A, 1), 1))).toEqual({ [A]: 0 });
    // Without the state the second line is a new attempt.
    expect(feed(new FilterRunner(sshdFilter), L(100, failed('invalid user x', A, 1), 1))).toEqual({ [A]: 1 });
  });

  it('ignores a state of another mode or filter, and entries of the wrong shape', () => {
    const first = new FilterRunner(sshdFilter);
    feed(first, L(100, `Invalid user x from ${A} port 1`));
    const saved = first.exportState()!;
    expect(new FilterRunner(sshdFilter, { mode: 'aggressive' }).importState(saved)).toBe(false);
    expect(new FilterRunner(sshdFilter).importState({ ...saved, filter: 'other' })).toBe(false);
    const broken = new FilterRunner(sshdFilter);
    broken.importState({ ...saved, state: { v: 1, logTime: null, sessions: [['gw1 100', { seen: 'x' }], 'junk', null] } });
    expect(feed(broken, L(100, failed('invalid user x', A, 1), 1))).toEqual({ [A]: 1 });
    expect(() => broken.importState({ filter: 'sshd', mode: 'normal', state: 42 })).not.toThrow();
  });
});
