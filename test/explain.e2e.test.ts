/**
 * Issue 16, `f2b explain <ip>`: a real daemon (SQLite state, the sshd filter, the log action) asked
 * about addresses in each state — banned (rule, failures, ban number, origin, end, lines), ignored
 * (the ignoreip entry that matched), below maxretry (n/N, the failures with rule and captures, when
 * they are forgotten), failures older than findtime, a ban that ended, and one never seen — in JSON
 * and as text, with the attacker's line escaped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlRequest, type Explanation } from '@f2b/core';
import { runF2b, sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';

const tmp = tempDir('f2b-explain-');
const log = join(tmp.dir, 'auth.log');
const sock = join(tmp.dir, 'f2b.sock');
let daemon: RunningF2b;
let pid = 100;
const line = (msg: string, time?: Date) => appendFileSync(log, sshdLine(msg, { pid: pid++, time }));

/** The daemon's answer, asked in-process (quick: the loops below ask until the daemon has read). */
function explain(ip: string): Promise<Explanation> {
  return controlRequest<Explanation>(sock, 'explain', { ip });
}

beforeAll(async () => {
  writeFileSync(log, '');
  const cfg = join(tmp.dir, 'f2b.config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      state: { path: join(tmp.dir, 'f2b.db') },
      socket: sock,
      jails: {
        sshd: {
          source: { type: 'file', paths: [log], pollInterval: 50 },
          filter: 'sshd',
          maxretry: 3,
          findtime: '10m',
          bantime: '1h',
          ignoreself: false,
          ignoreip: ['198.51.100.0/24'],
          actions: ['log'],
        },
        // The same log, bans of a second: the ban that ended.
        brief: {
          source: { type: 'file', paths: [log], pollInterval: 50 },
          filter: 'sshd',
          maxretry: 100,
          findtime: '10m',
          bantime: '1s',
          ignoreself: false,
          actions: ['log'],
        },
      },
    }),
  );
  daemon = startF2b(['start', '--foreground', '--config', cfg]);
  await daemon.waitFor(/Started 2 jail/, 'stderr', 20_000);
}, 30_000);

afterAll(async () => {
  await daemon?.stop();
  tmp.cleanup();
});

describe('f2b explain', () => {
  it('says why an address is banned: rule, failures, ban number, origin, end, lines', async () => {
    for (let i = 0; i < 3; i++) line(`Failed password for root from 203.0.113.81 port ${1000 + i} ssh2`);
    await daemon.waitFor(/NOTICE \[sshd\] Ban 203\.0\.113\.81 /, 'stderr');
    // Once through the command line's --json: the daemon's answer, exactly.
    const cli = await runF2b(['explain', '203.0.113.81', '--json', '--socket', sock]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const r = JSON.parse(cli.stdout) as Explanation;
    expect(r).toEqual({ ...(await explain('203.0.113.81')), now: r.now });
    expect(r.banned).toBe(true);
    const sshd = r.jails.find((j) => j.jail === 'sshd')!;
    expect(sshd.verdict).toBe('banned');
    expect(sshd.ban).toMatchObject({ active: true, failures: 3, count: 1, origin: 'local', rule: expect.any(String) });
    expect(sshd.ban!.end! - sshd.ban!.start).toBe(3_600_000);
    expect(sshd.ban!.lines).toHaveLength(3);
    expect(sshd.ban!.lines[0]).toContain('Failed password for root from 203.0.113.81 port 1000');
    // The other jail counts the same lines, far below its maxretry.
    const brief = r.jails.find((j) => j.jail === 'brief')!;
    expect(brief.verdict).toBe('below-threshold');
    expect(brief.window.attempts).toBe(3);

    const text = await runF2b(['explain', '203.0.113.81', '--socket', sock]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('203.0.113.81 is banned in 1 of 2 jails: sshd.');
    expect(text.stdout).toMatch(/Banned: 3 failures within findtime 10m reached maxretry 3/);
    expect(text.stdout).toContain('ban #1 of this address, origin local');
  });

  it('says which ignoreip entry holds an ignored address, with the failure it ignored', async () => {
    line('Failed password for admin from 198.51.100.23 port 2000 ssh2');
    line('Failed password for root from 203.0.113.99 port 2001 ssh2'); // a marker: read after the one above
    await waitUntil(async () => (await explain('203.0.113.99')).jails[0]!.window.attempts === 1);
    const r = await explain('198.51.100.23');
    const sshd = r.jails.find((j) => j.jail === 'sshd')!;
    expect(sshd.verdict).toBe('ignored');
    expect(sshd.ignored).toEqual({ reason: 'ignoreip', entry: '198.51.100.0/24' });
    expect(sshd.notCounted).toHaveLength(1);
    expect(sshd.notCounted[0]).toMatchObject({ reason: 'ignoreip', captures: expect.objectContaining({ user: 'admin' }) });
    const text = await runF2b(['explain', '198.51.100.23', '--socket', sock]);
    expect(text.stdout).toContain('Never banned here: ignoreip entry 198.51.100.0/24 holds it.');
    // Not seen at all, and still ignored: the rule applies to whatever comes.
    const unseen = await explain('198.51.100.200');
    expect(unseen.jails.find((j) => j.jail === 'sshd')).toMatchObject({ verdict: 'ignored', notCounted: [] });
  });

  it('below maxretry: n of N, each failure with its rule, captures and line, and when they are forgotten', async () => {
    // The attacker's user name carries a terminal escape: the text output must not.
    line('Failed password for invalid user \x1b]0;pwned\x07eve from 203.0.113.82 port 3000 ssh2');
    line('Failed password for root from 203.0.113.82 port 3001 ssh2');
    await waitUntil(async () => (await explain('203.0.113.82')).jails[0]!.window.attempts === 2);
    const r = await explain('203.0.113.82');
    const sshd = r.jails.find((j) => j.jail === 'sshd')!;
    expect(sshd.verdict).toBe('below-threshold');
    expect(sshd.window).toMatchObject({ attempts: 2, maxretry: 3 });
    const [first, second] = sshd.window.failures;
    expect(first!.rule).toEqual(expect.any(String));
    expect(first!.captures).toMatchObject({ user: '\x1b]0;pwned\x07eve' });
    expect(first!.lines[0]).toContain('port 3000');
    expect(second!.captures).toMatchObject({ user: 'root' });
    expect(sshd.window.firstForgottenAt).toBe(first!.time + 600_000);
    expect(sshd.window.allForgottenAt).toBe(second!.time + 600_000);

    const text = await runF2b(['explain', '203.0.113.82', '--socket', sock]);
    expect(text.stdout).toMatch(/Not banned: 2 of 3 failures within findtime 10m; the oldest is forgotten .*; 1 more before then ban it\./);
    expect(text.stdout).toContain('user="\\x1b]0;pwned\\x07eve"');
    expect(text.stdout).not.toContain('\x1b');
    expect(text.stdout).not.toContain('\x07');
  });

  it('failures older than findtime: seen, not counted', async () => {
    const old = new Date(Date.now() - 3_600_000);
    line('Failed password for root from 203.0.113.83 port 4000 ssh2', old);
    line('Failed password for root from 203.0.113.83 port 4001 ssh2', old);
    await waitUntil(async () => (await explain('203.0.113.83')).jails[0]!.outside.length === 2);
    const sshd = (await explain('203.0.113.83')).jails.find((j) => j.jail === 'sshd')!;
    expect(sshd.verdict).toBe('outside-findtime');
    expect(sshd.window.attempts).toBe(0);
    expect(sshd.outside[0]).toMatchObject({ time: old.getTime(), rule: expect.any(String) });
    const text = await runF2b(['explain', '203.0.113.83', '--socket', sock]);
    expect(text.stdout).toContain('Not banned: its 2 failures are older than findtime 10m, so they do not count.');
  });

  it('lines only a rule of another filter mode counts: which rule, which modes would count them', async () => {
    // sshd's ddos rules: in mode normal these lines only tell the reducer that a connection ended.
    line('Connection closed by 203.0.113.85 port 4100 [preauth]');
    line('Received disconnect from 203.0.113.85 port 4101:11: Bye Bye [preauth]');
    await waitUntil(async () => (await explain('203.0.113.85')).jails[0]!.otherModes.length === 2);
    const cli = await runF2b(['explain', '203.0.113.85', '--json', '--socket', sock]);
    expect(cli.code).toBe(0);
    const sshd = (JSON.parse(cli.stdout) as Explanation).jails.find((j) => j.jail === 'sshd')!;
    expect(sshd.verdict).toBe('mode-not-counted');
    expect(sshd.window.attempts).toBe(0);
    expect(sshd.otherModes).toEqual([
      expect.objectContaining({
        rule: 'closed-preauth',
        modes: ['ddos', 'aggressive'],
        lines: [expect.stringContaining('port 4100 [preauth]')],
        seen: expect.any(Number),
      }),
      expect.objectContaining({ rule: 'disconnect-preauth', modes: ['ddos', 'aggressive'], lines: [expect.stringContaining('port 4101:11')] }),
    ]);
    const text = await runF2b(['explain', '203.0.113.85', '--socket', sock]);
    expect(text.stdout).toContain('not counted in this mode');
    expect(text.stdout).toContain(
      'Not banned: its lines matched only rules that filter mode normal does not count (closed-preauth, disconnect-preauth); mode ddos or aggressive would count them.',
    );
    expect(text.stdout).toContain('lines mode normal does not count (the last 2):');
    expect(text.stdout).toMatch(/rule closed-preauth, 1 attempt, .*counted in mode ddos or aggressive/);
    // A line the mode counts is no "other mode" line, even when a ddos rule would match it too.
    expect((await explain('203.0.113.81')).jails[0]!.otherModes).toEqual([]);
  });

  it('a ban that ended, and an address never seen', async () => {
    expect((await runF2b(['ban', 'brief', '203.0.113.84', '--socket', sock])).code).toBe(0);
    await daemon.waitFor(/\[brief\] Unban 203\.0\.113\.84/, 'stderr');
    const r = await explain('203.0.113.84');
    expect(r.banned).toBe(false);
    const brief = r.jails.find((j) => j.jail === 'brief')!;
    expect(brief.verdict).toBe('ban-ended');
    expect(brief.pastBans[0]).toMatchObject({ active: false, origin: 'manual', rule: 'manual', count: 1 });
    expect(r.jails.find((j) => j.jail === 'sshd')!.verdict).toBe('not-seen');
    const text = await runF2b(['explain', '203.0.113.84', '--socket', sock]);
    expect(text.stdout).toContain('Not banned: its last ban ended');

    const none = await runF2b(['explain', '2001:db8::77', '--socket', sock]);
    expect(none.stdout).toContain('2001:db8::77 is not banned (2 jails asked).');
    expect(none.stdout).toContain('Nothing about this address in this jail');
  });

  it('refuses what is not an address (exit 2), before asking the daemon', async () => {
    const r = await runF2b(['explain', 'not-an-ip', '--socket', sock]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('F2B_ERR_ADDRESS_INVALID');
  });
});

/** Ask until the daemon has read what the test wrote (it reads on its own schedule). */
async function waitUntil(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the daemon did not get there in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
