/**
 * The errors of `@f2b/fleet-redis`, one row per code (the table style of `@f2b/kit`). Texts that
 * come from outside (Redis' replies, socket errors) pass through `redact` first: the password of
 * the URL never reaches a message, even if a server or library echoed it back.
 */
import { defineErrors, messageOf } from '@f2b/kit';
import { redact } from './url.js';

export const fleetErrors = defineErrors({
  F2B_ERR_FLEET_URL: {
    exit: 'usage',
    make: (url: string, problem: string) => ({
      message: `The fleet URL ${redact(url)} ${problem}.`,
      path: 'fleet.url',
      fix: 'Write redis://[user:password@]host:port/db (rediss:// for TLS); put the password in an environment variable: redis://f2b:${env:F2B_REDIS_PASSWORD}@127.0.0.1:6379/0.',
    }),
  },
  F2B_ERR_FLEET_UNREACHABLE: {
    exit: 'failure',
    make: (url: string, cause: unknown) => ({
      message: `The fleet's Redis at ${redact(url)} cannot be reached: ${redact(messageOf(cause))}. This host decides alone and queues what it must publish until Redis is back.`,
      path: 'fleet.url',
      fix: 'Check that redis-server runs and listens there, that the ACL user and password are right (`redis-cli --user f2b --askpass PING`), and for rediss:// that the CA and server name match.',
    }),
  },
  F2B_ERR_FLEET_TLS_FILE: {
    exit: 'usage',
    make: (path: string, key: string, cause: unknown) => ({
      message: `The TLS file ${path} (fleet.tls.${key}) cannot be read: ${messageOf(cause)}.`,
      path: `fleet.tls.${key}`,
      fix: 'Give the path of a PEM file f2b can read (root-owned, not writable by others).',
    }),
  },
});
