/**
 * `@f2b/action-mail` end to end: the real `f2b` daemon (finding the action by its type) tails an
 * sshd log and mails each ban over SMTP to a real SMTP server on loopback (postfix's smtp-sink,
 * started by the test on a free port, dumping what it receives), logging in with a password read
 * from a file. The mail reaches every recipient with the jail and address in its subject and the
 * log lines in its body; the password is in no output of the daemon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sshdLine, startF2b, tempDir, type RunningF2b } from './helpers.js';
import { sinkUnavailable, startSink, type Sink } from '../packages/action-mail/test/smtp-sink.js';

const skip = sinkUnavailable();
if (skip) console.log(`skipping the mail end-to-end test: ${skip}`);
const PASSWORD = 'e2e-smtp-secret-4f1c';
const ATTACKER = '203.0.113.77';

describe.skipIf(skip !== null)('f2b with the mail action (smtp-sink on loopback)', () => {
  const tmp = tempDir('f2b-mail-e2e-');
  const log = join(tmp.dir, 'auth.log');
  let sink: Sink;
  let f2b: RunningF2b;

  beforeAll(async () => {
    sink = await startSink();
    writeFileSync(log, '');
    writeFileSync(join(tmp.dir, 'smtp-password'), `${PASSWORD}\n`, { mode: 0o600 });
    const cfgFile = join(tmp.dir, 'f2b.config.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({
        state: { path: join(tmp.dir, 'f2b.db') },
        socket: join(tmp.dir, 'f2b.sock'),
        jails: {
          sshd: {
            source: { type: 'file', paths: [log], pollInterval: 50 },
            filter: 'sshd',
            maxretry: 2,
            findtime: '10m',
            bantime: '1h',
            actions: [
              'log',
              {
                type: 'mail',
                to: ['admin@example.org', 'security@example.org'],
                from: 'f2b@host.example',
                whois: 'local',
                smtp: { host: '127.0.0.1', port: sink.port, user: 'f2b', passwordFile: join(tmp.dir, 'smtp-password'), timeout: 5 },
              },
            ],
          },
        },
      }),
    );
    f2b = startF2b(['start', '--foreground', '--config', cfgFile]);
    await f2b.waitFor(/Started 1 jail/, 'stderr', 20_000);
  }, 30_000);

  afterAll(async () => {
    await f2b?.stop();
    await sink?.stop();
    tmp.cleanup();
  });

  it('mails the ban to every recipient; the password is never printed', async () => {
    appendFileSync(log, sshdLine(`Failed password for invalid user admin from ${ATTACKER} port 40001 ssh2`, { pid: 1 }));
    appendFileSync(log, sshdLine(`Failed password for invalid user admin from ${ATTACKER} port 40002 ssh2`, { pid: 2 }));
    const [mail] = await sink.waitForMails(1, 20_000);
    expect(mail!.rcpt).toEqual(['admin@example.org', 'security@example.org']);
    expect(mail!.mailFrom).toBe('f2b@host.example');
    expect(mail!.headers.get('subject')![0]).toMatch(/^\[f2b\] sshd: banned 203\.0\.113\.77 on \S+$/);
    expect(mail!.body).toContain(`f2b banned ${ATTACKER} in the jail sshd.`);
    expect(mail!.body).toMatch(/Failures: {2}2; ban #1/);
    expect(mail!.body).toContain(`Failed password for invalid user admin from ${ATTACKER} port 40002 ssh2`);
    expect(mail!.body).toContain('Range:    documentation, TEST-NET-3 (RFC 5737)');
    expect(await f2b.stop('SIGTERM')).toBe(0);
    expect(f2b.stdout()).toContain(`[sshd] Ban ${ATTACKER} `);
    const output = f2b.stdout() + f2b.stderr();
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    expect(sink.mails()).toHaveLength(1);
  }, 60_000);
});
