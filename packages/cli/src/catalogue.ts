/**
 * The plugin packages the f2b project publishes, with the ids each provides. The CLI names an
 * `npm i` only for a package in this list (or one installed): a fix that names a package nobody
 * publishes invites whoever registers that name first (typosquatting). test/catalogue.test.ts keeps
 * it equal to the packages' manifests.
 */
export interface CataloguePackage {
  name: string;
  kind: 'filter' | 'action' | 'source' | 'store';
  ids: readonly string[];
}

export const CATALOGUE: readonly CataloguePackage[] = [
  { name: '@f2b/filter-sshd', kind: 'filter', ids: ['sshd'] },
  { name: '@f2b/filter-nginx', kind: 'filter', ids: ['nginx-http-auth', 'nginx-limit-req', 'nginx-botsearch', 'nginx-bad-request', 'nginx-forbidden'] },
  { name: '@f2b/filter-apache', kind: 'filter', ids: ['apache-auth', 'apache-badbots', 'apache-botsearch', 'apache-noscript', 'apache-overflows'] },
  { name: '@f2b/filter-mail', kind: 'filter', ids: ['postfix', 'dovecot', 'exim', 'courier-auth', 'sendmail-auth', 'sendmail-reject', 'roundcube-auth'] },
  { name: '@f2b/filter-ftp', kind: 'filter', ids: ['vsftpd', 'proftpd', 'pure-ftpd'] },
  {
    name: '@f2b/filter-misc', kind: 'filter',
    ids: ['mysqld-auth', 'named-refused', 'asterisk', 'dropbear', 'openvpn', 'squid', 'haproxy-http-auth', 'traefik-auth', 'grafana', 'gitlab', 'vaultwarden', 'bitwarden', 'drupal-auth', 'pam-generic', 'recidive'],
  },
  { name: '@f2b/action-log', kind: 'action', ids: ['log'] },
  { name: '@f2b/action-nftables', kind: 'action', ids: ['nftables'] },
  { name: '@f2b/action-cloudflare', kind: 'action', ids: ['cloudflare'] },
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
