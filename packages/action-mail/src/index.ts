/**
 * `@f2b/action-mail`: mails about bans and unbans — one mail per batch of events, or a periodic
 * digest — over SMTP (nodemailer) or the local sendmail program. Log lines go into the body only,
 * escaped; headers hold nothing a log could choose; the SMTP password comes from a file or the
 * environment and is never logged.
 */
import type { F2bPlugin } from '@f2b/core';
import { MailAction } from './action.js';
import { optionsSchema, type MailOptions } from './options.js';

/**
 * The plugin (name, version and core range come from package.json). Its options (config
 * `plugins: [["@f2b/action-mail", {...}]]`) are defaults for every jail; a jail's
 * `{ type: mail, ... }` options override them.
 */
export default function mailAction(): F2bPlugin<Partial<MailOptions>> {
  return {
    schema: optionsSchema,
    apply(api, options) {
      api.registerAction({
        type: 'mail',
        schema: optionsSchema,
        create: (instanceOptions, ctx) => new MailAction({ ...options, ...instanceOptions } as MailOptions, ctx),
      });
    },
  };
}

export { MailAction, type MailStats } from './action.js';
export { optionsSchema, normalizeOptions, isAddress, safeHostname, type MailOptions, type MailConfig, type SmtpOptions, type MailEvent } from './options.js';
export { composeEvents, composeDigest, headerId, headerText, type Composed, type MailEventRecord } from './compose.js';
export { localNotes } from './whois.js';
export { smtpSender, sendmailSender, untrustedProgram, type Sender } from './transport.js';
export { mailErrors, scrub } from './errors.js';
