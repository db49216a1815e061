/**
 * `@f2b/config-recommended`: a config to extend (`extends: "@f2b/config-recommended"`). Jails for
 * sshd, nginx and postfix, each on only where its log exists (`enabledIf.exists`, checked at every
 * start and reload), with moderate defaults. It sets no actions: bans go to the default action (`log`)
 * until your config says `defaults: { actions: [nftables] }`.
 */
import type { F2bConfig } from '@f2b/core';

const AUTH_LOGS = ['/var/log/auth.log', '/var/log/secure'];
const NGINX_ERROR = '/var/log/nginx/error.log';
const NGINX_ACCESS = '/var/log/nginx/access.log';
const MAIL_LOGS = ['/var/log/mail.log', '/var/log/maillog'];

const recommended: F2bConfig = {
  defaults: {
    findtime: '10m',
    maxretry: 5,
    bantime: '1h',
    // Repeat offenders are banned longer each time, up to a week.
    bantimeIncrement: { factor: 2, maxtime: '1w' },
  },
  jails: {
    sshd: {
      source: { type: 'file', paths: AUTH_LOGS },
      filter: 'sshd',
      enabledIf: { exists: AUTH_LOGS },
    },
    'nginx-http-auth': {
      source: NGINX_ERROR,
      enabledIf: { exists: NGINX_ERROR },
    },
    'nginx-limit-req': {
      source: NGINX_ERROR,
      maxretry: 10,
      enabledIf: { exists: NGINX_ERROR },
    },
    'nginx-botsearch': {
      source: NGINX_ACCESS,
      maxretry: 2,
      enabledIf: { exists: NGINX_ACCESS },
    },
    postfix: {
      source: { type: 'file', paths: MAIL_LOGS },
      enabledIf: { exists: MAIL_LOGS },
    },
  },
};

export default recommended;
