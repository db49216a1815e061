/**
 * Where a service logs, as its filter package declares it in package.json (read without importing
 * the package, like `f2b.filters`):
 *
 *   "f2b": { "kind": "filter", "filters": ["sshd"],
 *            "logs": { "sshd": { "debian": ["/var/log/auth.log"], "rhel": ["/var/log/secure"],
 *                                "journalmatch": ["SYSLOG_IDENTIFIER=sshd", "+", "_SYSTEMD_UNIT=sshd.service"] } } }
 *
 * Keys per filter id: a distribution family (os-release.ts) or `default` (any family), each a list
 * of absolute paths, tried in order (a `*`/`?` glob in the last component matches files); and
 * `journalmatch`, journalctl matches for when none of the paths exists but the journal does.
 */
import { DISTRO_FAMILIES, type DistroFamily } from './os-release.js';

export interface ServiceLogs {
  paths: Partial<Record<DistroFamily | 'default', string[]>>;
  /** journalctl matches (`FIELD=value`, `+` between groups); absent: the service is not looked for in the journal. */
  journalmatch?: string[];
}

/** An absolute path without `..`, NUL or newlines; wildcards only in the file name. */
const PATH = /^\/(?:[^/\0\n*?]+\/)*[^/\0\n]+$/;
const MATCH = /^(?:\+|[A-Z_][A-Z0-9_]*=[^\0\n]+)$/;
const KEYS = new Set<string>([...DISTRO_FAMILIES, 'default', 'journalmatch']);

/**
 * The declared logs of filter `id` in a manifest's `f2b.logs`, or undefined when it declares none.
 * Throws a problem sentence (for F2B_ERR_PLUGIN_INVALID) when the data is malformed.
 */
export function serviceLogsOf(logs: unknown, id: string): ServiceLogs | undefined {
  if (logs === undefined) return undefined;
  if (!isObject(logs)) throw new LogPathsProblem('its "f2b.logs" is not an object of filter ids');
  const entry = Object.hasOwn(logs, id) ? logs[id] : undefined;
  if (entry === undefined) return undefined;
  const at = `"f2b.logs.${id}"`;
  if (!isObject(entry)) throw new LogPathsProblem(`${at} is not an object`);
  const out: ServiceLogs = { paths: {} };
  for (const [key, value] of Object.entries(entry)) {
    if (!KEYS.has(key)) throw new LogPathsProblem(`${at} has the key "${key}"; known keys: ${[...KEYS].join(', ')}`);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new LogPathsProblem(`${at}.${key} is not a list of strings`);
    const list = value as string[];
    if (key === 'journalmatch') {
      const bad = list.find((m) => !MATCH.test(m));
      if (bad !== undefined) throw new LogPathsProblem(`${at}.journalmatch has ${JSON.stringify(bad)}, not a journalctl match (FIELD=value or +)`);
      if (list[0] === '+' || list.at(-1) === '+' || list.some((m, i) => m === '+' && list[i + 1] === '+'))
        throw new LogPathsProblem(`${at}.journalmatch has a "+" at an end or twice in a row`);
      if (list.length > 0) out.journalmatch = [...list];
    } else {
      const bad = list.find((p) => !PATH.test(p) || p.split('/').includes('..'));
      if (bad !== undefined) throw new LogPathsProblem(`${at}.${key} has ${JSON.stringify(bad)}, not an absolute path (wildcards only in the file name)`);
      out.paths[key as DistroFamily | 'default'] = [...list];
    }
  }
  return out;
}

/** The paths to try, in order: the family's, then `default`; every family's when the family is unknown. */
export function candidatePaths(logs: ServiceLogs, family: DistroFamily | undefined): string[] {
  const lists = family ? [logs.paths[family] ?? []] : DISTRO_FAMILIES.map((f) => logs.paths[f] ?? []);
  return [...new Set([...lists.flat(), ...(logs.paths.default ?? [])])];
}

/** Malformed `f2b.logs` data of a package (reported as F2B_ERR_PLUGIN_INVALID with the package's name). */
export class LogPathsProblem extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
