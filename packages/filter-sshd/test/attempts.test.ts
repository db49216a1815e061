import { describe, it, expect } from 'vitest';
import { EntryParser, FilterRunner } from '@f2b/core';
import { sshdFilter } from '../src/index.js';
import { newSession, SessionTable } from '../src/sessions.js';
import { A, B, failed, L, NOW, pamFail, run, T0, totals } from './helpers.js';

describe('attempts per connection (normal mode)', () => {
  it('counts each Failed line once: 3 failed passwords are 3 attempts', () => {
    const fs = run([L(100, failed('root')), L(100, failed('root'), 2), L(100, failed('root'), 4)]);
    expect(totals(fs)).toEqual({ [A]: 3 });
    expect(fs).toHaveLength(3);
  });

  it('counts Invalid user + Failed password for invalid user as one attempt (OpenSSH 9.2, Debian 12)', () => {
    const fs = run([
      L(100, `Invalid user oracle from ${A} port 50000`),
      L(100, 'pam_unix(sshd:auth): check pass; user unknown'),
      L(100, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}`),
      L(100, failed('invalid user oracle'), 2),
      L(100, `Received disconnect from ${A} port 50000:11: Bye Bye [preauth]`, 3),
      L(100, `Disconnected from invalid user oracle ${A} port 50000 [preauth]`, 3),
    ]);
    expect(totals(fs)).toEqual({ [A]: 1 });
    // The Failed and Disconnected lines still show as matched, with 0 attempts.
    expect(fs.map((f) => [f.rule, f.attempts])).toEqual([['invalid-user', 1], ['failed-invalid-user', 0], ['closed-invalid-user', 0]]);
  });

  it('counts an Invalid user connection without a password as one attempt', () => {
    expect(totals(run([L(100, `Invalid user admin from ${A} port 50000`)]))).toEqual({ [A]: 1 });
    expect(totals(run([
      L(100, `Invalid user admin from ${A} port 50000`),
      L(100, `Connection closed by invalid user admin ${A} port 50000 [preauth]`, 1),
    ]))).toEqual({ [A]: 1 });
  });

  it('counts 6 failures + maximum attempts exceeded + Disconnecting as 6, not 8', () => {
    const lines = Array.from({ length: 6 }, (_, i) => L(100, failed('root'), i));
    lines.push(L(100, `error: maximum authentication attempts exceeded for root from ${A} port 50000 ssh2 [preauth]`, 6));
    lines.push(L(100, `Disconnecting authenticating user root ${A} port 50000: Too many authentication failures [preauth]`, 6));
    lines.push(L(100, `PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}  user=root`, 6));
    expect(totals(run(lines))).toEqual({ [A]: 6 });
  });

  it('counts what sshd logged for a connection ended by MaxAuthTries, one when it logged nothing', () => {
    const max = L(100, `error: maximum authentication attempts exceeded for git from ${A} port 50000 ssh2 [preauth]`);
    const disconnect = L(100, `Disconnecting authenticating user git ${A} port 50000: Too many authentication failures [preauth]`);
    expect(totals(run([max]))).toEqual({ [A]: 1 });
    expect(totals(run([max, disconnect]))).toEqual({ [A]: 1 });
    expect(totals(run([disconnect]))).toEqual({ [A]: 1 });
    expect(totals(run([L(100, failed('root')), L(100, failed('root')), max, disconnect]))).toEqual({ [A]: 2 });
  });

  it('does not ban the innocent: three typos on a MaxAuthTries 3 server are 3 attempts, not 6', () => {
    // OpenSSH 9.2 with UsePAM: each password attempt is a PAM line and a Failed line; at the third
    // failure sshd reports the limit twice, then PAM sums up.
    const lines = [0, 2, 4].flatMap((t) => [L(100, pamFail(A, 'alice'), t), L(100, failed('alice'), t + 1)]);
    lines.push(
      L(100, `error: maximum authentication attempts exceeded for alice from ${A} port 50000 ssh2 [preauth]`, 5),
      L(100, `Disconnecting authenticating user alice ${A} port 50000: Too many authentication failures [preauth]`, 5),
      L(100, `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}  user=alice`, 5),
    );
    const fs = run(lines);
    expect(totals(fs)).toEqual({ [A]: 3 });
    expect(fs.filter((f) => f.attempts > 0).map((f) => f.rule)).toEqual(['failed', 'failed', 'failed']);
  });

  it("counts an agent's refused keys as one attempt, and none when the right key follows", () => {
    const key = (n: number) => L(100, `Failed publickey for bob from ${A} port 50000 ssh2: ED25519 SHA256:KEY${n}`, n);
    // MaxAuthTries 6: sshd logs refused keys at INFO from the 3rd failure on (auth.c auth_log).
    const many = [3, 4, 5].map(key);
    many.push(
      L(100, `error: maximum authentication attempts exceeded for bob from ${A} port 50000 ssh2 [preauth]`, 6),
      L(100, `Disconnecting authenticating user bob ${A} port 50000: Too many authentication failures [preauth]`, 6),
    );
    expect(totals(run(many))).toEqual({ [A]: 1 });
    // Three stale keys, then the right one (nothing of the stale ones is logged at INFO by default,
    // and if it is, the success forgives them).
    expect(run([key(0), key(1), key(2), L(100, `Accepted publickey for bob from ${A} port 50000 ssh2: ED25519 SHA256:GOOD`, 3)])).toEqual([]);
  });

  it('pads a connection ended by MaxAuthTries to the maxauthtries option when it is set', () => {
    const max = L(100, `error: maximum authentication attempts exceeded for git from ${A} port 50000 ssh2 [preauth]`);
    expect(totals(run([max], { options: { maxauthtries: 3 } }))).toEqual({ [A]: 3 });
    expect(totals(run([max], { options: { maxauthtries: 6 } }))).toEqual({ [A]: 6 });
    expect(totals(run([L(100, failed('root')), L(100, failed('root')), max], { options: { maxauthtries: 3 } }))).toEqual({ [A]: 3 });
    // More failures than the option says were logged: nothing is taken back.
    expect(totals(run([L(100, failed('root')), L(100, failed('root')), max], { options: { maxauthtries: 1 } }))).toEqual({ [A]: 2 });
    expect(() => run([], { options: { maxauthtries: 0 } })).toThrow(/maxauthtries/);
    expect(() => run([], { options: { maxauthtries: 'six' } })).toThrow(/maxauthtries/);
    expect(() => run([], { options: { maxtries: 3 } })).toThrow(/maxtries/);
  });

  it('keeps failures before a success: 2 failures then Accepted are 2', () => {
    const fs = run([L(100, failed('root')), L(100, failed('root'), 1), L(100, `Accepted password for root from ${A} port 50000 ssh2`, 2)]);
    expect(totals(fs)).toEqual({ [A]: 2 });
  });

  it('forgives pending failures of the user who then logs in (stacked PAM, agent keys)', () => {
    expect(run([L(100, pamFail(A, 'carol')), L(100, `Accepted password for carol from ${A} port 50000 ssh2`)])).toEqual([]);
    expect(run([
      L(100, `Failed publickey for alice from ${A} port 50000 ssh2: ED25519 SHA256:AAAA`),
      L(100, `Failed publickey for alice from ${A} port 50000 ssh2: RSA SHA256:BBBB`),
      L(100, `Accepted publickey for alice from ${A} port 50000 ssh2: ECDSA SHA256:CCCC`),
      L(100, `Disconnected from user alice ${A} port 50000`, 60),
    ])).toEqual([]);
  });

  it('confirms pending failures when the connection ends without success', () => {
    expect(totals(run([L(100, pamFail()), L(100, `Connection closed by authenticating user root ${A} port 50000 [preauth]`, 2)]))).toEqual({ [A]: 1 });
    expect(totals(run([
      L(100, `Failed publickey for git from ${A} port 50000 ssh2: ED25519 SHA256:AAAA`),
      L(100, `Failed publickey for git from ${A} port 50000 ssh2: RSA SHA256:BBBB`),
      L(100, `Connection closed by authenticating user git ${A} port 50000 [preauth]`),
    ]))).toEqual({ [A]: 1 }); // refused keys: one attempt
    // A PAM line without user= may be anyone's: the success forgives it.
    expect(run([
      L(100, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${A}`),
      L(100, `Accepted password for carol from ${A} port 50000 ssh2`),
    ])).toEqual([]);
    // A PAM failure of another user than the one who logs in was a real failure.
    expect(totals(run([L(100, pamFail(A, 'root')), L(100, `Accepted password for known from ${A} port 50000 ssh2`)]))).toEqual({ [A]: 1 });
  });

  it('keeps interleaved connections apart by pid', () => {
    const fs = run([
      L(100, failed('root', A, 1)), L(200, `Invalid user test from ${B} port 2`), L(100, failed('root', A, 1), 1),
      L(200, failed('invalid user test', B, 2), 1), L(100, failed('root', A, 1), 2), L(200, failed('invalid user test', B, 2), 2),
    ]);
    expect(totals(fs)).toEqual({ [A]: 3, [B]: 2 });
  });

  it('keeps the same pid of two machines apart, and shares it between sshd and sshd-session', () => {
    const apart = run([
      L(100, `Invalid user test from ${A} port 1`, 0, 'sshd', 'hostA'),
      L(100, failed('invalid user test', A, 1), 1, 'sshd', 'hostB'),
    ]);
    expect(totals(apart)).toEqual({ [A]: 2 });
    const shared = run([
      L(100, `Invalid user test from ${A} port 1`, 0, 'sshd-session'),
      L(100, failed('invalid user test', A, 1), 1, 'sshd'),
    ]);
    expect(totals(shared)).toEqual({ [A]: 1 });
  });

  it('starts over when a pid comes back with another address or after the connection ended', () => {
    const fs = run([
      L(100, `Invalid user a from ${A} port 1`), L(100, `Invalid user b from ${B} port 2`, 1),
      L(100, failed('invalid user b', B, 2), 1),
      L(100, `error: maximum authentication attempts exceeded for root from ${A} port 3 ssh2 [preauth]`, 5),
      L(100, failed('root', A, 4), 6),
    ]);
    expect(totals(fs)).toEqual({ [A]: 1 + 1 + 1, [B]: 1 });
  });

  it('gives address-less lines the address of the connection (earlier or later lines)', () => {
    expect(totals(run([
      L(100, `Connection from ${A} port 50000 on 192.0.2.1 port 22 rdomain ""`),
      L(100, 'Disconnecting: Too many authentication failures for git [preauth]', 5),
    ]))).toEqual({ [A]: 1 });
    const later = run([
      L(100, 'Disconnecting: Too many authentication failures for git [preauth]'),
      L(100, `Connection closed by ${A} [preauth]`, 1),
    ]);
    expect(totals(later)).toEqual({ [A]: 1 });
    expect(later[0]!.rule).toBe('closed-preauth');
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

describe('other modes', () => {
  it('ddos: a probe is one attempt; a connection that tried to log in is no probe', () => {
    expect(totals(run([L(100, `Did not receive identification string from ${A} port 5`)], { mode: 'ddos' }))).toEqual({ [A]: 1 });
    const brute = run([
      L(100, failed('root')), L(100, failed('root'), 1),
      L(100, `Received disconnect from ${A} port 50000:11: Bye Bye [preauth]`, 2),
      L(100, `Disconnected from authenticating user root ${A} port 50000 [preauth]`, 2),
    ], { mode: 'ddos' });
    expect(totals(brute)).toEqual({ [A]: 0 });
    expect(totals(run([L(100, failed('root')), L(100, failed('root'), 1)], { mode: 'aggressive' }))).toEqual({ [A]: 2 });
  });

  it('extra: a close of an authenticating user without logged failure counts one', () => {
    const close = L(100, `Connection closed by authenticating user root ${A} port 50000 [preauth]`);
    expect(run([close])).toEqual([]);
    expect(totals(run([close], { mode: 'extra' }))).toEqual({ [A]: 1 });
  });

  it('reads journald lines (host ident[pid]: message)', () => {
    const fs = run([
      `gw1 sshd-session[100]: Invalid user test from ${A} port 50000`,
      `gw1 sshd-session[100]: Failed password for invalid user test from ${A} port 50000 ssh2`,
      `gw1 sshd-session[100]: Failed password for invalid user test from ${A} port 50000 ssh2`,
      `gw2 sshd[100]: Failed password for root from ${B} port 50001 ssh2`,
    ], { journal: true });
    expect(totals(fs)).toEqual({ [A]: 2, [B]: 1 });
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
