/**
 * Lab: real Postfix (postscreen on 25, smtpd, submission with Dovecot SASL) under scripted attack
 * from the attacker namespace, and an innocent client that sends mail and logs in right. The log
 * postfix writes (postlogd's maillog_file) is checked against the episodes' truth with the `postfix`
 * filter in every mode; `npm run lab -- postfix` also writes it as a fixture of filter-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithTruth, type LabTruth } from '@f2b/core/testing';
import { postfixFilter } from '@f2b/filter-mail';
import { createNetwork, labUnavailable, SERVER, stopChildren, type LabNetwork } from '../netns-lab.js';
import { capturing, debianVersion, waitFor, writeCapture } from './lab-kit.js';
import { MAIL_DOMAIN, MAIL_PASSWORD, MAIL_USER, mailDaemonsUnavailable, startDovecot, startPostfix, type Daemon } from './mail-daemons.js';
import { inModes, swaks, talk, truthOf, type Episode } from './mail-episodes.js';

const MODES = ['more', 'normal', 'rbl', 'auth', 'errors', 'ddos', 'aggressive'];
const REJECT = inModes(['more', 'normal', 'aggressive']);
const SASL = { auth: 1, ddos: 1, aggressive: 1 };
const ERRORS = inModes(['more', 'errors', 'aggressive']);
const DDOS = inModes(['ddos', 'aggressive']);
const FIXTURES = new URL('../../packages/filter-mail/test/fixtures/', import.meta.url);

const why = labUnavailable() ?? mailDaemonsUnavailable();
if (why) console.log(`postfix lab skipped: ${why}`);

describe.skipIf(why !== null)('postfix under scripted attack (real postfix, postscreen, dovecot SASL)', () => {
  let net: LabNetwork;
  let dir: string;
  let postfix: Daemon;
  let dovecot: Daemon;

  beforeAll(async () => {
    net = createNetwork();
    dir = mkdtempSync(join(tmpdir(), 'f2b-lab-postfix-'));
    chmodSync(dir, 0o755);
    dovecot = await startDovecot(net.srv, dir);
    postfix = await startPostfix(net.srv, dir, { authSocket: (dovecot as Daemon & { authSocket: string }).authSocket });
  }, 60_000);

  afterAll(async () => {
    await stopChildren([postfix?.child, dovecot?.child].filter((c) => c !== undefined));
    net?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every attacker right and keeps the innocent under maxretry', async () => {
    const {
      att,
      inn,
      attackerV4: [a1, a2, a3, a4],
      attackerV6: a6,
      innocent,
    } = net;
    const mta = SERVER.v4;
    const relay = ['--to', 'victim@example.net', '--from', 'spam@example.org', '--helo', 'spam.example.org'];
    const episodes: Episode[] = [
      ...[1, 2, 3].map((): Episode => ({ what: 'relay attempt', ns: att, from: a1!, counts: REJECT, drive: () => swaks(att, mta, 25, a1!, relay) })),
      ...[1, 2, 3].map((n): Episode => ({
        what: 'unknown recipient',
        ns: att,
        from: a2!,
        counts: REJECT,
        drive: () => swaks(att, mta, 25, a2!, ['--to', `nobody${n}@${MAIL_DOMAIN}`, '--from', 'a@example.org', '--helo', 'mail.example.org']),
      })),
      ...[1, 2].map((): Episode => ({
        what: 'HELO not fully qualified',
        ns: att,
        from: a3!,
        counts: REJECT,
        drive: () => swaks(att, mta, 25, a3!, ['--to', MAIL_USER, '--from', 'a@example.org', '--helo', 'localhost']),
      })),
      ...[1, 2, 3].map((): Episode => ({
        what: 'wrong SASL password on submission',
        ns: att,
        from: a3!,
        counts: SASL,
        drive: () =>
          swaks(att, mta, 587, a3!, [
            '--auth',
            'LOGIN',
            '--auth-user',
            MAIL_USER,
            '--auth-password',
            'wrong',
            '--to',
            MAIL_USER,
            '--helo',
            'x.example.org',
            '--quit-after',
            'AUTH',
          ]),
      })),
      {
        // Two verdicts of postscreen on one connection: PREGREET (EHLO before the greeting ended,
        // postscreen_greet_wait = 1s), then the recipient rejected with `550 5.5.1 Protocol error`
        // because the client failed that test.
        what: 'talks before the greeting, then tries a recipient',
        ns: att,
        from: a4!,
        counts: inModes(['more', 'normal', 'aggressive'], 2),
        drive: () =>
          talk(att, mta, 25, a4!, [
            { send: 'EHLO pregreet.example.org\r\n' },
            { sleep: 1500 },
            { send: 'EHLO pregreet.example.org\r\n' },
            { expect: '^250 ' },
            { send: 'MAIL FROM:<a@example.org>\r\n' },
            { expect: '^250 ' },
            { send: `RCPT TO:<${MAIL_USER}>\r\n` },
            { expect: '^5' },
            { send: 'QUIT\r\n' },
            { expect: '^221' },
          ]),
      },
      ...[1, 2].map((): Episode => ({
        what: 'connects and hangs up at once',
        ns: att,
        from: a4!,
        counts: DDOS,
        drive: () => talk(att, mta, 587, a4!, [{ close: true }]),
      })),
      {
        what: 'too many errors (junk commands past smtpd_hard_error_limit)',
        ns: att,
        from: a2!,
        counts: ERRORS,
        drive: () => talk(att, mta, 587, a2!, [{ expect: '^220 ' }, ...Array.from({ length: 21 }, () => [{ send: 'XYZZY\r\n' }, { expect: '^5' }]).flat()]),
      },
      {
        what: 'HTTP on the SMTP port (non-SMTP command)',
        ns: att,
        from: a6,
        counts: REJECT,
        drive: () => talk(att, SERVER.v6, 587, a6, [{ expect: '^220 ' }, { send: 'GET / HTTP/1.0\r\n' }, { expect: '^5' }]),
      },
      {
        what: 'pipelines before the EHLO reply',
        ns: att,
        from: a6,
        counts: REJECT,
        drive: () =>
          talk(att, SERVER.v6, 587, a6, [
            { expect: '^220 ' },
            { send: 'EHLO pipe.example.org\r\nMAIL FROM:<a@example.org>\r\n' },
            { expect: '^250 ' },
            { expect: '^250 ' },
            { send: 'QUIT\r\n' },
            { expect: '^221' },
          ]),
      },
      // The innocent: a good mail on 25, a typo in a recipient, a mistyped password, then the right one.
      {
        what: 'innocent sends a mail',
        ns: inn,
        from: innocent.v4,
        counts: {},
        drive: () => swaks(inn, mta, 25, innocent.v4, ['--to', MAIL_USER, '--from', 'friend@example.org', '--helo', 'mail.example.org']),
      },
      {
        what: 'innocent mistypes a recipient',
        ns: inn,
        from: innocent.v4,
        counts: REJECT,
        drive: () => swaks(inn, mta, 25, innocent.v4, ['--to', `alcie@${MAIL_DOMAIN}`, '--from', 'friend@example.org', '--helo', 'mail.example.org']),
      },
      {
        what: 'innocent mistypes the password once',
        ns: inn,
        from: innocent.v4,
        counts: SASL,
        drive: () =>
          swaks(inn, mta, 587, innocent.v4, [
            '--auth',
            'PLAIN',
            '--auth-user',
            MAIL_USER,
            '--auth-password',
            'correct-horse-24',
            '--to',
            'friend@example.org',
            '--helo',
            'laptop.example.org',
            '--quit-after',
            'AUTH',
          ]),
      },
      {
        what: 'innocent logs in and sends',
        ns: inn,
        from: innocent.v4,
        counts: {},
        drive: () =>
          swaks(inn, mta, 587, innocent.v4, [
            '--auth',
            'PLAIN',
            '--auth-user',
            MAIL_USER,
            '--auth-password',
            MAIL_PASSWORD,
            '--from',
            MAIL_USER,
            '--to',
            'friend@example.org',
            '--helo',
            'laptop.example.org',
          ]),
      },
    ];
    for (const e of episodes) await e.drive();
    // Settle: every session has ended (postscreen and smtpd log a disconnect) and the log is quiet.
    let last = -1;
    await waitFor(
      'the postfix log to settle',
      () => {
        const s = statSync(postfix.log).size;
        const quiet = s === last;
        last = s;
        return quiet;
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const log = readFileSync(postfix.log, 'utf8');

    const truth: LabTruth = {
      filter: 'postfix',
      software: `postfix ${postfix.version} (Debian ${debianVersion('postfix') ?? '?'}), dovecot ${dovecot.version} SASL`,
      captured: new Date().toISOString().slice(0, 10),
      logtype: 'text',
      maxretry: 3,
      innocent: [innocent.v4],
      expected: truthOf(episodes, MODES),
    };
    if (capturing()) console.log(`captured: ${writeCapture(FIXTURES, `postfix-${postfix.version}`, log, truth)}`);
    expect(compareWithTruth(postfixFilter, log, truth), log).toEqual([]);
  }, 90_000);
});
