/**
 * The errors of the mail action, one row per code (the table style of `@f2b/kit`). Texts from
 * outside (an SMTP server's reply, sendmail's complaint) pass through `scrub` before they go into a
 * message, so the SMTP password can never be printed, even if a server echoed it back.
 */
import { defineErrors, sanitizeLine } from '@f2b/kit';

const q = (s: string) => JSON.stringify(s);
const REDACTED = '[redacted]';
const secrets = new Set<string>();

/** Remember a secret (the SMTP password) so that `scrub` removes it from any text. */
export function registerSecret(secret: string): void {
  if (secret.length >= 1) secrets.add(secret);
}

/** `text` on one line, control characters escaped, every registered secret (and its base64 forms) replaced. */
export function scrub(text: string, max = 400): string {
  let out = text;
  for (const s of secrets) {
    for (const form of [s, Buffer.from(s).toString('base64')]) if (form.length >= 3 && out.includes(form)) out = out.split(form).join(REDACTED);
  }
  out = sanitizeLine(out.replace(/[ \t\r\n]+/g, ' ').trim());
  return out.length > max ? `${out.slice(0, max)}…` : out || '(no message)';
}

export const mailErrors = defineErrors({
  F2B_ERR_MAIL_OPTIONS: {
    exit: 'usage',
    make: (path: string, problem: string, fix: string) => ({ message: `The option ${q(path)} of the mail action ${problem}.`, path, fix }),
  },

  F2B_ERR_MAIL_PASSWORD: {
    exit: 'usage',
    make: (source: string, problem: string) => ({
      message: `The SMTP password could not be read from ${source}: ${problem}.`,
      fix: 'Store the password in a file readable only by root (chmod 600) and name it with smtp.passwordFile, or name an environment variable with smtp.passwordEnv.',
    }),
  },

  /** The SMTP server or sendmail did not take a mail: `how` is the transport, `detail` what it said. */
  F2B_ERR_MAIL_SEND: {
    exit: 'failure',
    make: (how: string, what: string, detail: string) => ({
      message: `The mail about ${what} could not be sent ${how}: ${detail}.`,
      fix: 'Check the SMTP server (host, port, TLS, user) or the sendmail program and its mail queue; f2b sends it again when the jail retries (bans) or at the next digest.',
    }),
  },
});
