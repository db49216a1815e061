/**
 * The source of a jail that names none (`jails: { sshd: {} }`), as fail2ban's paths-*.conf give one:
 * the jail's filter package declares where its service logs per distribution (config/log-paths.ts);
 * this picks, for the distribution of /etc/os-release, the first declared path that exists, else the
 * systemd journal (when it runs here and the service has a `journalmatch`), else — for a jail that
 * may wait for its log — the first path, else an error naming every path tried. Each choice comes
 * with the reason `f2b config print` and `config check` show.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '../errors.js';
import { candidatePackages, discoverPlugins, findProvider, searchDirs, type DiscoveredPackage } from '../resolve.js';
import { globMatch } from './hosts.js';
import { candidatePaths, LogPathsProblem, serviceLogsOf } from './log-paths.js';
import { osReleaseFiles, readDistro, type Distro } from './os-release.js';

/** Where journald's socket lives while it runs. */
const JOURNAL_RUNNING = '/run/systemd/journal';

export interface SourceChoice {
  source: { type: string; options: Record<string, unknown> };
  /** Why this source: `default for sshd on debian: /var/log/auth.log exists`. */
  reason: string;
}

export interface DefaultSourceOptions {
  /** The installed plugin packages (called once, on the first jail that needs a default). */
  packages?: () => readonly DiscoveredPackage[];
  /** Where to search for them when `packages` is not given: the config's directory (or the current one) and f2b's own. */
  searchFrom?: string[];
  /** The distribution; default: read from `root`'s os-release (or `F2B_OS_RELEASE`, for tests). */
  distro?: Distro;
  /** Prefix of every path looked at (tests lay out a distribution in a temp dir); default `/`. */
  root?: string;
}

/** The core's package directory: plugins installed next to f2b are found from here. */
const CORE_DIR = fileURLToPath(new URL('../..', import.meta.url));

export class DefaultSources {
  private installed: readonly DiscoveredPackage[] | undefined;
  private distroRead: Distro | undefined;
  private readonly root: string;

  constructor(private readonly opts: DefaultSourceOptions = {}) {
    this.root = opts.root ?? '/';
  }

  /** The source for jail `jail` of filter `filter`; throws the F2B_ERR_SOURCE_* that says why there is none. */
  choose(jail: string, filter: string, waitForLog: boolean): SourceChoice {
    const packages = this.packages();
    const provider = findProvider(filter, 'filter', [...packages]);
    const pkg = provider ? packages.find((p) => p.name === provider) : undefined;
    if (!pkg) {
      const ids = packages.filter((p) => p.kind === 'filter').flatMap((p) => p.provides);
      throw errors.F2B_ERR_FILTER_NOT_FOUND(filter, candidatePackages(filter, 'filter'), `jails.${jail}.filter`, ids);
    }
    let logs;
    try {
      logs = serviceLogsOf(pkg.logs, filter);
    } catch (err) {
      if (err instanceof LogPathsProblem) throw errors.F2B_ERR_PLUGIN_INVALID(pkg.name, err.message, `jails.${jail}.filter`);
      throw err;
    }
    if (!logs) throw errors.F2B_ERR_SOURCE_UNKNOWN(jail, filter, pkg.name);
    const distro = this.distro();
    const on = distro.family ? (distro.id && distro.id !== distro.family ? `${distro.id} (${distro.family})` : distro.family) : 'an unknown distribution';
    const tried = candidatePaths(logs, distro.family);
    const found = tried.find((p) => this.exists(p));
    const head = `default for ${filter} on ${on}`;
    if (found)
      return { source: { type: 'file', options: { paths: [found] } }, reason: `${head}: ${found} ${/[*?]/.test(found) ? 'matches a file' : 'exists'}` };
    const none = tried.length === 0 ? 'no log file is declared' : `none of ${tried.join(', ')} exists`;
    const journal = existsSync(join(this.root, JOURNAL_RUNNING));
    if (journal && logs.journalmatch) {
      if (!findProvider('journald', 'source', [...packages])) throw errors.F2B_ERR_SOURCE_JOURNALD_MISSING(jail, filter, on, tried);
      return {
        source: { type: 'journald', options: { matches: logs.journalmatch } },
        reason: `${head}: ${none}; the systemd journal (${logs.journalmatch.join(' ')})`,
      };
    }
    if (waitForLog && tried[0]) return { source: { type: 'file', options: { paths: [tried[0]] } }, reason: `${head}: ${none}; waits for ${tried[0]}` };
    const why = !logs.journalmatch ? `${filter}'s service does not log to the journal` : `there is no systemd journal (${JOURNAL_RUNNING} does not exist)`;
    throw errors.F2B_ERR_SOURCE_NOT_FOUND(jail, filter, on, tried, why);
  }

  private packages(): readonly DiscoveredPackage[] {
    this.installed ??= this.opts.packages ? this.opts.packages() : discoverPlugins(searchDirs([...(this.opts.searchFrom ?? [process.cwd()]), CORE_DIR]));
    return this.installed;
  }

  private distro(): Distro {
    this.distroRead ??=
      this.opts.distro ?? readDistro(this.opts.root ? [join(this.root, 'etc/os-release'), join(this.root, 'usr/lib/os-release')] : osReleaseFiles());
    return this.distroRead;
  }

  /** Whether a path exists, or — with `*`/`?` in its file name — whether it matches a file. */
  private exists(path: string): boolean {
    const full = join(this.root, path);
    if (!/[*?]/.test(basename(path))) return existsSync(full);
    try {
      return readdirSync(dirname(full)).some((name) => globMatch(basename(path), name));
    } catch {
      return false;
    }
  }
}
