/**
 * `courier-auth`: failed logins of Courier's IMAP/POP3 servers (`LOGIN FAILED, user=…, ip=[…]`) and of
 * courieresmtpd (`535 Authentication failed`). The address is the last field, after the user name the
 * client chose, and the patterns are anchored at the end.
 */
import type { FilterDefinition } from '@f2b/core';

export const courierAuthFilter: FilterDefinition = {
  id: 'courier-auth',
  description: 'Courier IMAP/POP3/ESMTP: failed logins',
  programs: [
    'imapd', 'imapd-ssl', 'pop3d', 'pop3d-ssl', 'courier-imapd', 'courier-imapd-ssl', 'courier-pop3d', 'courier-pop3d-ssl',
    'courierpop3login', 'courierpop3d', 'courierimaplogin', 'courieresmtpd', 'courier-esmtpd',
  ],
  rules: [
    { id: 'login-failed', pattern: '^LOGIN FAILED, (?:(?:user|method)=(?P<user>.*), )?ip=\\[<ADDR>\\]$' },
    { id: 'esmtp-auth-failed', pattern: '^error,relay=<ADDR>,(?:port=[0-9]+,)?(?:ident=[^,]*,)?(?:msg="535 Authentication failed\\.",cmd: AUTH .*|from=<[^>]*>: 535 Authentication failed\\.)$' },
  ],
};
