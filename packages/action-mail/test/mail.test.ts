/**
 * The mail action against a real SMTP server on loopback (postfix's smtp-sink, dumping what it
 * receives): recipients, subject and body as sent, header injection from log text impossible, the
 * password never printed, at-least-once retries without double mail, digests on the clock; and the
 * sendmail transport's argv and stdin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionTester, FakeClock } from '@f2b/core/testing';
import mailAction, {
  composeEvents,
  headerText,
  localNotes,
  normalizeOptions,
  scrub,
  untrustedProgram,
  type MailAction,
  type MailOptions,
} from '../src/index.js';
import { parseDump, sinkUnavailable, startSink, type Sink } from './smtp-sink.js';

const PASSWORD = 'pa55-w0rd-never-printed';
const tmp = mkdtempSync(join(tmpdir(), 'f2b-mail-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('composing', () => {
  const cfg = normalizeOptions({ to: 'admin@example.org', from: 'f2b@host.example', whois: 'local' });

  it('headers never carry log text; the body has it escaped', () => {
    const ban = {
      jail: 'sshd',
      id: '203.0.113.5',
      start: 0,
      end: 3_600_000,
      count: 2,
      failures: 5,
      rule: 'x\r\nBcc: evil@example.net',
      lines: ['Failed password for root\r\nBcc: evil@example.net from 203.0.113.5'],
    };
    const mail = composeEvents(cfg, 'sshd', [{ type: 'ban', ban }]);
    expect(mail.subject).toBe(`[f2b] sshd: banned 203.0.113.5 on ${cfg.host}`);
    expect(mail.text).toContain('  | Failed password for root\\x0d\\x0aBcc: evil@example.net from 203.0.113.5');
    expect(mail.text).toContain('rule x\\x0d\\x0aBcc: evil@example.net');
    expect(mail.text).not.toMatch(/\r|\nBcc:/);
    expect(headerText('a\r\nBcc: b\u2028c\u0085d')).toBe('aBcc: bcd');
  });

  it('a flood in one call is one readable mail: 50 bans in full, the rest one line each', () => {
    const bans = Array.from({ length: 120 }, (_, i) => ({
      type: 'ban' as const,
      ban: { jail: 'sshd', id: `198.51.100.${i}`, start: 0, end: 60_000, count: 1, failures: 3 },
    }));
    const mail = composeEvents(cfg, 'sshd', bans);
    expect(mail.subject).toBe(`[f2b] sshd: 120 bans on ${cfg.host}`);
    expect(mail.text.match(/^Address: /gm)).toHaveLength(50);
    expect(mail.text).toContain('The other 70 bans:');
    expect(mail.text).toContain('1970-01-01T00:00:00.000Z  ban    198.51.100.119  until 1970-01-01T00:01:00.000Z  (failures 3, ban #1)');
  });

  it('local notes: network, special ranges, ban count — no lookup', () => {
    expect(localNotes('203.0.113.5', 1)).toEqual([
      'Family:   IPv4; its /24 is 203.0.113.0/24',
      'Range:    documentation, TEST-NET-3 (RFC 5737)',
      'Bans:     first ban of this address',
    ]);
    expect(localNotes('2001:db8:1::/48', 3)).toEqual([
      'Family:   IPv6 network of 2^80 addresses',
      'Range:    documentation (RFC 3849)',
      'Bans:     ban #3 of this address',
    ]);
  });

  it('addresses are plain addresses only; a password in the config is refused', () => {
    expect(() => normalizeOptions({ to: 'a@example.org\r\nBcc: b@example.org' })).toThrow(/not a plain mail address/);
    expect(() => normalizeOptions({ to: '-oQ/tmp@example.org' })).not.toThrow(); // a local part may start with "-": sendmail gets "--" first
    expect(() => normalizeOptions({ to: 'Admin <a@example.org>' })).toThrow(/not a plain mail address/);
    expect(() => normalizeOptions({ to: 'a@example.org', smtp: { user: 'u', password: 'x' } as never })).toThrow(/not allowed in the config/);
    expect(() => normalizeOptions({ to: 'a@example.org', smtp: { user: 'u' } })).toThrow(/passwordFile and passwordEnv/);
  });

  it('scrub removes the password and its base64 form from any text', () => {
    normalizeOptions({ to: 'a@example.org', smtp: { user: 'u', passwordEnv: 'F2B_TEST_MAIL_PW' } }, { F2B_TEST_MAIL_PW: PASSWORD });
    expect(scrub(`535 auth failed for ${PASSWORD} / ${Buffer.from(PASSWORD).toString('base64')}`)).toBe('535 auth failed for [redacted] / [redacted]');
  });
});

const skip = sinkUnavailable();
if (skip) console.log(`skipping @f2b/action-mail SMTP tests: ${skip}`);

describe.skipIf(skip !== null)('@f2b/action-mail over SMTP to smtp-sink on loopback', () => {
  let sink: Sink;
  let pwFile: string;

  beforeAll(async () => {
    sink = await startSink();
    pwFile = join(tmp, 'smtp-password');
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await sink?.stop();
  });

  let seen = 0;
  beforeEach(() => {
    seen = sink.mails().length;
  });
  const newMails = () => sink.mails().slice(seen);

  function tester(options: Partial<MailOptions>, clock?: FakeClock): ActionTester {
    return new ActionTester({
      plugin: mailAction(),
      type: 'mail',
      jail: 'sshd',
      clock,
      options: {
        to: ['admin@example.org', 'ops@example.org'],
        from: 'f2b@host.example',
        smtp: { host: '127.0.0.1', port: sink.port, user: 'f2b', passwordFile: pwFile, timeout: 5 },
        ...options,
      } as Record<string, unknown>,
    });
  }

  it('mails a ban to every recipient: subject, body, log lines escaped, no header from the log', async () => {
    const t = tester({ whois: 'local' });
    await t.start();
    const ban = {
      ...t.ban('203.0.113.5', { bantime: 3600 }),
      rule: 'password',
      lines: ['sshd[1]: Failed password for x\r\nBcc: evil@example.net from 203.0.113.5 port 22'],
    };
    await t.instance.ban([ban]);
    await sink.waitForMails(seen + 1);
    const [mail, ...more] = newMails();
    expect(more).toEqual([]);
    expect(mail!.rcpt).toEqual(['admin@example.org', 'ops@example.org']);
    expect(mail!.mailFrom).toBe('f2b@host.example');
    expect(mail!.headers.get('subject')).toEqual([expect.stringMatching(/^\[f2b\] sshd: banned 203\.0\.113\.5 on \S+$/)]);
    expect(mail!.headers.get('to')).toEqual(['admin@example.org, ops@example.org']);
    expect(mail!.headers.get('auto-submitted')).toEqual(['auto-generated']);
    expect(mail!.headers.has('bcc')).toBe(false);
    expect(mail!.body).toContain('f2b banned 203.0.113.5 in the jail sshd.');
    expect(mail!.body).toContain(`Until:     ${new Date(ban.end!).toISOString()} (1h)`);
    expect(mail!.body).toContain('  | sshd[1]: Failed password for x\\x0d\\x0aBcc: evil@example.net from 203.0.113.5 port 22');
    expect(mail!.body).toContain('Range:    documentation, TEST-NET-3 (RFC 5737)');
    expect(mail!.raw).not.toMatch(/^Bcc:/m);
    await t.stop();
    expect(t.errors).toEqual([]);
  });

  it('a batch of bans is one mail; a retried call (at least once) mails nothing twice; unbans only when asked', async () => {
    const t = tester({ events: ['ban', 'unban'] });
    await t.start();
    const bans = [t.ban('198.51.100.7'), t.ban('2001:db8::7')];
    await t.instance.ban(bans);
    await t.instance.ban(bans); // the outbox delivering again after a crash
    await t.applyUnbans('198.51.100.7');
    await sink.waitForMails(seen + 2);
    const mails = newMails();
    expect(mails.map((m) => m.headers.get('subject')![0])).toEqual([
      expect.stringMatching(/^\[f2b\] sshd: 2 bans on /),
      expect.stringMatching(/^\[f2b\] sshd: unbanned 198\.51\.100\.7 on /),
    ]);
    expect(mails[0]!.body).toContain('f2b banned 2 addresses in the jail sshd.');
    expect(mails[0]!.body).toContain('Address:   2001:db8::7');
    const quiet = tester({});
    await quiet.applyUnbans('198.51.100.7');
    expect(newMails()).toHaveLength(2);
  });

  it('digest: one mail per interval on the clock with every event; nothing when there was nothing', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const t = tester({ mode: 'digest', digestInterval: '15m', events: ['ban', 'unban'] }, clock);
    await t.start();
    const now = clock.now();
    await t.instance.ban([t.ban('203.0.113.1', { start: now }), t.ban('203.0.113.2', { start: now, bantime: -1 })]);
    await t.instance.unban([t.unban('203.0.113.1', now + 1000)]);
    expect(newMails()).toEqual([]);
    clock.advance(15 * 60_000);
    const [digest] = await sink.waitForMails(seen + 1).then((m) => m.slice(seen));
    expect(digest!.headers.get('subject')![0]).toMatch(/^\[f2b\] sshd digest: 2 bans, 1 unbans on /);
    expect(digest!.body).toContain('from 2026-01-01T12:00:00.000Z to 2026-01-01T12:15:00.000Z');
    expect(digest!.body).toContain('2026-01-01T12:00:00.000Z  ban    203.0.113.2  until never');
    expect(digest!.body).toContain('2026-01-01T12:00:01.000Z  unban  203.0.113.1  (expired)');
    expect((t.instance as MailAction).pendingDigest()).toBe(0);
    clock.advance(15 * 60_000);
    await (t.instance as MailAction).flushDigest();
    expect(newMails()).toHaveLength(1);
    await t.stop();
  });

  it('a server that is not there: the call rejects (the outbox retries), the password in no output', async () => {
    const t = new ActionTester({
      plugin: mailAction(),
      type: 'mail',
      jail: 'sshd',
      options: { to: 'admin@example.org', smtp: { host: '127.0.0.1', port: 1, user: 'f2b', passwordFile: pwFile, timeout: 2 } },
    });
    await expect(t.applyBans('192.0.2.50')).rejects.toMatchObject({ code: 'F2B_ERR_MAIL_SEND' });
    await expect(t.applyBans('192.0.2.51')).rejects.toMatchObject({ code: 'F2B_ERR_MAIL_SEND' });
    expect(t.errors).toEqual([]); // the jail reports a rejected call (and retries it from its outbox)
    const failed = await t.applyBans('192.0.2.52').catch((err: unknown) => err);
    const printed = JSON.stringify([String(failed), (failed as Error).message, t.logger.records]);
    expect(printed).not.toContain(PASSWORD);
    expect(printed).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });
});

describe('@f2b/action-mail when the server is down', () => {
  it('a digest that is not taken is reported once and kept for the next one', async () => {
    const t = new ActionTester({
      plugin: mailAction(),
      type: 'mail',
      jail: 'sshd',
      options: { to: 'admin@example.org', mode: 'digest', smtp: { host: '127.0.0.1', port: 1, timeout: 2 } },
    });
    await t.applyBans('192.0.2.60', '192.0.2.61');
    const action = t.instance as MailAction;
    await action.flushDigest();
    await action.flushDigest();
    expect(t.errors).toEqual([expect.objectContaining({ code: 'F2B_ERR_MAIL_SEND' })]);
    expect(action.pendingDigest()).toBe(2);
  });
});

describe('@f2b/action-mail with the sendmail transport', () => {
  it('runs sendmail with an argv (-i -f FROM -- RCPT…) and the message on stdin', async () => {
    // A recording stand-in for /usr/sbin/sendmail (a real one needs a running MTA and its queue).
    const record = join(tmp, 'sendmail-record.json');
    const program = join(tmp, 'sendmail');
    // Root runs only programs no other user could replace: the stand-in is root's, mode 0755.
    writeFileSync(
      program,
      `#!${process.execPath}\nconst c=[];process.stdin.on('data',d=>c.push(d));process.stdin.on('end',()=>{require('fs').writeFileSync(${JSON.stringify(record)},JSON.stringify({argv:process.argv.slice(2),input:Buffer.concat(c).toString()}));});\n`,
    );
    chmodSync(program, 0o755);
    const t = new ActionTester({
      plugin: mailAction(),
      type: 'mail',
      jail: 'web',
      options: { to: ['-oi@example.org', 'b@example.org'], from: 'f2b@host.example', sendmailPath: program },
    });
    await t.applyBans('198.51.100.9');
    const { argv, input } = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; input: string };
    expect(argv).toEqual(['-i', '-f', 'f2b@host.example', '--', '-oi@example.org', 'b@example.org']);
    const mail = parseDump(`X-Mail-Args: <f2b@host.example>\n${input}`);
    expect(mail.headers.get('subject')![0]).toMatch(/^\[f2b\] web: banned 198\.51\.100\.9 on /);
    expect(mail.body).toContain('f2b banned 198.51.100.9 in the jail web.');
    expect(t.errors).toEqual([]);
  });

  it('as root, a sendmail another user could replace is not run', async () => {
    const program = join(tmp, 'sendmail-open');
    writeFileSync(program, '#!/bin/sh\nexit 0\n');
    chmodSync(program, 0o777);
    expect(untrustedProgram(program, 0)).toBe(process.getuid?.() === 0 ? 'it is writable by other users' : expect.stringContaining('owned by uid'));
    expect(untrustedProgram(program, 1000)).toBeNull();
    if (process.getuid?.() === 0) {
      const t = new ActionTester({ plugin: mailAction(), type: 'mail', options: { to: 'a@example.org', sendmailPath: program } });
      await expect(t.applyBans('198.51.100.11')).rejects.toMatchObject({
        code: 'F2B_ERR_MAIL_SEND',
        message: expect.stringContaining('writable by other users'),
      });
    }
  });

  it('a sendmail that fails: F2B_ERR_MAIL_SEND with its exit status', async () => {
    const t = new ActionTester({ plugin: mailAction(), type: 'mail', options: { to: 'a@example.org', sendmailPath: '/bin/false' } });
    await expect(t.applyBans('198.51.100.10')).rejects.toMatchObject({ code: 'F2B_ERR_MAIL_SEND', message: expect.stringContaining('exit status 1') });
  });
});
