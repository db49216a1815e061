/**
 * What vulnerability scanners ask for on sites that do not have it. A request counts when one of these
 * starts a path segment of the URI (the query string is not looked at) and the server answered "not
 * here" — so a WordPress site that serves /wp-login.php is not hurt by the WordPress entries.
 *
 * Kept deliberately to names that no ordinary visitor of a site without that software requests; no
 * `/admin`, no `/wp-content/` (missing images on a WordPress site are 404s too), no autodiscover (mail
 * clients ask for it legitimately).
 */

/** Names that must be a whole path segment (followed by `/`, `?`, `;` or the end of the URI). */
const SEGMENTS = [
  // WordPress and other CMS entry points probed for brute force or known holes
  'wp-login\\.php',
  'xmlrpc\\.php',
  'wlwmanifest\\.xml',
  'wp-config\\.php[A-Za-z0-9._~-]*',
  'wp-admin/(?:install|setup-config)\\.php',
  'administrator',
  'user/register',
  // secrets left in the document root
  '\\.env(?:\\.[A-Za-z0-9_-]+)?',
  '\\.git',
  '\\.svn',
  '\\.hg',
  '\\.aws',
  '\\.ssh',
  '\\.htpasswd',
  '\\.DS_Store',
  '\\.vscode',
  'sftp-config\\.json',
  'docker-compose\\.ya?ml',
  'WEB-INF',
  'web\\.config',
  '(?:backup|dump|db|database|site)\\.(?:sql|zip|tar\\.gz|tgz|rar)',
  // info pages and web shells
  'phpinfo\\.php',
  'info\\.php',
  'php-info\\.php',
  'shell\\.php',
  'wso\\.php',
  'c99\\.php',
  'r57\\.php',
  'adminer(?:-[0-9.]+)?\\.php',
  'eval-stdin\\.php',
  'vendor/phpunit',
  // admin consoles of other software, router and IoT exploits
  'cgi-bin',
  'server-status',
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
  'solr/admin',
  'owa/auth',
];

/** Names that may carry a suffix (`phpMyAdmin-5.2.1`, `roundcube2`). */
const PREFIXES = ['phpmyadmin', 'myadmin', 'mysqladmin', 'mysql-admin', 'sqladmin', 'dbadmin', 'pma', 'sqlweb', 'roundcube', 'rcmail', 'squirrelmail', 'horde'];

/**
 * A request URI with a probe in its path: `/`, any directories, then a probe at the start of a segment.
 * Case-insensitive (scanners vary the case; file systems of the targets they hunt for often ignore it).
 */
export const PROBE_URI = `/(?:[^ ?]*/)?(?i:(?:${SEGMENTS.join('|')})(?:[/?;][^ ]*)?|(?:${PREFIXES.join('|')})[^ ]*)`;
