/**
 * Lab: real Dovecot (IMAP and POP3, passwd-file users, auth_verbose = yes so the auth process writes
 * one line per attempt next to the login summaries) under scripted attack from the attacker namespace,
 * and an innocent user who mistypes once and then logs in. Dovecot's own log file (log_path) is
 * checked against the episodes' truth with the `dovecot` filter in both modes;
 * `npm run lab -- dovecot` also writes it as a fixture of filter-mail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareWithTruth, type LabTruth } from '@f2b/core/testing';
import { dovecotFilter } from '@f2b/filter-mail';
import { createNetwork, labUnavailable, SERVER, stopChildren, type LabNetwork } from '../netns-lab.js';
import { capturing, debianVersion, waitFor, writeCapture } from './lab-kit.js';
import { MAIL_PASSWORD, MAIL_USER, mailDaemonsUnavailable, startDovecot, type Daemon } from './mail-daemons.js';
import { inModes, talk, truthOf, type Episode } from './mail-episodes.js';

const MODES = ['normal', 'aggressive'];
const FAILED = inModes(MODES);
const FIXTURES = new URL('../../packages/filter-mail/test/fixtures/', import.meta.url);

const imapLogin = (password: string, tag: string) => [{ send: `${tag} LOGIN ${MAIL_USER} ${password}\r\n` }, { expect: `^${tag} (?:OK|NO|BAD)` }];
const imap = (...logins: object[][]) => [{ expect: '^\\* OK' }, ...logins.flat(), { send: 'z LOGOUT\r\n' }, { expect: '^z OK' }];
const pop3 = (password: string) => [
  { expect: '^\\+OK' },
  { send: `USER ${MAIL_USER}\r\n` },
  { expect: '^\\+OK' },
  { send: `PASS ${password}\r\n` },
  { expect: '^[-+]' },
  { send: 'QUIT\r\n' },
  { expect: '^\\+OK' },
];

const why = labUnavailable() ?? mailDaemonsUnavailable();
if (why) console.log(`dovecot lab skipped: ${why}`);

describe.skipIf(why !== null)('dovecot under scripted attack (real dovecot, IMAP and POP3)', () => {
  let net: LabNetwork;
  let dir: string;
  let dovecot: Daemon;

  beforeAll(async () => {
    net = createNetwork();
    dir = mkdtempSync(join(tmpdir(), 'f2b-lab-dovecot-'));
    chmodSync(dir, 0o755);
    dovecot = await startDovecot(net.srv, dir);
  }, 60_000);

  afterAll(async () => {
    await stopChildren([dovecot?.child].filter((c) => c !== undefined));
    net?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts every attacker right and keeps the innocent under maxretry', async () => {
    const {
      att,
      inn,
      attackerV4: [a1, a2, a3],
      attackerV6: a6,
      innocent,
    } = net;
    const episodes: Episode[] = [
      // One IMAP connection, three wrong passwords: the summary says 3 attempts, the auth process
      // wrote one line each; together they count 3.
      {
        what: 'IMAP: three wrong passwords on one connection',
        ns: att,
        from: a1!,
        counts: inModes(MODES, 3),
        drive: () => talk(att, SERVER.v4, 143, a1!, imap(imapLogin('a', 'a1'), imapLogin('b', 'a2'), imapLogin('c', 'a3'))),
      },
      ...[1, 2].map((): Episode => ({
        what: 'POP3: a wrong password',
        ns: att,
        from: a2!,
        counts: FAILED,
        drive: () => talk(att, SERVER.v4, 110, a2!, pop3('wrong')),
      })),
      {
        what: 'IMAP over IPv6: a wrong password',
        ns: att,
        from: a6,
        counts: FAILED,
        drive: () => talk(att, SERVER.v6, 143, a6, imap(imapLogin('wrong', 'b1'))),
      },
      {
        what: 'IMAP: connects and leaves without logging in',
        ns: att,
        from: a3!,
        counts: { aggressive: 1 },
        drive: () => talk(att, SERVER.v4, 143, a3!, imap()),
      },
      // The innocent mistypes once, then logs in on the same connection (counted once, under maxretry).
      {
        what: 'innocent: one typo, then the right password',
        ns: inn,
        from: innocent.v4,
        counts: FAILED,
        drive: () => talk(inn, SERVER.v4, 143, innocent.v4, imap(imapLogin('correct-horse-24', 'c1'), imapLogin(MAIL_PASSWORD, 'c2'))),
      },
      {
        what: 'innocent: POP3 with the right password',
        ns: inn,
        from: innocent.v4,
        counts: {},
        drive: () => talk(inn, SERVER.v4, 110, innocent.v4, pop3(MAIL_PASSWORD)),
      },
    ];
    for (const e of episodes) {
      const r = (await e.drive()) as { code: number | null; stdout: string };
      expect(r.code, `${e.what}: ${r.stdout}\n${readFileSync(dovecot.log, 'utf8')}`).toBe(0);
    }
    let last = -1;
    await waitFor(
      'the dovecot log to settle',
      () => {
        const s = statSync(dovecot.log).size;
        const quiet = s === last;
        last = s;
        return quiet;
      },
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const log = readFileSync(dovecot.log, 'utf8');
    const truth: LabTruth = {
      filter: 'dovecot',
      software: `dovecot ${dovecot.version} (Debian ${debianVersion('dovecot-core') ?? '?'})`,
      captured: new Date().toISOString().slice(0, 10),
      logtype: 'text',
      maxretry: 3,
      innocent: [innocent.v4],
      expected: truthOf(episodes, MODES),
    };
    if (capturing()) console.log(`captured: ${writeCapture(FIXTURES, `dovecot-${dovecot.version}`, log, truth)}`);
    expect(compareWithTruth(dovecotFilter, log, truth), log).toEqual([]);
  }, 90_000);
});
