/**
 * What vulnerability scanners look for on sites that do not have it, matched against the file path
 * Apache could not find. A probe name must start a path segment. Deliberately only names no ordinary
 * visitor of a site without that software asks for.
 */

/** Names that must be a whole path segment (or end one, for the `…wp-login.php` bot typos). */
const SEGMENTS = [
  '[^/]*wp-login\\.php',
  'xmlrpc\\.php',
  'wlwmanifest\\.xml',
  'wp-config\\.php[A-Za-z0-9._~-]*',
  'administrator',
  '\\.env(?:\\.[A-Za-z0-9_-]+)?',
  '\\.git',
  '\\.svn',
  '\\.hg',
  '\\.aws',
  '\\.ssh',
  '\\.DS_Store',
  'sftp-config\\.json',
  'docker-compose\\.ya?ml',
  'WEB-INF',
  'phpinfo\\.php',
  'info\\.php',
  'shell\\.php',
  'wso\\.php',
  'c99\\.php',
  'r57\\.php',
  'azenv\\.php',
  'timthumb\\.php',
  'adminer(?:-[0-9.]+)?\\.php',
  'eval-stdin\\.php',
  'phpunit',
  'HNAP1',
  'boaform',
  'GponForm',
  'setup\\.cgi',
  'manager/html',
  'jmx-console',
  'invoker',
  'actuator',
  '_ignition',
  'telescope',
];

/** Names that may carry a suffix (`phpMyAdmin-5.2.1`, `webmail2`, `mail_this_entry`). */
const PREFIXES = [
  'phpmyadmin',
  'myadmin',
  'mysqladmin',
  'mysql-admin',
  'sqladmin',
  'dbadmin',
  'pma',
  'sqlweb',
  'pmapper',
  'roundcube',
  'rcmail',
  'squirrelmail',
  'horde',
  'v-?webmail',
  'webmail',
  'extmail',
  'mail',
];

/** An absolute path (no `,`: Apache appends `, referer: …`) with a probe starting one of its segments. */
export const PROBE_PATH = `/(?:[^,]*/)?(?i:(?:${SEGMENTS.join('|')})(?:/[^,]*)?|(?:${PREFIXES.join('|')})[^,/]*(?:/[^,]*)?)`;
