/**
 * Lab: real Exim (Debian's exim4-daemon-light, unpacked: see exim-daemon.ts) on 25 and 587 under
 * scripted attack from the attacker namespace — wrong AUTH passwords, relaying, unknown recipients,
 * talking before the greeting, an invalid HELO, AUTH without it being offered, junk commands,
 * pipelining without waiting — and an innocent client that sends mail, mistypes a password and a
 * recipient once each. Exim writes every line to its mainlog and to syslog; both captures are checked
 * against the episodes' truth with the `exim` filter in every mode, and `npm run lab -- exim` writes
 * them as fixtures of filter-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { compareWithTruth, type LabTruth } from '@f2b/core/testing';
import { eximFilter } from '@f2b/filter-mail';
import { createNetLab, SERVER, type NetLab } from '../netns-lab.js';
import { capturing, shortVersion, waitFor, writeCapture } from './lab-kit.js';
import { MAIL_DOMAIN, MAIL_PASSWORD, MAIL_USER } from './mail-daemons.js';
import { eximUnavailable, startExim, type EximLab } from './exim-daemon.js';
import { inModes, swaks, talk, truthOf, type Episode } from './mail-episodes.js';

const MODES = ['normal', 'more', 'aggressive'];
const AUTH = inModes(MODES);
const MORE = inModes(['more', 'aggressive']);
const FIXTURES = new URL('../../packages/filter-mail/test/fixtures/', import.meta.url);
const ATTACKERS = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.14', '192.0.2.15', '192.0.2.16'];

/** Adds counts per mode (an episode whose connection exim logs twice, e.g. the failure and `no MAIL`). */
const plus = (...counts: Record<string, number>[]) => {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [m, n] of Object.entries(c)) out[m] = (out[m] ?? 0) + n;
  return out;
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Our line client, failing the lab when a step does not happen (swaks' exit code is the SMTP outcome, so it is not checked). */
async function talkOk(...args: Parameters<typeof talk>) {
  const r = await talk(...args);
  if (r.code !== 0) throw new Error(`line client from ${args[3]} to port ${args[2]} stopped (${r.code}): ${r.stdout}${r.stderr}`);
  return r;
}

const why = eximUnavailable();
if (why) console.log(`exim lab skipped: ${why}`);

describe.skipIf(why !== null)('exim under scripted attack (real exim4-daemon-light)', () => {
  let net: NetLab;
  let exim: EximLab;

  beforeAll(async () => {
    net = await createNetLab({ attackerV4: ATTACKERS, dirPrefix: 'f2b-lab-exim-' });
    exim = await startExim(net);
  }, 60_000);

  afterAll(async () => {
    await net?.stop();
  });

  it('counts every attacker right and keeps the innocent under maxretry', async () => {
    const { att, inn, attackerV6: a6, innocent } = net;
    const [a1, a2, a3, a4, a5, a6v4, a7] = ATTACKERS as [string, string, string, string, string, string, string];
    const mta = SERVER.v4;
    // A connection that ends without MAIL is logged once more (`no MAIL in SMTP connection`, counted in more).
    const noMail = MORE;
    const episodes: Episode[] = [
      ...[1, 2, 3].map((): Episode => ({
        what: 'wrong AUTH LOGIN password on submission',
        ns: att,
        from: a1,
        counts: plus(AUTH, noMail),
        drive: () =>
          swaks(att, mta, 587, a1, [
            '--auth',
            'LOGIN',
            '--auth-user',
            MAIL_USER,
            '--auth-password',
            'wrong',
            '--helo',
            'x.example.org',
            '--quit-after',
            'AUTH',
          ]),
      })),
      {
        // swaks needs IO::Socket::INET6 for IPv6 (not installed): our line client.
        what: 'wrong AUTH PLAIN password over IPv6',
        ns: att,
        from: a6,
        counts: plus(AUTH, noMail),
        drive: () =>
          talkOk(att, SERVER.v6, 587, a6, [
            { expect: '^220 ' },
            { send: 'EHLO x.example.org\r\n' },
            { expect: '^250 ' },
            { send: `AUTH PLAIN ${b64('\0admin\0admin')}\r\n` },
            { expect: '^535 ' },
            { send: 'QUIT\r\n' },
            { expect: '^221 ' },
          ]),
      },
      ...[1, 2, 3].map((): Episode => ({
        what: 'relay attempt',
        ns: att,
        from: a2,
        counts: MORE,
        drive: () => swaks(att, mta, 25, a2, ['--to', 'victim@example.net', '--from', 'spam@example.org', '--helo', 'spam.example.org']),
      })),
      ...[1, 2].map((n): Episode => ({
        what: 'unknown recipient',
        ns: att,
        from: a3,
        counts: MORE,
        drive: () => swaks(att, mta, 25, a3, ['--to', `nobody${n}@${MAIL_DOMAIN}`, '--from', 'a@example.org', '--helo', 'mail.example.org']),
      })),
      {
        // The connect ACL holds this client's greeting for a second; its EHLO arrives before it.
        what: 'talks before the greeting',
        ns: att,
        from: a4,
        counts: MORE,
        drive: () => talkOk(att, mta, 25, a4, [{ send: 'EHLO pregreet.example.org\r\n' }, { expect: '^554 ' }]),
      },
      {
        what: 'syntactically invalid HELO name',
        ns: att,
        from: a5,
        counts: plus(MORE, noMail),
        drive: () =>
          talkOk(att, mta, 25, a5, [{ expect: '^220 ' }, { send: 'EHLO bad_helo!\r\n' }, { expect: '^501 ' }, { send: 'QUIT\r\n' }, { expect: '^221 ' }]),
      },
      {
        // HELO offers no extensions, so AUTH was not advertised.
        what: 'AUTH after HELO (not advertised)',
        ns: att,
        from: a6v4,
        counts: plus(MORE, noMail),
        drive: () =>
          talkOk(att, mta, 587, a6v4, [
            { expect: '^220 ' },
            { send: 'HELO x.example.org\r\n' },
            { expect: '^250 ' },
            { send: `AUTH PLAIN ${b64(`\0${MAIL_USER}\0guess`)}\r\n` },
            { expect: '^503 ' },
            { send: 'QUIT\r\n' },
            { expect: '^221 ' },
          ]),
      },
      {
        what: 'junk commands until exim drops the connection',
        ns: att,
        from: a7,
        counts: plus(MORE, noMail),
        drive: () => talkOk(att, mta, 25, a7, [{ expect: '^220 ' }, ...Array.from({ length: 4 }, () => [{ send: 'XYZZY\r\n' }, { expect: '^5' }]).flat()]),
      },
      {
        // With PIPE_CONNECT not offered, EHLO is a synchronisation point: exim drops the client.
        what: 'pipelines after EHLO without waiting',
        ns: att,
        from: a6,
        counts: plus(MORE, noMail),
        drive: () =>
          talkOk(att, SERVER.v6, 25, a6, [{ expect: '^220 ' }, { send: 'EHLO pipe.example.org\r\nMAIL FROM:<a@example.org>\r\n' }, { expect: '^554 ' }]),
      },
      // The innocent: a good mail; one mistyped password then the right one, and a mistyped
      // recipient next to the right one, in one session.
      {
        what: 'innocent sends a mail',
        ns: inn,
        from: innocent.v4,
        counts: {},
        drive: () => swaks(inn, mta, 25, innocent.v4, ['--to', MAIL_USER, '--from', 'friend@example.org', '--helo', 'mail.example.org']),
      },
      {
        what: 'innocent: one wrong password, then the right one, one mistyped recipient',
        ns: inn,
        from: innocent.v4,
        counts: plus(AUTH, MORE),
        drive: () =>
          talkOk(inn, mta, 587, innocent.v4, [
            { expect: '^220 ' },
            { send: 'EHLO laptop.example.org\r\n' },
            { expect: '^250 ' },
            { send: `AUTH PLAIN ${b64(`\0${MAIL_USER}\0correct-horse-24`)}\r\n` },
            { expect: '^535 ' },
            { send: `AUTH PLAIN ${b64(`\0${MAIL_USER}\0${MAIL_PASSWORD}`)}\r\n` },
            { expect: '^235 ' },
            { send: `MAIL FROM:<${MAIL_USER}>\r\n` },
            { expect: '^250 ' },
            { send: `RCPT TO:<alcie@${MAIL_DOMAIN}>\r\n` },
            { expect: '^5' },
            { send: `RCPT TO:<${MAIL_USER}>\r\n` },
            { expect: '^250 ' },
            { send: 'DATA\r\n' },
            { expect: '^354 ' },
            { send: 'Subject: hi\r\n\r\nhello\r\n.\r\n' },
            { expect: '^250 ' },
            { send: 'QUIT\r\n' },
            { expect: '^221 ' },
          ]),
      },
    ];
    for (const e of episodes) await e.drive();
    let last = -1;
    await waitFor(
      'the exim logs to settle',
      () => {
        const s = statSync(exim.mainlog).size + statSync(exim.syslog).size;
        const quiet = s === last;
        last = s;
        return quiet;
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1000));

    const expected = truthOf(episodes, MODES);
    for (const [name, file] of [
      ['mainlog', exim.mainlog],
      ['syslog', exim.syslog],
    ] as const) {
      const log = readFileSync(file, 'utf8');
      const truth: LabTruth = {
        filter: 'exim',
        software: `exim ${exim.version} (Debian exim4-daemon-light, ${name})`,
        captured: new Date().toISOString().slice(0, 10),
        logtype: 'text',
        maxretry: 3,
        innocent: [innocent.v4],
        expected,
      };
      if (capturing()) console.log(`captured: ${writeCapture(FIXTURES, `exim-${shortVersion(exim.version)}-${name}`, log, truth)}`);
      expect(compareWithTruth(eximFilter, log, truth), `${name}:\n${log}`).toEqual([]);
    }
  }, 90_000);
});
