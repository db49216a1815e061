/**
 * `courier-auth`: failed logins of Courier's IMAP/POP3 servers (`LOGIN FAILED, user=…, ip=[…]`, with
 * `, port=[…]` since courier-imap 5.0.8 / 2019) and of courieresmtpd (`535 Authentication failed.`);
 * the messages and their sources are in CATALOGUE.md. The user name the client chose comes before the
 * address, which courier writes from the environment as the last fields: the patterns are anchored at
 * the end and take the last `ip=[…]`.
 */
import type { FilterDefinition } from '@f2b/core';

export const courierAuthFilter: FilterDefinition = {
  id: 'courier-auth',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Courier IMAP/POP3/ESMTP: failed logins',
  programs: [
    'imapd',
    'imapd-ssl',
    'pop3d',
    'pop3d-ssl',
    'courier-imapd',
    'courier-imapd-ssl',
    'courier-pop3d',
    'courier-pop3d-ssl',
    'courierpop3login',
    'courierpop3d',
    'courierimaplogin',
    'courieresmtpd',
    'courier-esmtpd',
  ],
  rules: [
    { id: 'login-failed', pattern: '^LOGIN FAILED, (?:user=(?P<user>.*), |method=[A-Za-z0-9_-]+, )?ip=\\[<ADDR>\\](?:, port=\\[[0-9]+\\])?$' },
    {
      id: 'esmtp-auth-failed',
      pattern:
        '^error,relay=<ADDR>,(?:port=[0-9]+,)?(?:ident=[^,]*,)?(?:msg="535 Authentication failed\\.",cmd: AUTH .*|from=<[^>]*>: 535 Authentication failed\\.)$',
    },
  ],
};
