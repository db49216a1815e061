/**
 * The plugin packages the f2b project publishes, with the ids each provides. The CLI names an
 * `npm i` only for a package in this list (or one installed): a fix that names a package nobody
 * publishes invites whoever registers that name first (typosquatting). test/catalogue.test.ts keeps
 * it equal to the packages' manifests.
 */
import { didYouMean } from './suggest.js';

export interface CataloguePackage {
  name: string;
  kind: 'filter' | 'action' | 'source' | 'store' | 'tracker' | 'fleet';
  ids: readonly string[];
}

export const CATALOGUE: readonly CataloguePackage[] = [
  { name: '@f2b/filter-sshd', kind: 'filter', ids: ['sshd'] },
  { name: '@f2b/filter-nginx', kind: 'filter', ids: ['nginx-http-auth', 'nginx-limit-req', 'nginx-botsearch', 'nginx-bad-request', 'nginx-forbidden'] },
  { name: '@f2b/filter-apache', kind: 'filter', ids: ['apache-auth', 'apache-badbots', 'apache-botsearch', 'apache-noscript', 'apache-overflows'] },
  { name: '@f2b/filter-mail', kind: 'filter', ids: ['postfix', 'dovecot', 'exim', 'courier-auth', 'sendmail-auth', 'sendmail-reject', 'roundcube-auth'] },
  { name: '@f2b/filter-ftp', kind: 'filter', ids: ['vsftpd', 'proftpd', 'pure-ftpd'] },
  {
    name: '@f2b/filter-misc',
    kind: 'filter',
    ids: [
      'mysqld-auth',
      'named-refused',
      'asterisk',
      'dropbear',
      'openvpn',
      'squid',
      'haproxy-http-auth',
      'traefik-auth',
      'grafana',
      'gitlab',
      'vaultwarden',
      'bitwarden',
      'drupal-auth',
      'pam-generic',
      'recidive',
    ],
  },
  { name: '@f2b/action-log', kind: 'action', ids: ['log'] },
  { name: '@f2b/action-nftables', kind: 'action', ids: ['nftables'] },
  { name: '@f2b/action-cloudflare', kind: 'action', ids: ['cloudflare'] },
  { name: '@f2b/action-exec', kind: 'action', ids: ['exec'] },
  { name: '@f2b/action-webhook', kind: 'action', ids: ['webhook'] },
  { name: '@f2b/action-mail', kind: 'action', ids: ['mail'] },
  { name: '@f2b/action-ipset', kind: 'action', ids: ['ipset'] },
  { name: '@f2b/action-route', kind: 'action', ids: ['route'] },
  { name: '@f2b/tracker-bucket', kind: 'tracker', ids: ['bucket'] },
  { name: '@f2b/fleet-redis', kind: 'fleet', ids: ['redis'] },
  { name: '@f2b/source-file', kind: 'source', ids: ['file'] },
  { name: '@f2b/source-journald', kind: 'source', ids: ['journald'] },
  { name: '@f2b/store-sqlite', kind: 'store', ids: ['sqlite'] },
];

/** The published package that provides `id` of `kind`, if any. */
export function cataloguePackage(id: string, kind: CataloguePackage['kind']): string | undefined {
  return CATALOGUE.find((p) => p.kind === kind && p.ids.includes(id))?.name;
}

/** Every published id of a kind. */
export function catalogueIds(kind: CataloguePackage['kind']): string[] {
  return CATALOGUE.filter((p) => p.kind === kind).flatMap((p) => [...p.ids]);
}

const KINDS = ['filter', 'action', 'source', 'store', 'tracker', 'fleet'] as const;
type Kind = (typeof KINDS)[number];

/** fail2ban action names people carry over (`banaction = iptables-multiport`). */
const FAIL2BAN_FIREWALL = /^(?:iptables|ip6tables|nftables|firewallcmd|shorewall|ufw)(?:-|$)/;

/**
 * The fix for an id (or package) f2b cannot find: `npm i` of the package the project publishes for
 * it, else the close matches among `installed` and published ids and how to search the registry —
 * never an `npm i` of a name nobody may have published.
 */
export function notFoundFix(ref: string, kind: Kind, installed: readonly string[] = []): string {
  const published = CATALOGUE.find((p) => p.kind === kind && p.ids.includes(ref))?.name;
  if (published) return `Run \`npm i ${published}\` in the directory of your config (or globally next to f2b).`;
  const names = [...installed, ...CATALOGUE.filter((p) => p.kind === kind).flatMap((p) => p.ids)];
  const hint =
    kind === 'action' && FAIL2BAN_FIREWALL.test(ref)
      ? ` fail2ban's ${JSON.stringify(ref)} is f2b's nftables action: actions: [nftables] (in defaults, for every jail) and the jail's port: [ssh] (\`f2b import fail2ban\` converts a jail.local).`
      : '';
  const list = kind === 'filter' ? '`f2b filters`' : '`f2b plugins`';
  return `No package the f2b project publishes provides the ${kind} ${JSON.stringify(ref)}.${didYouMean(ref, names)}${hint} ${list} lists what is installed; \`npm search keywords:f2b-${kind}\` finds others.`;
}

/** The fix for a plugin package that is not installed, by its name (`@f2b/action-x` → the id `x`). */
export function packageNotFoundFix(packageName: string, ref: string, installed: readonly string[] = []): string {
  if (CATALOGUE.some((p) => p.name === packageName) || !packageName.startsWith('@f2b/')) {
    return `Run \`npm i ${packageName}\` in the directory of your config (or globally next to f2b).`;
  }
  const kind = KINDS.find((k) => packageName.startsWith(`@f2b/${k}-`));
  if (kind) return notFoundFix(ref, kind, installed);
  return `No package named ${JSON.stringify(packageName)} is published by the f2b project.${didYouMean(
    packageName,
    CATALOGUE.map((p) => p.name),
  )}`;
}
