/**
 * How a mail leaves: over SMTP with nodemailer, or handed to the local sendmail program (argv
 * array, never a shell; the message on stdin). Both build the message with nodemailer's composer,
 * so headers are encoded the same way. Errors come back as F2B_ERR_MAIL_SEND with the server's or
 * program's words scrubbed of the password.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createTransport } from 'nodemailer';
import type { Composed } from './compose.js';
import { mailErrors, scrub } from './errors.js';
import type { MailConfig } from './options.js';

export interface Sender {
  /** Sends one mail; rejects with an F2bError when it was not taken. `what` names it in errors. */
  send(mail: Composed, what: string): Promise<void>;
  close(): void;
}

/** Headers every mail carries: auto-generated (RFC 3834), so vacation responders stay quiet. */
const HEADERS = { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' };

function message(cfg: MailConfig, mail: Composed) {
  return { from: cfg.from, to: cfg.to, subject: mail.subject, text: mail.text, headers: HEADERS, envelope: { from: cfg.from, to: cfg.to } };
}

export function smtpSender(cfg: MailConfig): Sender {
  const s = cfg.smtp;
  const transport = createTransport({
    host: s.host.startsWith('[') ? s.host.slice(1, -1) : s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: s.starttls === 'required',
    ignoreTLS: s.starttls === 'never',
    name: s.ehloName,
    auth: s.auth ? { user: s.auth.user, pass: s.auth.pass } : undefined,
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
    tls: { rejectUnauthorized: s.tlsVerify },
    // Never nodemailer's own logging: it would print the conversation, AUTH included.
    logger: false,
    debug: false,
  });
  const how = `to the SMTP server ${s.host}:${s.port}`;
  return {
    async send(mail, what) {
      try {
        await transport.sendMail(message(cfg, mail));
      } catch (err) {
        const e = err as { message?: string; response?: string };
        const detail = scrub(e.response ?? e.message ?? String(err));
        // The cause is the scrubbed text, not nodemailer's error object: that one carries the SMTP
        // conversation state (commands, responses), which is not ours to print.
        throw Object.assign(mailErrors.F2B_ERR_MAIL_SEND(how, what, detail), { cause: new Error(detail) });
      }
    },
    close() {
      transport.close();
    },
  };
}

/** The message as bytes (RFC 5322, LF line ends as sendmail expects them on stdin). */
async function raw(cfg: MailConfig, mail: Composed): Promise<Buffer> {
  const composer = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await composer.sendMail(message(cfg, mail));
  return info.message as Buffer;
}

/**
 * Why root must not run `path`, or null: a program another user could replace (not owned by root,
 * or writable by group or others) would run with root's rights.
 */
export function untrustedProgram(path: string, uid = process.getuid?.()): string | null {
  if (uid !== 0) return null;
  try {
    const st = statSync(path);
    if (st.uid !== 0) return `it is owned by uid ${st.uid}, not root`;
    if ((st.mode & 0o022) !== 0) return 'it is writable by other users';
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the program does not exist' : String(err);
  }
}

export function sendmailSender(cfg: MailConfig, timeoutMs = 60_000): Sender {
  const how = `with ${cfg.sendmailPath}`;
  return {
    async send(mail, what) {
      const refused = untrustedProgram(cfg.sendmailPath);
      if (refused !== null) throw mailErrors.F2B_ERR_MAIL_SEND(how, what, `f2b runs as root and does not run it: ${refused}`);
      const input = await raw(cfg, mail);
      // -i: a line with a single dot does not end the message; -f: the envelope sender; `--` ends
      // the options (the addresses were checked not to start with "-" anyway).
      const args = ['-i', '-f', cfg.from, '--', ...cfg.to];
      await new Promise<void>((resolve, reject) => {
        let child;
        try {
          child = spawn(cfg.sendmailPath, args, { stdio: ['pipe', 'ignore', 'pipe'], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
        } catch (err) {
          reject(mailErrors.F2B_ERR_MAIL_SEND(how, what, scrub(String(err))));
          return;
        }
        const err: Buffer[] = [];
        // eslint-disable-next-line no-restricted-globals -- a kill guard on a real child process: Node's timer, so it fires even under a FakeClock
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        timer.unref?.();
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(mailErrors.F2B_ERR_MAIL_SEND(how, what, scrub((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'the program does not exist' : e.message)));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else
            reject(
              mailErrors.F2B_ERR_MAIL_SEND(how, what, scrub(`${signal ? `killed (${signal})` : `exit status ${code}`}: ${Buffer.concat(err).toString()}`)),
            );
        });
        child.stdin.on('error', () => {
          /* reported through the exit status */
        });
        child.stdin.end(input);
      });
    },
    close() {
      /* nothing held open */
    },
  };
}
